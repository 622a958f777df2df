"""The SHTC Entity List reader on a fixture with the published file's quirks (tests/fixtures/tw-shtc)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import ListReadError, default_list_name, read_list
from service.engine.parties.sources.tw_shtc import read_tw_shtc, split_addresses, split_aliases, split_names
from tests.engine.parties.sources.paths import FIXTURES

FIXTURE = FIXTURES / "tw-shtc" / "entity-list.csv"


def by_name() -> dict[str, ListEntry]:
    return {entry.name: entry for entry in read_tw_shtc(FIXTURE).entries}


def test_fixture_entries_and_skipped_rows() -> None:
    read = read_list("tw-shtc", FIXTURE)
    assert default_list_name("tw-shtc", FIXTURE) == "tw-shtc"
    assert [entry.name for entry in read.entries] == [
        "I Machine Technology", "Huawei", "SMIC", "Fictitious Tooling Supply LLC",
        "Imaginary Electronics Trading Limited", "PLACEHOLDER, Fiktivny Person", "Madeup Logistics FZE",
    ]
    assert [str(w) for w in read.warnings] == [
        "entity-list.csv:8: row has no name; skipped",
        "entity-list.csv:10: expected 6 columns, found 2; row skipped",
        "entity-list.csv: duplicate entry id 'tw-shtc-4dab6660d538' (Fictitious Tooling Supply LLC) dropped",
    ]
    assert all(e.source_list == "tw-shtc" and "Foreign Trade Act Art. 13" in e.programs[0] for e in read.entries)


def test_quirks_of_names_aliases_and_addresses() -> None:
    entries = by_name()
    tooling = entries["Fictitious Tooling Supply LLC"]
    assert tooling.aliases == ["FTS LLC", "Fictitious Tooling", "Fiktivny Instrument OOO", "虛構工具供應公司"]
    assert tooling.addresses == ["12 Example Street, Moscow", "3 Sample Avenue, Minsk"]
    assert tooling.countries == ["RU", "BY"]
    imaginary = entries["Imaginary Electronics Trading Limited"]
    assert imaginary.aliases == ["虚构电子贸易有限公司"]
    assert imaginary.remarks == "UN permanent reference QDx.901"
    assert imaginary.addresses == ["Unit 1, Sample Tower, Hong Kong", "Room 2, Example Plaza, Shenzhen"]
    person = entries["PLACEHOLDER, Fiktivny Person"]
    assert person.addresses == [] and person.countries == ["AE"]
    assert "Passport X0000001 (invented)" in person.remarks


@pytest.mark.parametrize(("cell", "names", "reference"), [
    ("ACME", ["ACME"], None),
    ("A; B；C", ["A", "B", "C"], None),
    ("Main Name alias: Other; Third", ["Main Name", "Other", "Third"], None),
    ("NAME（永久參考號：QDe.999）", ["NAME"], "QDe.999"),
    ("NAME (永久參考號: QDe.998)", ["NAME"], "QDe.998"),
    ("  ", [], None),
])
def test_split_names(cell: str, names: list[str], reference: str | None) -> None:
    assert split_names(cell) == (names, reference)


def test_split_aliases_and_addresses() -> None:
    assert split_aliases("<span id='alias'>X</span>; 繁體中文：甲；簡體中文: 乙;;") == ["X", "甲", "乙"]
    assert split_addresses("i) One St ii) Two St; TW") == (["One St", "Two St"], ["TW"])
    assert split_addresses("Branch Office 1: A; Branch Office 16: B") == (["A", "B"], [])


def test_ids_come_from_the_content_not_the_running_number(tmp_path: Path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:]
    renumbered = [f"{900 + n},{row.split(',', 1)[1]}" for n, row in enumerate(reversed(rows))]
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([header, *renumbered]) + "\n", encoding="utf-8")
    ids = {entry.name: entry.id for entry in read_tw_shtc(FIXTURE).entries}
    assert {entry.name: entry.id for entry in read_tw_shtc(shuffled).entries} == ids
    assert len(set(ids.values())) == len(ids)


def test_a_file_of_another_shape_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("id,title\n1,x\n", encoding="utf-8")
    with pytest.raises(ListReadError, match="not an SHTC Entity List file"):
        read_tw_shtc(other)


@given(st.text(alphabet=st.sampled_from("ab ;；:（）()<>/iv永久參考號：繁體中文alias"), max_size=60))
def test_cell_splitting_never_fails_and_never_yields_blanks(cell: str) -> None:
    names, _ = split_names(cell)
    addresses, countries = split_addresses(cell)
    for value in [*names, *split_aliases(cell), *addresses, *countries]:
        assert value.strip() and value == value.strip() and ";" not in value and "；" not in value
