"""What every list reader shares: the result type, the error type and tolerant text/CSV reading.

A list import must survive one bad row (report it with its row number, skip it) but must never pass
off an empty, unreadable or cut-off file as a list: those are errors, or reasons to distrust the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from service.engine.countries import UnknownCountryError, normalise_country
from service.engine.parties.entry import ListEntry

# Official list files can carry fields far longer than csv's default 128 KiB limit only when a quote is
# broken; 1 MiB keeps real remarks readable while a runaway quoted field still fails as a bad row.
_FIELD_LIMIT = 1 << 20


class ListReadError(Exception):
    """The list as a whole cannot be read: missing, empty, undecodable or of the wrong shape."""


@dataclass(frozen=True)
class RowWarning:
    """One problem with one row (or, with row None, with a file), reported and skipped."""

    file: str
    row: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class ListRead:
    """The entries a reader produced, the rows it skipped and any sign that the source is incomplete."""

    entries: list[ListEntry] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # e.g. "sdn.csv does not end with its Ctrl-Z byte"

    def warn(self, file: str, row: int | None, message: str) -> None:
        """Record a skipped row or a file-level oddity."""
        self.warnings.append(RowWarning(file, row, message))


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a missing, unreadable or empty file is a ListReadError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ListReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not data.strip(b" \t\r\n\x1a"):
        raise ListReadError(f"{path}: file is empty")
    return data


def decode(data: bytes) -> str:
    """UTF-8 (BOM removed) if it decodes, else Windows-1252, else Latin-1 (which never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def csv_rows(text: str, file: str, result: ListRead, **fmt: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, fields) for every non-blank CSV row; a row the csv module rejects is warned and skipped.

    Row numbers count records from 1 as a spreadsheet shows them (a header, if any, is row 1).
    """
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), **fmt)  # type: ignore[arg-type]
    row_number = 0
    while True:
        row_number += 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.warn(file, row_number, f"unparsable CSV row skipped: {exc}")
            continue
        if any(value.strip() for value in fields):
            yield row_number, fields


def header_records(
    path: Path, result: ListRead, required: tuple[str, ...], what: str, **fmt: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column: stripped value}) for each data row of a CSV file that has a header row.

    The header must name every `required` column (case-insensitive), else ListReadError says the file is
    not `what`; a row with another number of fields than the header is warned and skipped.
    """
    rows = csv_rows(decode(read_bytes(path)), path.name, result, **fmt)
    header_row = next(rows, None)
    header = [column.strip().lower() for column in header_row[1]] if header_row else []
    missing = [column for column in required if column not in header]
    if missing:
        raise ListReadError(f"{path}: not {what}, header lacks {', '.join(missing)}")
    for number, fields in rows:
        if len(fields) != len(header):
            result.warn(path.name, number, f"expected {len(header)} columns, found {len(fields)}; row skipped")
            continue
        yield number, {column: value.strip() for column, value in zip(header, fields, strict=True)}


def split_list(value: str | None, separator: str = ";") -> list[str]:
    """'a; b;; c' -> ['a', 'b', 'c'] (blank parts dropped, order kept, duplicates removed)."""
    if not value:
        return []
    return list(dict.fromkeys(part.strip() for part in value.split(separator) if part.strip()))


def country_codes(values: list[str]) -> list[str]:
    """Alpha-2 codes for the values that are recognisable countries; unknown values are left out."""
    codes = []
    for value in values:
        try:
            codes.append(normalise_country(value))
        except UnknownCountryError:
            continue  # a list's odd spelling must not stop the import; the name still gets screened
    return list(dict.fromkeys(codes))


def iso_date(value: str | None, formats: tuple[str, ...] = ()) -> date | None:
    """A date from ISO text (a time part is ignored) or one of `formats`; None if blank or unparsable."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def stable_id(prefix: str, *parts: str) -> str:
    """An id for lists that publish none: a short hash of the fields that identify the row."""
    digest = hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{prefix}-{digest}"


def unique_ids(result: ListRead, file: str) -> None:
    """Keep the first entry of each id; later ones are warned about and dropped (ids must be unique)."""
    seen: set[str] = set()
    kept = []
    for entry in result.entries:
        if entry.id in seen:
            result.warn(file, None, f"duplicate entry id {entry.id!r} ({entry.name}) dropped")
            continue
        seen.add(entry.id)
        kept.append(entry)
    result.entries = kept


def require_entries(result: ListRead, path: Path) -> ListRead:
    """A file that yields no entry at all is not a list: raise rather than store an empty snapshot."""
    if not result.entries:
        detail = f" ({len(result.warnings)} rows skipped, first: {result.warnings[0]})" if result.warnings else ""
        raise ListReadError(f"{path}: no list entries found{detail}")
    return result
