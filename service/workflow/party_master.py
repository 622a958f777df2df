"""Reading a customer or supplier master exported from the ERP (CSV), row by row, with per-row errors.

The same encodings (BOM, UTF-8, CP950, Big5-HKSCS), delimiters and quoting rules as batch screening, and
headers compared the same way (case, spaces and separators folded). A row that cannot be used is reported
with its row number and reason; the other rows are still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from service.batch.columns import MappingError, header_key
from service.batch.encoding import detect_encoding
from service.batch.records import RecordReader
from service.engine.countries import UnknownCountryError, normalise_country
from service.engine.party_names import clean_party_name

FIELDS = ("external_id", "name", "country", "aliases", "addresses")
REQUIRED = ("external_id", "name")
ALIASES = {
    "id": "external_id", "customer_id": "external_id", "customer_no": "external_id", "customer_number": "external_id",
    "supplier_id": "external_id", "supplier_no": "external_id", "vendor_no": "external_id", "kunnr": "external_id",
    "lifnr": "external_id", "partner": "external_id", "bp_number": "external_id", "客戶編號": "external_id",
    "廠商編號": "external_id", "客戶代號": "external_id",
    "customer_name": "name", "supplier_name": "name", "vendor_name": "name", "company_name": "name",
    "name1": "name", "party_name": "name", "客戶名稱": "name", "廠商名稱": "name", "公司名稱": "name",
    "country_code": "country", "ctry": "country", "land1": "country", "國別": "country", "國家": "country",
    "alias": "aliases", "also_known_as": "aliases", "aka": "aliases", "other_names": "aliases", "別名": "aliases",
    "address": "addresses", "street": "addresses", "stras": "addresses", "地址": "addresses",
}
SEPARATOR = ";"  # several aliases or addresses in one cell


@dataclass(frozen=True)
class MasterRow:
    """One usable party of the master, or the reason its row cannot be used."""

    number: int
    external_id: str = ""
    name: str = ""
    country: str | None = None
    aliases: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    error: str | None = None

    def fields(self) -> dict[str, object]:
        """What is stored for the party."""
        return {"name": self.name, "country": self.country, "aliases": self.aliases, "addresses": self.addresses}


def read_master(path: Path, encoding: str | None = None) -> Iterator[MasterRow]:
    """The rows of a master file; raise MappingError if its header lacks an id or a name column."""
    detected = detect_encoding(path, encoding)
    with path.open(encoding=detected.name, errors="replace", newline="") as stream:
        reader = iter(RecordReader(stream, encoding_name=detected.name, lossy=detected.lossy))
        header = next(reader, None)
        if header is None:
            raise MappingError(f"{path}: the file is empty")
        index = _layout(header.cells)
        for record in reader:
            if record.error is not None:
                yield MasterRow(record.number, error=record.error)
            elif any(cell.strip() for cell in record.cells):
                yield _row(record.number, record.cells, index)


def _layout(headers: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = header_key(header)
        target = ALIASES.get(key, key if key in FIELDS else None)
        if target is None:
            continue
        if target in index:
            raise MappingError(f"columns {headers[index[target]]!r} and {header!r} both map to {target}; keep one")
        index[target] = position
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        raise MappingError(f"required column(s) missing: {', '.join(missing)}; the header has: {', '.join(headers)}")
    return index


def _row(number: int, cells: list[str], index: dict[str, int]) -> MasterRow:
    def cell(name: str) -> str:
        position = index.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    external_id = cell("external_id")
    if not external_id or len(external_id) > 200 or any(ch.isspace() or ch == "/" for ch in external_id):
        return MasterRow(number, external_id, error=f"external_id {external_id!r}: 1-200 characters, no spaces or /")
    try:
        name = clean_party_name(cell("name"))
        aliases = [clean_party_name(alias) for alias in _split(cell("aliases"))]
        country = normalise_country(cell("country")) if cell("country") else None
    except (ValueError, UnknownCountryError) as exc:
        return MasterRow(number, external_id, error=str(exc))
    if not name:
        return MasterRow(number, external_id, error="name is empty")
    return MasterRow(number, external_id, name, country, aliases, _split(cell("addresses")))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(SEPARATOR) if part.strip()]
