"""Abbreviations of business words and places: written out on both sides, and never a word of a name."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine.parties.abbreviations import BUSINESS, PLACE_PHRASES, PLACES
from service.engine.parties.entry import EntryKind
from service.engine.parties.names import normalise_name
from service.engine.parties.scoring import country_words, score_names
from service.engine.parties.sources import read_list

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.fixture(scope="module")
def person_words() -> set[str]:
    """Every word of every listed person's names (OFAC 2021 and UN), as the normaliser reads it."""
    words: set[str] = set()
    lists = (("ofac", DATA / "ofac-sdn-2021"), ("un", DATA / "un-consolidated" / "UN_consolidated.xml"))
    for list_format, path in lists:
        for entry in read_list(list_format, path).entries:
            if entry.kind is EntryKind.PERSON:
                for name in entry.all_names():
                    words.update(w.strip(".,()'-").casefold() for w in name.split())
    return words


def test_no_abbreviation_is_a_word_of_a_listed_persons_name(person_words: set[str]) -> None:
    """'Eng' is a family name and 'Dev' a given name: written out as a business word, a person's name
    would change. Every abbreviation of the table is checked against the listed people's words."""
    written_out = {**BUSINESS, **PLACES}
    clashes = sorted(a for a, full in written_out.items() if a != full and a in person_words)
    assert clashes == []


def test_places_are_country_words() -> None:
    """A place written out is a country word, so the scorer's country-in-one-name rule sees it the same
    way whether it was abbreviated (HK) or written in full (Hong Kong)."""
    assert set(PLACES.values()) - country_words() <= {"saudi"}
    assert set(PLACE_PHRASES.values()) <= set(PLACES.values())


@pytest.mark.parametrize(("short", "full"), [
    ("Jetlink Textiles Trdg", "JETLINK TEXTILES TRADING"),
    ("Koryo Credit Devt Bank", "KORYO CREDIT DEVELOPMENT BANK"),
    ("Al-Bashair Trdg Company, LTD", "AL-BASHAIR TRADING COMPANY, LTD"),
    ("Norvane Intl Hldgs", "Norvane International Holdings"),
    ("Quillby Mfg Svcs", "Quillby Manufacturing Services"),
    ("Tessaro Bros Engg", "Tessaro Brothers Engineering"),
    ("Sino Velmar HK Ltd", "Sino Velmar Hong Kong Limited"),
    ("Velmar Trading UAE", "Velmar Trading United Arab Emirates"),
    ("Velmar Trading KSA", "Velmar Trading Kingdom of Saudi Arabia"),
    ("Velmar Machinery PRC", "Velmar Machinery People's Republic of China"),
    ("Velmar Shipping UK", "Velmar Shipping United Kingdom"),
    ("Velmar Trading RF", "Velmar Trading Russian Federation"),
    ("Velmar Imports USA", "Velmar Imports United States of America"),
])
def test_abbreviations_are_the_words_they_stand_for(short: str, full: str) -> None:
    assert normalise_name(short).tokens == normalise_name(full).tokens
    assert score_names(short, full).score >= 90


def test_an_abbreviated_place_on_one_side_only_is_still_a_country_word() -> None:
    assert score_names("Sino Velmar HK Ltd", "Sino Velmar Ltd").score < 70
