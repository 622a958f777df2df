"""US Consolidated Screening List (trade.gov) CSV: eleven US export and sanctions lists in one file.

Both published shapes are read: the classic 28 columns and the newer file with a leading `_id`. The
sub-list a row comes from (e.g. "Entity List (EL) - Bureau of Industry and Security") is the first
programme of the entry, because it is the listing basis an officer needs to see.
"""

from __future__ import annotations

from pathlib import Path

from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.sources.reading import (
    ListRead,
    country_codes,
    header_records,
    iso_date,
    require_entries,
    split_list,
    stable_id,
    unique_ids,
)

LIST_NAME = "us-csl"
REQUIRED = ("source", "name", "alt_names", "addresses", "type", "programs")
_KINDS = {"individual": EntryKind.PERSON, "vessel": EntryKind.VESSEL, "aircraft": EntryKind.AIRCRAFT}


def read_csl(path: Path, list_name: str = LIST_NAME) -> ListRead:
    """Read a CSL CSV file (header row required)."""
    result = ListRead()
    for number, row in header_records(path, result, REQUIRED, "a CSL file"):
        entry = _entry(row, list_name, number, path.name, result)
        if entry is not None:
            result.entries.append(entry)
    unique_ids(result, path.name)
    return require_entries(result, path)


def _entry(row: dict[str, str], list_name: str, number: int, file: str, result: ListRead) -> ListEntry | None:
    """One CSL row as an entry, or None (warned) if it has no name."""
    name = row["name"].strip()
    if not name:
        result.warn(file, number, "row has no name; skipped")
        return None
    addresses = split_list(row["addresses"])
    # Each address ends in an alpha-2 code ("..., Moscow, 115035, RU"); a bare code is an address too.
    places = [address.rsplit(",", 1)[-1] for address in addresses]
    nationalities = split_list(row.get("nationalities"), ",") + split_list(row.get("citizenships"), ",")
    source = row["source"].strip()
    return ListEntry(
        id=_id(row, source, name),
        source_list=list_name,
        name=name,
        aliases=[alias for alias in split_list(row["alt_names"]) if alias != name],
        kind=_KINDS.get(row["type"].strip().lower(), EntryKind.ORGANISATION),
        countries=country_codes([*places, *(n.strip() for n in nationalities)]),
        addresses=addresses,
        programs=list(dict.fromkeys(filter(None, [source, *split_list(row["programs"])]))),
        listed_on=iso_date(row.get("start_date", "")),
        remarks=_remarks(row),
        source_url=(row.get("source_information_url") or row.get("source_list_url") or "").strip() or None,
    )


def _id(row: dict[str, str], source: str, name: str) -> str:
    """The file's `_id`, else the list's own entity number, else a hash of source, name and addresses."""
    if row.get("_id", "").strip():
        return row["_id"].strip()
    if row.get("entity_number", "").strip():
        return f"{_abbreviation(source)}-{row['entity_number'].strip()}"
    return stable_id(_abbreviation(source), source, name, row["addresses"])


def _abbreviation(source: str) -> str:
    """'Entity List (EL) - Bureau of Industry and Security' -> 'EL' (or 'CSL' if there is none)."""
    start, end = source.find("("), source.find(")")
    return source[start + 1 : end] if 0 <= start < end else "CSL"



def _remarks(row: dict[str, str]) -> str | None:
    """The row's remarks plus the details a reviewer uses to rule a hit in or out."""
    parts = [
        row.get("remarks", "").strip(),
        f"born {row['dates_of_birth'].strip()}" if row.get("dates_of_birth", "").strip() else "",
        f"identifiers: {row['ids'].strip()}" if row.get("ids", "").strip() else "",
    ]
    return "; ".join(filter(None, parts)) or None
