"""collapse_runs stands in for re.sub(r"(.)\\1+", r"\\1", text) in the name keys: it must agree with it."""

import re

from hypothesis import given
from hypothesis import strategies as st

from service.engine.parties.letters import collapse_runs

RUNS = re.compile(r"(.)\1+")


def test_examples() -> None:
    assert collapse_runs("mississippi") == "misisipi"
    assert collapse_runs("linn") == "lin"
    assert collapse_runs("aaa") == "a"
    assert collapse_runs("") == ""


@given(st.text(alphabet="abcsz19 -", max_size=30))
def test_agrees_with_the_regular_expression(text: str) -> None:
    assert collapse_runs(text) == RUNS.sub(r"\1", text)
