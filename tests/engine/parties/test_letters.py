"""collapse_runs stands in for re.sub(r"(.)\\1+", r"\\1", text) in the name keys: it must agree with it. respell
stands in for a loop of str.replace over (old, new) pairs: it must agree with that."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.engine.parties import burmese, names, scoring
from service.engine.parties.letters import (
    SpellingRules,
    collapse_runs,
    collapse_runs_in_python,
    in_order,
    respell,
    spelling_rules,
)

try:
    from service.engine.parties import _in_c
except ImportError:  # (not built: PURE_PYTHON_BUILD=1)
    _in_c = None  # type: ignore[assignment]

RUNS = re.compile(r"(.)\1+")


def test_examples() -> None:
    assert collapse_runs("mississippi") == "misisipi"
    assert collapse_runs("linn") == "lin"
    assert collapse_runs("aaa") == "a"
    assert collapse_runs("") == ""


@given(st.text(alphabet="abcsz19 -", max_size=30))
def test_agrees_with_the_regular_expression(text: str) -> None:
    assert collapse_runs(text) == RUNS.sub(r"\1", text)
    assert collapse_runs_in_python(text) == RUNS.sub(r"\1", text)


# Texts of each of CPython's string kinds (ASCII, Latin-1, two and four bytes a character), with runs.
EVERY_KIND = st.text(alphabet=st.sampled_from("ab\u00e9\u00ff\u0416\u4e2d\U0001f600 "), max_size=30)


@pytest.mark.skipif(_in_c is None, reason="the C module is not built")
@given(st.one_of(EVERY_KIND, st.text(max_size=30)))
def test_the_c_version_agrees_in_every_kind_of_string(text: str) -> None:
    """Equal, and equal in hash: a result made with another kind than its characters need would compare
    unequal to the same text made by Python."""
    collapsed = _in_c.collapse_runs(text)
    expected = collapse_runs_in_python(text)
    assert collapsed == expected
    assert hash(collapsed) == hash(expected)
    assert {collapsed: 1}.get(expected) == 1


@pytest.mark.skipif(_in_c is None, reason="the C module is not built")
def test_the_c_version_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError, match="a str"):
        _in_c.collapse_runs(b"aa")  # type: ignore[arg-type]


def _each_pair_in_turn(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


RULES = (("x", "ks"), ("sch", "s"), ("ks", "x"), ("ee", "i"), ("eie", "ee"), ("a", ""), ("", ""))


def test_respell_examples() -> None:
    rules = spelling_rules((("sch", "s"), ("sh", "s"), ("x", "ks")))
    assert respell("schasha", rules) == "sasa"
    assert respell("alexa", rules) == "aleksa"
    assert respell("", rules) == ""
    assert respell("abc", spelling_rules(())) == "abc"


@given(st.text(alphabet="abcehiksx", max_size=30))
def test_respell_replaces_rule_after_rule(text: str) -> None:
    """Later rules see what earlier ones wrote ("x" -> "ks" -> "x"), as in a loop over the pairs."""
    assert respell(text, spelling_rules(RULES)) == _each_pair_in_turn(text, RULES)


@pytest.mark.parametrize("table", ["names._PHONETIC_RULES", "names._LOOSE_DIGRAPHS", "scoring._ROMANISATION_FOLDS",
                                   "burmese._KEY_RULES"])
@given(text=st.text(alphabet="abcdeghijknopqrstuwxyz", max_size=24))
def test_each_table_of_the_keys_as_a_loop_over_its_pairs(table: str, text: str) -> None:
    module, name = table.split(".")
    pairs = getattr({"names": names, "scoring": scoring, "burmese": burmese}[module], name)
    assert respell(text, spelling_rules(pairs)) == _each_pair_in_turn(text, pairs)


@given(st.text(alphabet="abdegiorsuzp", max_size=24))
def test_letters_replaced_in_turn_as_translate_replaces_them_at_once(text: str) -> None:
    """The tables of single letters give what str.translate gives: none maps a letter to one it replaces later."""
    for rules in (burmese._KEY_LETTERS, names._NO_VOWELS):
        table = str.maketrans({old: new or None for old, new in zip(rules.olds, rules.news, strict=True)})
        assert respell(text, rules) == text.translate(table)


EVERY_TABLE = (RULES, names._PHONETIC_RULES, names._LOOSE_DIGRAPHS, scoring._ROMANISATION_FOLDS, burmese._KEY_RULES,
               (("é", "e"), ("ß", "ss"), ("臺", "tai"), ("a臺", ""), ("ss", "s")))


@given(st.text(alphabet="abcehiksxéß臺 ", max_size=30))
def test_respell_in_c_and_in_python_is_the_loop_over_the_pairs(text: str) -> None:
    """Both ways, for every table the keys use and one beyond ASCII: the C table passes over the rules
    whose letters the text lacks, and must still see what an earlier rule wrote."""
    for pairs in EVERY_TABLE:
        expected = _each_pair_in_turn(text, pairs)
        assert respell(text, SpellingRules(pairs, in_c=False)) == expected
        assert respell(text, SpellingRules(pairs)) == expected


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
def test_the_tables_run_in_c_where_it_is_built() -> None:
    rules = spelling_rules((("sch", "s"), ("x", "ks")))
    assert rules.in_c is not None
    assert rules.in_c("schix") == "siks"
    with pytest.raises(TypeError):
        rules.in_c(b"schix")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="as many"):
        _in_c.Respelling(("a", "b"), ("c",))


@pytest.mark.parametrize(("letters", "text", "expected"), [("bkl", "baykal", True), ("", "any", True),
                                                         ("lkb", "baykal", False), ("aa", "ba", False),
                                                         ("aa", "baa", True), ("a", "", False)])
def test_letters_in_order(letters: str, text: str, expected: bool) -> None:
    assert in_order(letters, text) is expected
