"""UN Security Council consolidated XML: counts, joined names, aliases, nationality; broken files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from service.engine.parties.entry import EntryKind
from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.un import read_un
from tests.engine.parties.sources.paths import SHARED_DATA

UN = SHARED_DATA / "un-consolidated" / "UN_consolidated.xml"


@pytest.fixture(scope="module")
def by_id() -> dict:
    read = read_un(UN)
    assert read.warnings == []
    return {entry.id: entry for entry in read.entries}


def test_individuals_and_entities_are_all_read(by_id: dict) -> None:
    assert Counter(entry.kind for entry in by_id.values()) == {EntryKind.PERSON: 730, EntryKind.ORGANISATION: 273}


def test_individual_names_addresses_nationality(by_id: dict) -> None:
    badege = by_id["CDi.001"]
    assert badege.name == "ERIC BADEGE"
    assert badege.countries == ["RW", "CD"]  # address country, then nationality
    assert badege.programs == ["DRC"]
    assert str(badege.listed_on) == "2012-12-31"
    assert (badege.remarks or "").startswith("born 1971; He fled to Rwanda")


def test_entity_aliases(by_id: dict) -> None:
    adf = by_id["CDe.001"]
    assert adf.name == "ADF"
    assert "Allied Democratic Forces" in adf.aliases


def test_original_script_names_become_aliases(by_id: dict) -> None:
    scripts = [entry for entry in by_id.values() if any(not alias.isascii() for alias in entry.aliases)]
    assert len(scripts) > 100


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "un.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_truncated_xml_is_an_error(tmp_path: Path) -> None:
    cut = UN.read_text(encoding="utf-8")[:50_000]
    with pytest.raises(ListReadError, match="not well-formed"):
        read_un(_write(tmp_path, cut))


def test_record_without_name_is_skipped_with_a_warning(tmp_path: Path) -> None:
    xml = ("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><REFERENCE_NUMBER>X.1</REFERENCE_NUMBER>"
           "<FIRST_NAME>ANNA</FIRST_NAME><THIRD_NAME>EXAMPLE</THIRD_NAME></INDIVIDUAL>"
           "<INDIVIDUAL><DATAID>2</DATAID><FIRST_NAME/></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>")
    read = read_un(_write(tmp_path, xml))
    assert [entry.name for entry in read.entries] == ["ANNA EXAMPLE"]
    assert read.warnings[0].row == 2 and "no name" in read.warnings[0].message


def test_empty_and_entry_less_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ListReadError, match="empty"):
        read_un(_write(tmp_path, ""))
    with pytest.raises(ListReadError, match="no list entries"):
        read_un(_write(tmp_path, "<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>"))
