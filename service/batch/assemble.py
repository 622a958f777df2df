"""A shipment's rows into one Declaration, or the reasons it cannot be screened, per row.

Shipment-level columns (consignee, destination, parties, ...) may be repeated on every row or given on
the first row only; a row that gives a different value for the same reference is an error, because we
could not tell which one the shipment really has. Item columns come from every row. A declaration is
screened whole or not at all: if one of its rows is bad, every row of it gets an error status naming
the bad row, since screening the rest could clear what the bad line would have stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from service.batch.columns import ITEM_FIELDS, PARTY_ROLES, SHIPMENT_FIELDS, ColumnLayout
from service.batch.records import Record
from service.batch.shipments import Shipment
from service.engine.codes import ascii_form
from service.engine.declaration import Declaration
from service.engine.errors import field_errors

_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
_DATE = re.compile(r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$", re.ASCII)
_LIST_SEPARATORS = re.compile(r"[;|]")


@dataclass
class Assembly:
    """The declaration built from a shipment's rows, or the row errors that prevent it."""

    declaration: Declaration | None = None
    row_errors: dict[int, str] = field(default_factory=dict)  # row number -> message for that row
    shipment_error: str | None = None  # message for every other row of the shipment


def assemble(shipment: Shipment, layout: ColumnLayout) -> Assembly:
    """Build and validate the declaration for a shipment's rows."""
    if shipment.error:
        return Assembly(shipment_error=shipment.error)
    row_errors = {record.number: problem for record in shipment.records if (problem := _row_problem(record, layout))}
    header, sources = _shipment_values(shipment.records, layout, row_errors)
    if row_errors:
        return _failed(shipment, row_errors)
    try:
        declaration = Declaration.model_validate(_declaration_data(header, shipment.records, layout))
    except ValidationError as exc:
        return _failed(shipment, _validation_row_errors(exc, shipment, header, sources, layout))
    return Assembly(declaration=declaration)


def _row_problem(record: Record, layout: ColumnLayout) -> str | None:
    if record.error:
        return record.error
    width = len(layout.headers)
    if len(record.cells) != width:
        extra = " | ".join(record.cells[width:])[:200]
        shown = f" (extra: {extra})" if extra else ""
        return f"the row has {len(record.cells)} fields, the header has {width}{shown}"
    return None


def _shipment_values(
    records: list[Record], layout: ColumnLayout, row_errors: dict[int, str]
) -> tuple[dict[str, str], dict[str, int]]:
    """First non-empty value of each shipment field, and the row it came from; conflicts are row errors."""
    values: dict[str, str] = {}
    sources: dict[str, int] = {}
    present = layout.present(SHIPMENT_FIELDS)
    for record in records:
        cells = record.cells
        width = len(cells)
        for name, position in present:
            value = cells[position].strip() if position < width else ""
            if not value:
                continue
            if name not in values:
                values[name], sources[name] = value, record.number
            elif value.casefold() != values[name].casefold() and record.number not in row_errors:
                row_errors[record.number] = (
                    f"{layout.column_of(name)} is {value!r} here but {values[name]!r} on row {sources[name]} "
                    "of the same reference; a declaration has one value"
                )
    return values, sources


def _declaration_data(header: dict[str, str], records: list[Record], layout: ColumnLayout) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": header.get("reference"),
        "consignee": _party(header, "consignee") or {},
        "destination_country": header.get("destination_country"),
        "items": [_item(record, layout) for record in records],
    }
    if date := header.get("export_date"):
        data["export_date"] = _iso_date(date)
    if transit := header.get("transit_countries"):
        data["transit_countries"] = [part.strip() for part in _LIST_SEPARATORS.split(transit) if part.strip()]
    if end_use := header.get("end_use"):
        data["end_use"] = end_use
    if exporter := header.get("exporter_name"):
        data["exporter"] = {"name": exporter, "country": header.get("exporter_country") or "TW"}
    if end_user := _party(header, "end_user"):
        data["end_user"] = end_user
    data["parties"] = [{**party, "role": role} for role in PARTY_ROLES if (party := _party(header, role))]
    return data


_PARTY_PARTS = ("name", "address", "country")
_PARTY_KEYS = {role: tuple((part, f"{role}_{part}") for part in _PARTY_PARTS)
               for role in ("consignee", "end_user", *PARTY_ROLES)}


def _party(header: dict[str, str], role: str) -> dict[str, str] | None:
    """The party's fields if any is given; a country or address without a name fails validation (fail closed)."""
    given = {part: value for part, key in _PARTY_KEYS[role] if (value := header.get(key))}
    if not given:
        return None
    return {"name": "", "country": "", **given} if role != "consignee" else given


def _item(record: Record, layout: ColumnLayout) -> dict[str, Any]:
    item: dict[str, Any] = {}
    cells = record.cells
    for name, position in layout.present(ITEM_FIELDS):
        value = cells[position].strip() if position < len(cells) else ""
        if value:
            item[name] = _number(ascii_form(value)) if name in ("quantity", "unit_value") else value
    if "hs_code" not in item:
        item["hs_code"] = ""  # reported as "hs_code: required" with the row, not silently skipped
    return item


def _number(value: str) -> str:
    """'1,234.50' -> '1234.50' (thousands separators as ERPs print them); anything else unchanged.

    The value is in ASCII already (full-width '１，２３４' is '1,234' by then), so the pattern sees ASCII."""
    return value.replace(",", "") if _THOUSANDS.match(value) else value


def _iso_date(value: str) -> str:
    """2024-03-01, 2024/03/01, 2024.3.1 and SAP's 20240301 to ISO (in any digits); anything else left for
    validation."""
    value = ascii_form(value)
    match = _DATE.match(value)
    if not match:
        return value
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _failed(shipment: Shipment, row_errors: dict[int, str]) -> Assembly:
    bad = sorted(row_errors)
    rows = f"row {bad[0]} is" if len(bad) == 1 else f"rows {', '.join(map(str, bad[:10]))} are"
    first = row_errors[bad[0]]
    first = first if len(first) <= 300 else first[:297] + "..."
    message = (
        f"not screened: {rows} invalid in reference {shipment.reference or '(none)'} (row {bad[0]}: {first}); "
        "a declaration is screened whole or not at all"
    )
    return Assembly(row_errors=row_errors, shipment_error=message)


def _validation_row_errors(
    exc: ValidationError, shipment: Shipment, header: dict[str, str], sources: dict[str, int], layout: ColumnLayout
) -> dict[int, str]:
    """Each validation error placed on the row that supplied the value, in the user's column names."""
    roles = [role for role in PARTY_ROLES if _party(header, role)]
    first_row = shipment.records[0].number
    found: dict[int, list[str]] = {}
    for error in field_errors(exc):
        parts = error["field"].split(".")
        name, item_index = _field_name(parts, roles)
        if item_index is not None and item_index < len(shipment.records):
            row = shipment.records[item_index].number
        else:
            row = sources.get(name) or _party_source(name, sources) or first_row
        shown = f" (value {error['value']!r})" if error["value"] not in (None, "") else ""
        column = layout.column_of(name) if name in layout.index else name
        message = _plain(name, error["message"], error["value"])
        found.setdefault(row, []).append(f"{column}: {message}{shown}")
    return {row: "; ".join(messages) for row, messages in found.items()}


def _field_name(parts: list[str], roles: list[str]) -> tuple[str, int | None]:
    """Map a pydantic error location to a column field name (and the item index for item errors)."""
    head = parts[0]
    if head == "items" and len(parts) >= 3 and parts[1].isdigit():
        return parts[2], int(parts[1])
    if head == "items" and len(parts) == 2 and parts[1].isdigit():
        return "hs_code", int(parts[1])
    if head == "parties" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(roles):
        return f"{roles[int(parts[1])]}_{parts[2]}", None
    if head in ("consignee", "end_user", "exporter") and len(parts) >= 2:
        return f"{head}_{parts[1]}", None
    return head, None


def _party_source(name: str, sources: dict[str, int]) -> int | None:
    """For a party's missing name: the row that gave the party's country or address."""
    role = name.removesuffix("_name")
    return sources.get(f"{role}_country") or sources.get(f"{role}_address")


def _plain(name: str, message: str, value: object) -> str:
    if message == "Field required" or (name.endswith(("_name", "_country")) and value == ""):
        return "required, but empty or missing"
    return message
