"""OpenSanctions targets.simple.csv, on a small local fixture of fictional entities."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine.parties.entry import EntryKind
from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.opensanctions import read_opensanctions
from tests.engine.parties.sources.paths import FIXTURES

TARGETS = FIXTURES / "opensanctions" / "targets.simple.csv"


def test_fixture_entries_and_skipped_rows() -> None:
    read = read_opensanctions(TARGETS)
    assert [entry.id for entry in read.entries] == [
        "fx-brevanti-trading", "fx-ivan-example", "fx-vessel-1", "fx-plane-1", "fx-unknown-country",
    ]
    assert [(w.row, w.message) for w in read.warnings] == [
        (6, "expected 15 columns, found 6; row skipped"), (7, "row has no id or no name; skipped"),
    ]


def test_multi_valued_cells_are_split() -> None:
    brevanti, ivan, vessel, plane, nowhere = read_opensanctions(TARGETS).entries
    assert brevanti.aliases == ["Бреванти Трейдинг ООО", "Brevanti Trading L.L.C."]
    assert brevanti.countries == ["RU", "AE"] and brevanti.kind is EntryKind.ORGANISATION
    assert ivan.kind is EntryKind.PERSON and ivan.programs == ["Fictional programme B - Test authority",
                                                               "Fictional programme C"]
    assert ivan.listed_on is None  # first_seen is not a listing date
    assert (vessel.kind, plane.kind) == (EntryKind.VESSEL, EntryKind.AIRCRAFT)
    assert nowhere.countries == []  # unknown codes are left out, not guessed


def test_header_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "targets.simple.csv"
    path.write_text("id,name\nx,y\n", encoding="utf-8")
    with pytest.raises(ListReadError, match="header lacks schema"):
        read_opensanctions(path)
