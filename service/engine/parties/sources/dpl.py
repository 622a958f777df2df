"""BIS Denied Persons List (dpl.txt): tab-separated, every field double-quoted, one header row.

The file has no entry id and no person/organisation flag, and one denied person often has several
rows (one per address). Each row becomes one entry with an id hashed from its name, address and order
date, so the id survives re-imports; the kind stays `organisation` because the file does not say.
"""

from __future__ import annotations

import re
from pathlib import Path

from service.engine.parties.entry import ListEntry
from service.engine.parties.sources.reading import (
    ListRead,
    country_codes,
    header_records,
    iso_date,
    require_entries,
    stable_id,
    unique_ids,
)

LIST_NAME = "bis-dpl"
SOURCE_URL = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/denied-persons-list"
# Names sometimes embed another name: "PEARL (A.K.A. NEI-CHIEN CHU) LI", "SIBERIAN AIRLINES D/B/A S7 AIRLINES".
_EMBEDDED_AKA = re.compile(r"\s*\((?:A\.?K\.?A\.?|F\.?K\.?A\.?)\s+([^)]+)\)\s*", re.IGNORECASE)
_DOING_BUSINESS_AS = re.compile(r"\s+D/B/A\s+", re.IGNORECASE)
COLUMNS = ("name", "street_address", "city", "state", "country", "postal_code", "effective_date",
           "expiration_date", "standard_order", "last_update", "action", "fr_citation")


def read_dpl(path: Path, list_name: str = LIST_NAME) -> ListRead:
    """Read dpl.txt; rows with the wrong number of fields or no name are warned and skipped."""
    result = ListRead()
    for number, row in header_records(path, result, COLUMNS, "a Denied Persons List file", delimiter="\t"):
        if not row["name"]:
            result.warn(path.name, number, "row has no name; skipped")
            continue
        result.entries.append(_entry(row, list_name))
    unique_ids(result, path.name)
    return require_entries(result, path)


def _entry(row: dict[str, str], list_name: str) -> ListEntry:
    address = ", ".join(filter(None, (row[c] for c in ("street_address", "city", "state", "postal_code", "country"))))
    remarks = "; ".join(filter(None, (
        f"expires {row['expiration_date']}" if row["expiration_date"] else "",
        row["action"], row["fr_citation"],
    )))
    name, aliases = _names(row["name"])
    return ListEntry(
        id=stable_id("dpl", row["name"], address, row["effective_date"]),
        source_list=list_name,
        name=name,
        aliases=aliases,
        countries=country_codes([row["country"]] if row["country"] else []),
        addresses=[address] if address else [],
        programs=["Denied Persons List (BIS denial order)"],
        listed_on=iso_date(row["effective_date"], ("%m/%d/%Y",)),
        remarks=remarks or None,
        source_url=SOURCE_URL,
    )


def _names(listed: str) -> tuple[str, list[str]]:
    """The name without embedded a.k.a./d.b.a. parts, and those parts as aliases."""
    aliases = [match.strip() for match in _EMBEDDED_AKA.findall(listed)]
    name = _EMBEDDED_AKA.sub(" ", listed).strip()
    first, *trade_names = _DOING_BUSINESS_AS.split(name)
    return first.strip(), [*aliases, *(trade.strip() for trade in trade_names)]
