"""Bad Unicode in a party name is an error on its own output row (output row n is input row n); the other rows
are screened, nothing crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.batch.run import BatchOptions, run_batch
from service.engine.screen import ScreeningContext
from service.settings import Settings
from tests.batch.conftest import read_output, row, write_csv


def run(tmp_path: Path, names: list[str], context: ScreeningContext) -> list[dict[str, str]]:
    """One declaration per name (references N-0, N-1 ...) between two good ones."""
    rows = [row("OK-1"), *(row(f"N-{i}", consignee=name) for i, name in enumerate(names)), row("OK-2")]
    source = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    run_batch(source, out, Settings(), BatchOptions(), context=context)
    return read_output(out)


@pytest.mark.parametrize(("name", "says"), [
    ("Kessler\x00GmbH", "control character U+0000"),
    ("Kessler\x07GmbH", "control character U+0007"),
    ("Kessler\u202eHbmG", "bidirectional control character U+202E"),
    ("Kessler\ufdd0GmbH", "noncharacter U+FDD0"),
    ("\u200b\u2060", "no letter or digit"),
    ("K" * 10_000, "at most 500 characters"),
], ids=["nul", "bell", "bidi-override", "noncharacter", "invisible-only", "10000-characters"])
def test_bad_name_is_a_row_error(tmp_path: Path, context: ScreeningContext, name: str, says: str) -> None:
    rows = run(tmp_path, [name], context)
    assert [r["reference"] for r in rows] == ["OK-1", "N-0", "OK-2"]
    assert [r["verdict"] for r in rows] == ["clear", "", "clear"]
    status = rows[1]["row_status"]
    assert status.startswith("error: consignee_name: ") and says in status  # on the row that holds the name
    assert len(status) < 1000  # the value is quoted cut short, not 10,000 characters


def test_invisible_characters_cannot_hide_a_listed_name(tmp_path: Path, context: ScreeningContext) -> None:
    rows = run(tmp_path, ["Vector\u200bDenied LLC", "Vec\u00adtor Denied\ufeff LLC", "Vector\tDenied LLC"], context)
    assert [r["verdict"] for r in rows] == ["clear", "block", "block", "block", "clear"]


@given(names=st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_any_text_as_a_name_keeps_every_row(tmp_path_factory: pytest.TempPathFactory, context: ScreeningContext,
                                             names: list[str]) -> None:
    """Whatever the names hold (minus what UTF-8 cannot carry), one output row per input row, the good
    rows around them screened."""
    rows = run(tmp_path_factory.mktemp("names"), names, context)
    assert rows[0]["verdict"] == rows[-1]["verdict"] == "clear"
    assert [r["reference"] for r in rows][1:-1] == [f"N-{i}" for i in range(len(names))]
