"""US Consolidated Screening List CSV, both published shapes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from service.engine.parties.entry import EntryKind
from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.csl import read_csl
from tests.engine.parties.sources.paths import SHARED_DATA

CSL = SHARED_DATA / "us-csl-sample"


def test_classic_file_counts_and_kinds() -> None:
    read = read_csl(CSL / "csl.csv")
    assert len(read.entries) == 115 and read.warnings == []
    assert Counter(entry.kind for entry in read.entries) == {
        EntryKind.ORGANISATION: 93, EntryKind.PERSON: 20, EntryKind.VESSEL: 2,
    }
    sub_lists = Counter(entry.programs[0] for entry in read.entries)
    assert sub_lists["Entity List (EL) - Bureau of Industry and Security"] == 22
    assert len({entry.id for entry in read.entries}) == 115


def test_alt_names_addresses_countries() -> None:
    by_name = {entry.name: entry for entry in read_csl(CSL / "csl.csv").entries}
    assert by_name["ADRIAN MANUEL HERNANDEZ"].addresses == ["3037 S. 69TH DRIVE, PHONEIX, AZ, 85043"]  # name stripped
    tir = next(entry for entry in by_name.values() if "SEVENTH OF TIR" in entry.aliases)
    assert "7TH OF TIR INDUSTRIES" in tir.aliases and len(tir.aliases) == 7
    group = by_name["32 Group China Ltd."]
    assert group.countries == ["HK"] and len(group.addresses) == 2
    assert str(group.listed_on) == "2015-11-12"


def test_newer_file_with_leading_id_column() -> None:
    read = read_csl(CSL / "consolidated.csv")
    assert len(read.entries) == 13
    rim = next(entry for entry in read.entries if entry.name == "RIM, Ryong Nam")
    assert rim.kind is EntryKind.PERSON and rim.countries == ["CN", "KP"] and rim.programs[1] == "NPWMD"
    assert rim.id == "52291"  # the file's own _id


def test_broken_and_nameless_rows_are_skipped(tmp_path: Path) -> None:
    lines = (CSL / "csl.csv").read_text(encoding="utf-8").splitlines()
    broken = "Entity List (EL) - Bureau of Industry and Security,,,,Too Few Columns"
    nameless = "Entity List (EL) - Bureau of Industry and Security" + "," * 27
    path = tmp_path / "csl.csv"
    path.write_text("\n".join([lines[0], broken, *lines[1:4], nameless]) + "\n", encoding="utf-8")
    read = read_csl(path)
    assert [entry.name for entry in read.entries][:1] == ["ADRIAN MANUEL HERNANDEZ"]
    assert [(w.row, w.message.split(";")[0]) for w in read.warnings] == [
        (2, "expected 28 columns, found 5"), (6, "row has no name"),
    ]


def test_not_a_csl_file(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ListReadError, match="not a CSL file"):
        read_csl(path)


def test_ids_fall_back_to_entity_number_then_a_stable_hash() -> None:
    entries = read_csl(CSL / "csl.csv").entries
    by_name = {entry.name: entry.id for entry in entries}
    assert by_name["32 Group China Ltd."].startswith("EL-")  # no entity number: hash of source, name, addresses
    assert by_name == {entry.name: entry.id for entry in read_csl(CSL / "csl.csv").entries}  # stable
