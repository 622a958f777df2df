"""BIS Denied Persons List: tab-separated, quoted, with a header."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.dpl import read_dpl
from tests.engine.parties.sources.paths import SHARED_DATA

DPL = SHARED_DATA / "bis-dpl" / "dpl.txt"


def test_all_581_rows_are_accounted_for() -> None:
    read = read_dpl(DPL)
    # Two rows are byte-for-byte repeats of the row above them: kept once, reported once.
    assert len(read.entries) == 579
    assert len(read.warnings) == 2 and all("duplicate entry id" in w.message for w in read.warnings)
    assert len(read.entries) + len(read.warnings) == 581


def test_fields_dates_and_embedded_aliases() -> None:
    entries = read_dpl(DPL).entries
    ash = entries[0]
    assert ash.name == "I. ASH" and ash.countries == ["US"] and str(ash.listed_on) == "2003-06-19"
    assert ash.addresses[0].endswith("SEAGOVILLE, TX, 75159, US")
    pearl = next(entry for entry in entries if entry.name == "PEARL LI")
    assert pearl.aliases == ["NEI-CHIEN CHU"]
    siberian = next(entry for entry in entries if entry.name == "SIBERIAN AIRLINES")
    assert siberian.aliases == ["S7 AIRLINES"]


def test_broken_row_is_skipped(tmp_path: Path) -> None:
    lines = DPL.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "dpl.txt"
    path.write_text("\n".join([lines[0], '"ONLY"\t"TWO FIELDS"', lines[1], '"A"\t"UNCLOSED'] ) + "\n", encoding="utf-8")
    read = read_dpl(path)
    assert [entry.name for entry in read.entries] == ["I. ASH"]
    assert [w.row for w in read.warnings] == [2, 4]


def test_wrong_header_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "dpl.txt"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(ListReadError, match="not a Denied Persons List"):
        read_dpl(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(ListReadError, match="empty"):
        read_dpl(path)
