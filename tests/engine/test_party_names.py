"""Party names at the input boundary: what is refused, what is cleaned, and that any text is one or the other."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from service.engine.declaration import Party
from service.engine.parties.index import PartyIndex
from service.engine.parties.sources import read_list
from service.engine.party_names import clean_party_name
from service.engine.verdict import ListStamp

OFAC_MINI = Path(__file__).resolve().parents[1] / "fixtures" / "ofac-mini"


@pytest.mark.parametrize(("written", "cleaned"), [
    ("Sharp\u200bEdge", "Sharp Edge"),  # zero-width space
    ("Sharp\u200cEdge\u200dCo", "Sharp Edge Co"),  # non-joiner, joiner
    ("Inter\u00adnational", "International"),  # soft hyphen: a break point inside a word, removed
    ("A\x85B", "A B"),  # next line: white space
    ("\ufeffSharp Edge", "Sharp Edge"),  # byte-order mark
    ("\u200fشركة\u200e Sharp", "شركة Sharp"),  # direction marks
    ("Sharp\t Edge\r\n Co", "Sharp Edge Co"),
    ("Sharp\u2060Edge", "Sharp Edge"),  # word joiner
    ("  Sharp   Edge  ", "Sharp Edge"),
    ("株式会社\ue000", "株式会社\ue000"),  # a private-use character (Big5 user-defined) is kept
    ("Ｓｈａｒｐ", "Ｓｈａｒｐ"),  # full width: the matcher folds it
])
def test_cleaned(written: str, cleaned: str) -> None:
    assert clean_party_name(written) == cleaned


@pytest.mark.parametrize(("written", "says"), [
    ("A\ud800B", "lone surrogate U+D800 at position 2"),
    ("A\x00B", "control character U+0000 at position 2"),
    ("A\x7fB", "control character U+007F"),
    ("A\x9bB", "control character U+009B"),
    ("A\u202aB", "bidirectional control character U+202A LEFT-TO-RIGHT EMBEDDING"),
    ("A\u202eB", "bidirectional control character U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("A\u2067B", "bidirectional control character U+2067"),
    ("A\uffffB", "noncharacter U+FFFF"),
    ("\u200b\u200c", "no letter or digit"),
    ("- / .", "no letter or digit"),
])
def test_refused(written: str, says: str) -> None:
    with pytest.raises(ValueError, match="party name"):
        clean_party_name(written)
    with pytest.raises(ValidationError) as caught:
        Party(name=written, country="JP")
    assert says in str(caught.value)


@pytest.fixture(scope="module")
def index() -> PartyIndex:
    entries = read_list("ofac", OFAC_MINI).entries
    return PartyIndex(entries, [ListStamp(name="ofac-sdn", version="test", entries=len(entries))])


@given(st.text(alphabet=st.characters(codec=None), max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_is_refused_or_cleaned_and_screenable(index: PartyIndex, text: str) -> None:
    try:
        party = Party(name=text, country="JP")
    except ValidationError as exc:
        assert [e["loc"] for e in exc.errors()] == [("name",)]
        return
    name = party.name
    assert name == name.strip() and "  " not in name and name.encode("utf-8")
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name)
    assert clean_party_name(name) == name
    index.match(name, "JP")  # the matcher gets only text it can take


def test_every_ascii_character_is_judged_as_by_its_unicode_category() -> None:
    for code in range(128):
        char = chr(code)
        name = f"Acme{char}Trading"
        if unicodedata.category(char) == "Cc" and not char.isspace():
            with pytest.raises(ValueError, match="control character"):
                clean_party_name(name)
        else:
            expected = "Acme Trading" if char.isspace() else name
            assert clean_party_name(name) == expected
