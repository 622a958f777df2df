"""OpenSanctions `targets.simple.csv`: one row per target entity, multi-valued cells separated by `;`.

OpenSanctions publishes no listing date in this export (first_seen is when *it* first saw the entity),
so `listed_on` stays empty; the sanctions column (programme and authority texts) becomes `programs`.
Note that OpenSanctions data is licensed CC BY-NC 4.0: commercial use needs their licence.
"""

from __future__ import annotations

from pathlib import Path

from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.sources.reading import (
    ListRead,
    country_codes,
    header_records,
    require_entries,
    split_list,
    unique_ids,
)

LIST_NAME = "opensanctions"
ENTITY_URL = "https://www.opensanctions.org/entities/{id}/"
REQUIRED = ("id", "schema", "name", "aliases", "countries", "addresses", "sanctions", "dataset")
_KINDS = {"person": EntryKind.PERSON, "vessel": EntryKind.VESSEL, "airplane": EntryKind.AIRCRAFT}


def read_opensanctions(path: Path, list_name: str = LIST_NAME) -> ListRead:
    """Read targets.simple.csv (header row required)."""
    result = ListRead()
    for number, row in header_records(path, result, REQUIRED, "an OpenSanctions targets.simple.csv"):
        if not row["id"] or not row["name"]:
            result.warn(path.name, number, "row has no id or no name; skipped")
            continue
        result.entries.append(_entry(row, list_name))
    unique_ids(result, path.name)
    return require_entries(result, path)


def _entry(row: dict[str, str], list_name: str) -> ListEntry:
    name = row["name"]
    details = [
        f"born {', '.join(split_list(row.get('birth_date')))}" if row.get("birth_date") else "",
        f"identifiers: {', '.join(split_list(row.get('identifiers')))}" if row.get("identifiers") else "",
        f"datasets: {', '.join(split_list(row['dataset']))}" if row["dataset"] else "",
    ]
    return ListEntry(
        id=row["id"],
        source_list=list_name,
        name=name,
        aliases=[alias for alias in split_list(row["aliases"]) if alias != name],
        kind=_KINDS.get(row["schema"].lower(), EntryKind.ORGANISATION),
        countries=country_codes(split_list(row["countries"])),
        addresses=split_list(row["addresses"]),
        programs=split_list(row["sanctions"]),
        remarks="; ".join(filter(None, details)) or None,
        source_url=ENTITY_URL.format(id=row["id"]),
    )
