"""Taiwan's Strategic High-Tech Commodities Entity List (戰略性高科技貨品出口實體管理名單), CSV.

Published by MOEA's International Trade Administration under Foreign Trade Act Art. 13. UTF-8, usually
with a byte-order mark; one row per entity; bilingual headers ("名稱name", "別名alias", ...) that may
carry stray spaces, so columns are found by their English part. The running number (項次item) changes
between versions, so each entry's id is a hash of its content (normalised primary name, aliases and
countries). The file does not say which entries are persons, so every entry keeps the default kind.
Quirks handled: several names in one cell, an embedded " alias:" part, a UN permanent reference number
in full-width brackets after the name, full-width semicolons, stray HTML in aliases, "繁體中文：" and
"簡體中文：" prefixes on Chinese names, addresses split by "Branch Office N:" markers or roman-numeral
items, and a lone two-letter address that is a country code.
"""

from __future__ import annotations

import re
from pathlib import Path

from service.engine.parties.entry import ListEntry
from service.engine.parties.sources.reading import (
    ListRead,
    ListReadError,
    country_codes,
    csv_rows,
    decode,
    read_bytes,
    require_entries,
    stable_id,
    unique_ids,
)

LIST_NAME = "tw-shtc"
SOURCE_URL = "https://www.trade.gov.tw/english/Pages/List.aspx?nodeid=298"
BASIS = "Taiwan SHTC Entity List (Foreign Trade Act Art. 13; MOEA / International Trade Administration)"
COLUMNS = {"name": "name", "alias": "alias", "address": "address", "id number": "id", "country code": "country"}

_SEPARATORS = re.compile(r"[;；]")
_UN_REFERENCE = re.compile(r"\s*[（(]\s*永久參考號\s*[：:]\s*([^）)]*)[）)]\s*$")
_EMBEDDED_ALIAS = re.compile(r"\s+alias\s*[:：]\s*", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")
_SCRIPT_PREFIX = re.compile(r"^\s*[繁簡]體中文\s*[：:]\s*")
_BRANCH = re.compile(r"\bBranch Office\s*\d+\s*[:：]", re.IGNORECASE)
_ROMAN_ITEM = re.compile(r"(?:^|\s)(?:viii|vii|vi|iv|v|ix|x|iii|ii|i)\)\s*", re.IGNORECASE)
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")
_ENGLISH_PART = re.compile(r"[A-Za-z][A-Za-z ]*$")


def read_tw_shtc(path: Path, list_name: str = LIST_NAME) -> ListRead:
    """Read the SHTC Entity List CSV; a row without a name is warned and skipped."""
    result = ListRead()
    rows = csv_rows(decode(read_bytes(path)), path.name, result)
    header_row = next(rows, None)
    columns = _columns(header_row[1] if header_row else [], path)
    for number, fields in rows:
        if len(fields) != len(columns):
            result.warn(path.name, number, f"expected {len(columns)} columns, found {len(fields)}; row skipped")
            continue
        row = {key: value.strip() for key, value in zip(columns, fields, strict=True) if key}
        entry = _entry(row, list_name)
        if entry is None:
            result.warn(path.name, number, "row has no name; skipped")
            continue
        result.entries.append(entry)
    unique_ids(result, path.name)
    return require_entries(result, path)


def _columns(header: list[str], path: Path) -> list[str]:
    """Our key for each header cell (by its English part, BOM and spaces removed); '' for unknown ones."""
    keys = []
    for cell in header:
        english = _ENGLISH_PART.search(cell.replace("\ufeff", "").strip())
        label = " ".join(english.group().lower().split()) if english else ""
        keys.append(COLUMNS.get(label, ""))
    if "name" not in keys:
        raise ListReadError(f"{path}: not an SHTC Entity List file, header lacks 名稱name")
    return keys


def _entry(row: dict[str, str], list_name: str) -> ListEntry | None:
    names, reference = split_names(row.get("name", ""))
    if not names:
        return None
    aliases = [*names[1:], *(alias for alias in split_aliases(row.get("alias", "")) if alias not in names)]
    addresses, address_countries = split_addresses(row.get("address", ""))
    countries = country_codes([*parts(row.get("country", "")), *address_countries])
    identifiers = parts(row.get("id", ""))
    remarks = "; ".join(filter(None, [
        f"UN permanent reference {reference}" if reference else "",
        f"identifiers: {', '.join(identifiers)}" if identifiers else "",
    ]))
    return ListEntry(
        id=entry_id(names[0], aliases, countries),
        source_list=list_name,
        name=names[0],
        aliases=list(dict.fromkeys(alias for alias in aliases if alias != names[0])),
        countries=countries,
        addresses=addresses,
        programs=[BASIS],
        remarks=remarks or None,
        source_url=SOURCE_URL,
    )


def parts(value: str) -> list[str]:
    """'a; b；c' -> ['a', 'b', 'c'] (blank parts dropped, order kept, duplicates removed)."""
    return list(dict.fromkeys(part.strip() for part in _SEPARATORS.split(value) if part.strip()))


def split_names(cell: str) -> tuple[list[str], str | None]:
    """The names of a name cell (primary first, then embedded aliases) and its UN reference, if any."""
    reference = None
    match = _UN_REFERENCE.search(cell)
    if match:
        reference, cell = match.group(1).strip() or None, cell[: match.start()]
    listed, embedded = cell, ""
    pieces = _EMBEDDED_ALIAS.split(cell, maxsplit=1)
    if len(pieces) == 2:
        listed, embedded = pieces
    return list(dict.fromkeys([*parts(listed), *split_aliases(embedded)])), reference


def split_aliases(cell: str) -> list[str]:
    """Aliases without stray HTML and without the 繁體中文： / 簡體中文： prefixes."""
    text = _HTML_TAG.sub(" ", cell)
    return list(dict.fromkeys(
        " ".join(_SCRIPT_PREFIX.sub("", alias).split()) for alias in parts(text) if _SCRIPT_PREFIX.sub("", alias)
    ))


def split_addresses(cell: str) -> tuple[list[str], list[str]]:
    """Addresses split at ';', 'Branch Office N:' and 'i)'...'viii)'; lone two-letter values are countries."""
    pieces = [piece for part in parts(_BRANCH.sub(";", cell)) for piece in _ROMAN_ITEM.split(part)]
    addresses, countries = [], []
    for piece in (" ".join(piece.split()).strip(" ,") for piece in pieces):
        if _COUNTRY_CODE.match(piece):
            countries.append(piece.upper())
        elif piece:
            addresses.append(piece)
    return list(dict.fromkeys(addresses)), countries


def entry_id(name: str, aliases: list[str], countries: list[str]) -> str:
    """An id from the content (the running number is renumbered between versions)."""
    def normal(text: str) -> str:
        return " ".join(text.casefold().split())

    return stable_id("tw-shtc", normal(name), *sorted(normal(alias) for alias in aliases), *sorted(countries))
