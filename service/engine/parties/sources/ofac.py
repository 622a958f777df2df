"""OFAC SDN legacy CSV: sdn.csv (primary records) joined with alt.csv, add.csv and sdn_comments.csv.

The format has no header, writes `-0-` (often `-0- `) for an empty field, uses CRLF and ends each of
sdn/alt/add with a Ctrl-Z byte. A file missing that byte was probably cut off in transit, so the read
says so in `incomplete` (an update refuses it). Person names stay as listed ("LAST, First"): word
order is the matcher's business.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.sources.reading import (
    ListRead,
    ListReadError,
    country_codes,
    csv_rows,
    decode,
    read_bytes,
    require_entries,
)

LIST_NAME = "ofac-sdn"
SOURCE_URL = "https://sanctionssearch.ofac.treas.gov/"
END_OF_FILE = b"\x1a"
_KINDS = {"individual": EntryKind.PERSON, "vessel": EntryKind.VESSEL, "aircraft": EntryKind.AIRCRAFT}
_COLUMNS = {"sdn.csv": 12, "alt.csv": 5, "add.csv": 6, "sdn_comments.csv": 2}


def read_ofac(path: Path, list_name: str = LIST_NAME) -> ListRead:
    """Read an OFAC legacy CSV set from its directory (or from the path of its sdn.csv)."""
    files = locate_files(path)
    result = ListRead()
    records = _records(files["sdn.csv"], result)
    aliases = _grouped(files.get("alt.csv"), result)
    addresses = _grouped(files.get("add.csv"), result)
    comments = _grouped(files.get("sdn_comments.csv"), result)
    for label, table in (("alt.csv", aliases), ("add.csv", addresses), ("sdn_comments.csv", comments)):
        for orphan in sorted(set(table) - set(records)):
            result.warn(label, None, f"rows for ent_num {orphan}, which sdn.csv does not list, ignored")
    for num, fields in records.items():
        result.entries.append(_entry(num, fields, aliases, addresses, comments, list_name))
    return require_entries(result, files["sdn.csv"])


def locate_files(path: Path) -> dict[str, Path]:
    """The set's files by lower-case name (the current OFAC service publishes SDN.CSV, ADD.CSV, ...)."""
    directory = path if path.is_dir() else path.parent
    if not directory.is_dir():
        raise ListReadError(f"{path}: no such file or directory")
    found = {child.name.lower(): child for child in directory.iterdir() if child.name.lower() in _COLUMNS}
    if "sdn.csv" not in found:
        raise ListReadError(f"{directory}: sdn.csv not found")
    return found


def _text(path: Path, result: ListRead) -> str:
    """Decoded text without the Ctrl-Z end; a missing end byte (except for the comments) is noted."""
    data = read_bytes(path).rstrip(b"\r\n")
    if data.endswith(END_OF_FILE):
        return decode(data[:-1])
    if path.name.lower() != "sdn_comments.csv":
        result.incomplete.append(f"{path.name} does not end with its Ctrl-Z byte: the file may be truncated")
    return decode(data)


def _value(field: str) -> str | None:
    """OFAC's empty marker `-0-` (with or without trailing space) and blanks become None."""
    value = field.strip()
    return None if value in {"", "-0-"} else value


def _rows(path: Path, result: ListRead) -> list[tuple[int, list[str]]]:
    """Rows with the expected column count and a numeric ent_num; others are warned and skipped."""
    columns = _COLUMNS[path.name.lower()]
    good = []
    for number, fields in csv_rows(_text(path, result), path.name, result):
        if len(fields) != columns:
            result.warn(path.name, number, f"expected {columns} columns, found {len(fields)}; row skipped")
        elif not fields[0].strip().isdigit():
            result.warn(path.name, number, f"ent_num {fields[0]!r} is not a number; row skipped")
        else:
            good.append((number, fields))
    return good


def _records(path: Path, result: ListRead) -> dict[str, list[str]]:
    """sdn.csv rows by ent_num; a repeated ent_num keeps the first row; a row without a name is skipped."""
    records: dict[str, list[str]] = {}
    for number, fields in _rows(path, result):
        num = fields[0].strip()
        if num in records:
            result.warn(path.name, number, f"ent_num {num} repeated; row skipped")
        elif _value(fields[1]) is None:
            result.warn(path.name, number, f"ent_num {num} has no name; row skipped")
        else:
            records[num] = fields
    return records


def _grouped(path: Path | None, result: ListRead) -> dict[str, list[list[str]]]:
    """A side file's rows grouped by ent_num, in file order."""
    grouped: dict[str, list[list[str]]] = defaultdict(list)
    if path is not None:
        for _number, fields in _rows(path, result):
            grouped[fields[0].strip()].append(fields)
    return grouped


def _address(fields: list[str]) -> str:
    """'street, city/postal code, country' without the empty parts."""
    return ", ".join(filter(None, map(_value, fields[2:5])))


def _entry(
    num: str,
    fields: list[str],
    aliases: dict[str, list[list[str]]],
    addresses: dict[str, list[list[str]]],
    comments: dict[str, list[list[str]]],
    list_name: str,
) -> ListEntry:
    """Build the normalised entry for one sdn.csv record."""
    name = _value(fields[1]) or ""
    kind = _KINDS.get((_value(fields[2]) or "").lower(), EntryKind.ORGANISATION)
    programs = [p.strip(" []") for p in (_value(fields[3]) or "").split("] [") if p.strip(" []")]
    # sdn_comments.csv continues a Remarks field that was cut mid-word: join without a space.
    remarks = (_value(fields[11]) or "") + "".join(row[1] for row in comments.get(num, []))
    title = _value(fields[4])
    remarks = "; ".join(filter(None, [_vessel(fields), f"Title: {title}" if title else "", remarks]))
    places = addresses.get(num, [])
    alias_names = [alias for row in aliases.get(num, []) if (alias := _value(row[3])) is not None]
    return ListEntry(
        id=num,
        source_list=list_name,
        name=name,
        aliases=[alias for alias in dict.fromkeys(alias_names) if alias != name],
        kind=kind,
        countries=country_codes([country for row in places if (country := _value(row[4])) is not None]),
        addresses=[text for row in places if (text := _address(row))],
        programs=programs,
        remarks=remarks or None,
        source_url=SOURCE_URL,
    )


def _vessel(fields: list[str]) -> str:
    """Call sign, type, tonnage, flag and owner of a vessel record, as one readable phrase."""
    labels = ("call sign", "type", "tonnage", "GRT", "flag", "owner")
    parts = [f"{label} {value}" for label, field in zip(labels, fields[5:11], strict=True) if (value := _value(field))]
    return "Vessel: " + ", ".join(parts) if parts else ""
