"""OFAC legacy CSV: the real 2021 files (counts from the data README) and fixtures for the format's quirks."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from service.engine.parties.entry import EntryKind
from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.ofac import read_ofac
from tests.engine.parties.sources.paths import FIXTURES, SHARED_DATA

OFAC = SHARED_DATA / "ofac-sdn-2021"
MINI = FIXTURES / "ofac-mini"


@pytest.fixture(scope="module")
def real() -> dict[str, object]:
    read = read_ofac(OFAC)
    return {"read": read, "by_id": {entry.id: entry for entry in read.entries}}


def test_every_sdn_record_is_read_with_its_kind(real: dict) -> None:
    read = real["read"]
    assert len(read.entries) == 8976
    assert Counter(entry.kind for entry in read.entries) == {
        EntryKind.PERSON: 4620, EntryKind.ORGANISATION: 3673, EntryKind.VESSEL: 406, EntryKind.AIRCRAFT: 277,
    }
    assert read.warnings == [] and read.incomplete == []


def test_aliases_are_attached_to_their_records(real: dict) -> None:
    entries = real["read"].entries
    assert sum(len(entry.aliases) for entry in entries) >= 11_900  # 11,910 rows, a few repeat the primary name
    assert sum(1 for entry in entries if entry.aliases) >= 4_130  # README: aliases for 4,139 ent_nums
    assert real["by_id"]["306"].aliases == ["NATIONAL BANK OF CUBA"]


def test_addresses_countries_programmes_and_remarks(real: dict) -> None:
    bank = real["by_id"]["306"]
    assert bank.name == "BANCO NACIONAL DE CUBA"
    assert bank.countries == ["CH", "ES", "JP", "PA"]
    assert bank.addresses[0] == "Zweierstrasse 35, Zurich CH-8022, Switzerland"
    assert bank.remarks == "a.k.a. 'BNC'."
    assert real["by_id"]["2686"].programs == ["SDGT", "SYRIA"]
    assert real["by_id"]["2686"].name == "NASRALLAH, Hasan"  # person names stay as listed


def test_comment_overflow_continues_the_remarks(real: dict) -> None:
    remarks = real["by_id"]["12300"].remarks or ""
    assert remarks.endswith("Linked To: R D I S.A.")
    assert "Linked To: FUNDACION SALVA LA SELVA" in remarks


def test_list_specific_country_spellings_are_understood(real: dict) -> None:
    with_drc = [e for e in real["read"].entries if any("Congo, Democratic Republic" in a for a in e.addresses)]
    assert with_drc and all("CD" in entry.countries for entry in with_drc)


def test_fixture_quirks_ctrl_z_empty_marker_broken_rows() -> None:
    read = read_ofac(MINI)
    assert [entry.id for entry in read.entries] == ["36", "173", "306", "2686", "4234"]
    assert [(w.file, w.row) for w in read.warnings] == [("sdn.csv", 3), ("sdn.csv", 7), ("alt.csv", None)]
    assert "expected 12 columns" in read.warnings[0].message
    assert read.incomplete == []
    vessel = read.entries[-1]
    assert vessel.kind is EntryKind.VESSEL and vessel.addresses == [] and vessel.countries == []
    assert vessel.remarks is not None and vessel.remarks.startswith("Vessel: call sign CL2685")
    anglo = read.entries[1]
    assert anglo.countries == ["GB"]  # "Lemuria" is no country: kept as address text, no country recorded
    assert "Atlantis, Lemuria" in anglo.addresses


def test_sdn_csv_path_and_upper_case_file_names(tmp_path: Path) -> None:
    for child in MINI.iterdir():
        shutil.copy(child, tmp_path / child.name.upper())
    assert len(read_ofac(tmp_path / "SDN.CSV").entries) == 5


def test_missing_ctrl_z_marks_the_list_incomplete(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "set")
    sdn = tmp_path / "set" / "sdn.csv"
    sdn.write_bytes(sdn.read_bytes().rstrip(b"\x1a"))
    read = read_ofac(tmp_path / "set")
    assert len(read.entries) == 5
    assert read.incomplete and "sdn.csv" in read.incomplete[0]


@pytest.mark.parametrize("content", [b"", b"\x1a", b"\r\n"])
def test_empty_sdn_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "sdn.csv").write_bytes(content)
    with pytest.raises(ListReadError, match="empty"):
        read_ofac(tmp_path)


def test_missing_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ListReadError, match=r"sdn\.csv not found"):
        read_ofac(tmp_path)
    with pytest.raises(ListReadError, match="no such file"):
        read_ofac(tmp_path / "nowhere" / "sdn.csv")


def test_a_file_of_only_broken_rows_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_bytes(b'1,"ONLY THREE",-0- \r\n\x1a')
    with pytest.raises(ListReadError, match="no list entries"):
        read_ofac(tmp_path)


def test_side_files_are_optional(tmp_path: Path) -> None:
    shutil.copy(MINI / "sdn.csv", tmp_path / "sdn.csv")
    read = read_ofac(tmp_path)
    assert len(read.entries) == 5 and all(not entry.aliases for entry in read.entries)
