"""UN Security Council Consolidated List XML: INDIVIDUALS/INDIVIDUAL and ENTITIES/ENTITY records.

Parsed with the standard library's iterparse, record by record; the XML parser resolves no external
entities and fetches nothing. An individual's name is FIRST_NAME..FOURTH_NAME joined in that order;
the name in original script (e.g. Arabic, Cyrillic) becomes an alias.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.sources.reading import (
    ListRead,
    ListReadError,
    country_codes,
    iso_date,
    read_bytes,
    require_entries,
    unique_ids,
)

LIST_NAME = "un-sc"
SOURCE_URL = "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list"
_RECORDS = {"INDIVIDUAL": EntryKind.PERSON, "ENTITY": EntryKind.ORGANISATION}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ADDRESS_PARTS = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")


def read_un(path: Path, list_name: str = LIST_NAME) -> ListRead:
    """Read the consolidated XML; a record without a name is warned and skipped."""
    data = read_bytes(path)  # the same missing/empty check as every reader
    result = ListRead()
    try:
        for number, (_event, element) in enumerate(_records(io.BytesIO(data)), start=1):
            entry = _entry(element, list_name)
            if entry is None:
                result.warn(path.name, number, f"{element.tag} {_text(element, 'DATAID')!r} has no name; skipped")
            else:
                result.entries.append(entry)
            element.clear()
    except ET.ParseError as exc:
        raise ListReadError(f"{path}: not well-formed XML ({exc}); the file may be truncated") from exc
    unique_ids(result, path.name)
    return require_entries(result, path)


def _records(stream: BinaryIO) -> Iterator[tuple[str, ET.Element]]:
    """End events of INDIVIDUAL and ENTITY elements."""
    return ((event, element) for event, element in ET.iterparse(stream, events=("end",)) if element.tag in _RECORDS)


def _text(element: ET.Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _entry(element: ET.Element, list_name: str) -> ListEntry | None:
    name = " ".join(filter(None, (_text(element, part) for part in _NAME_PARTS)))
    if not name:
        return None
    kind = _RECORDS[element.tag]
    aliases = [alias.text.strip() for alias in element.iter("ALIAS_NAME") if alias.text and alias.text.strip()]
    original = _text(element, "NAME_ORIGINAL_SCRIPT")
    addresses = [_address(address) for address in element.iter(f"{element.tag}_ADDRESS")]
    nationalities = [value.text.strip() for value in element.iterfind("NATIONALITY/VALUE") if value.text]
    return ListEntry(
        id=_text(element, "REFERENCE_NUMBER") or _text(element, "DATAID"),
        source_list=list_name,
        name=name,
        aliases=[a for a in dict.fromkeys([*([original] if original else []), *aliases]) if a != name],
        kind=kind,
        countries=country_codes([*(country for _, country in addresses if country), *nationalities]),
        addresses=[text for text, _ in addresses if text],
        programs=[program] if (program := _text(element, "UN_LIST_TYPE")) else [],
        listed_on=iso_date(_text(element, "LISTED_ON")),
        remarks="; ".join(filter(None, [_births(element), _text(element, "COMMENTS1")])) or None,
        source_url=SOURCE_URL,
    )


def _births(element: ET.Element) -> str:
    """'born 1971-03-02 or 1972' from the DATE_OF_BIRTH records (date, year or year range)."""
    dates = []
    for birth in element.iter("INDIVIDUAL_DATE_OF_BIRTH"):
        date = _text(birth, "DATE") or _text(birth, "YEAR")
        span = "-".join(filter(None, (_text(birth, "FROM_YEAR"), _text(birth, "TO_YEAR"))))
        if date or span:
            dates.append(date or span)
    return f"born {' or '.join(dict.fromkeys(dates))}" if dates else ""


def _address(element: ET.Element) -> tuple[str, str]:
    """(address as one line, country) of an *_ADDRESS element."""
    parts = [_text(element, part) for part in _ADDRESS_PARTS]
    return ", ".join(filter(None, parts)), parts[-1]

