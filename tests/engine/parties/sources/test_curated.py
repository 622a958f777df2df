"""The project's curated YAML lists: the shipped Taiwan list and the validation every entry must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine.parties.sources import ListReadError, read_list
from service.engine.parties.sources.curated import parse_curated, read_curated
from tests.engine.parties.sources.paths import REPO

BUNDLED = REPO / "rules" / "lists" / "taiwan-curated.yaml"

VALID = """\
list:
  name: test-list
  title: Test
entries:
  - id: e1
    name: Example Trading LLC
    countries: [Russia]
    listing:
      basis: Test basis
      authority: Test authority
      date: 2024-01-02
      source: https://example.org/listing
"""


def test_bundled_taiwan_list_holds_only_parties_with_a_listing_basis() -> None:
    curated = parse_curated(BUNDLED)
    assert curated.header.name == "tw-curated"
    assert [entry.id for entry in curated.entries] == [
        "tw-el-2024-i-machine-technology", "ofac-sdn-2022-sharp-edge-engineering", "tw-el-2025-huawei",
        "tw-el-2025-smic",
    ]
    names = {entry.name for entry in curated.entries}
    for end_user_only in ("Kometa", "Avangard", "MCST", "Baikal"):
        assert not any(end_user_only in name for name in names)


def test_bundled_entries_carry_basis_source_and_date() -> None:
    by_id = {entry.id: entry for entry in read_curated(BUNDLED).entries}
    sharp_edge = by_id["ofac-sdn-2022-sharp-edge-engineering"]
    assert sharp_edge.aliases == ["銳元科技"] and sharp_edge.countries == ["TW"]
    assert str(sharp_edge.listed_on) == "2022-11-14" and "OFAC" in sharp_edge.programs[0]
    machine = by_id["tw-el-2024-i-machine-technology"]
    assert machine.countries == ["RU"] and "pid=778545" in (machine.source_url or "")
    assert all(entry.source_list == "tw-curated" and entry.programs and entry.listed_on for entry in by_id.values())


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "list.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_reads_with_countries_normalised(tmp_path: Path) -> None:
    read = read_list("yaml", _write(tmp_path, VALID))
    assert read.entries[0].countries == ["RU"] and read.entries[0].source_list == "test-list"


@pytest.mark.parametrize(("removed", "field"), [
    ("      basis: Test basis\n", "entries.0.listing.basis"),
    ("      source: https://example.org/listing\n", "entries.0.listing.source"),
    ("      date: 2024-01-02\n", "entries.0.listing.date"),
])
def test_basis_source_and_date_are_required(tmp_path: Path, removed: str, field: str) -> None:
    with pytest.raises(ListReadError, match=rf"list.yaml:\d+: {field}: Field required"):
        read_curated(_write(tmp_path, VALID.replace(removed, "")))


def test_whole_listing_is_required(tmp_path: Path) -> None:
    text = VALID.split("    listing:")[0]
    with pytest.raises(ListReadError, match=r"list.yaml:5: entries.0.listing: Field required"):
        read_curated(_write(tmp_path, text))


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    name: Example", "    nickname: x\n    name: Example", "Extra inputs are not permitted"),
    ("[Russia]", "[Atlantis]", "unknown country"),
    ("date: 2024-01-02", "date: soon", "valid date"),
    ("basis: Test basis", "basis: '  '", "at least 1 character"),
    ("name: test-list", "name: Test List", "should match pattern"),
])
def test_invalid_entries_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ListReadError, match=rf"list.yaml:\d+: .*{message}"):
        read_curated(_write(tmp_path, VALID.replace(old, new)))


def test_duplicate_ids_and_bad_yaml(tmp_path: Path) -> None:
    entry = VALID.split("entries:\n")[1]
    with pytest.raises(ListReadError, match="repeated: e1"):
        read_curated(_write(tmp_path, VALID + entry))
    with pytest.raises(ListReadError, match="invalid YAML"):
        read_curated(_write(tmp_path, "list: [unclosed\n"))


@pytest.mark.parametrize(("written", "applies_from", "shown"), [
    ("2024-01-02", "2024-01-02", "2024-01-02"),
    ("2024-01", "2024-01-01", "2024-01"),  # only the month is known: from its first day
    ("null", None, "date unknown"),  # no known date: applies at all dates
])
def test_listing_date_forms(tmp_path: Path, written: str, applies_from: str | None, shown: str) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(VALID.replace("date: 2024-01-02", f"date: {written}"), encoding="utf-8")
    [entry] = read_curated(path).entries
    assert (str(entry.listed_on) if entry.listed_on else None) == applies_from
    assert entry.programs[0].endswith(f", {shown})")


def test_a_month_must_be_a_real_month(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(VALID.replace("date: 2024-01-02", "date: 2024-13"), encoding="utf-8")
    with pytest.raises(ListReadError, match=r"entries.0.listing.date"):
        read_curated(path)
