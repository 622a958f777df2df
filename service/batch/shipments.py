"""Rows into shipments: contiguous rows with the same reference form one declaration.

A file is read once, in order, so a declaration is the run of consecutive rows sharing a reference.
A reference whose rows are split into several runs would be screened as partial declarations, and a
partial declaration can clear what the missing lines would have stopped; the pre-pass (`SplitReferences`)
finds such references and their rows are all reported as errors instead (fail closed). A run longer than
a declaration may be is reported the same way, in bounded pieces, so memory stays bounded too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

from service.batch.columns import ColumnLayout
from service.batch.records import Record

MAX_ROWS_PER_SHIPMENT = 1000  # the declaration model's item limit
_FLUSH_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class Shipment:
    """The rows of one declaration (or one unusable row), with an error that applies to all of them."""

    reference: str
    records: list[Record]
    error: str | None = None


def reference_of(record: Record, layout: ColumnLayout) -> str:
    """The row's reference, stripped ('' when the row has no usable reference)."""
    position = layout.index["reference"]
    return record.cells[position].strip() if position < len(record.cells) else ""


def run_starts(records: Iterable[Record], layout: ColumnLayout) -> Iterator[tuple[str, int]]:
    """(reference, first row number) for every run of consecutive rows with the same non-empty reference."""
    current = ""
    for record in records:
        reference = reference_of(record, layout)
        if reference and reference != current:
            yield reference, record.number
        current = reference


class SplitReferences(Container[str]):
    """References whose rows are not contiguous, found in a pre-pass; kept in a scratch SQLite file."""

    def __init__(self, starts: Iterable[tuple[str, int]]) -> None:
        # An on-disk scratch table keeps memory flat whatever the number of references.
        self._db = sqlite3.connect("")
        self._db.execute("CREATE TABLE runs (reference TEXT, start INTEGER)")
        batch: list[tuple[str, int]] = []
        for start in starts:
            batch.append(start)
            if len(batch) >= _FLUSH_EVERY:
                self._db.executemany("INSERT INTO runs VALUES (?, ?)", batch)
                batch.clear()
        self._db.executemany("INSERT INTO runs VALUES (?, ?)", batch)
        self._db.execute(
            "CREATE TABLE split AS SELECT reference, group_concat(start, ', ') AS starts FROM runs "
            "GROUP BY reference HAVING count(*) > 1"
        )
        self._db.execute("DROP TABLE runs")
        self._db.execute("CREATE UNIQUE INDEX split_reference ON split (reference)")
        self.count: int = self._db.execute("SELECT count(*) FROM split").fetchone()[0]

    def __contains__(self, reference: object) -> bool:
        return self.count > 0 and self.starts(str(reference)) is not None

    def starts(self, reference: str) -> str | None:
        """The first rows of each run of a split reference, as text."""
        row = self._db.execute("SELECT starts FROM split WHERE reference = ?", (reference,)).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        """Drop the scratch database."""
        self._db.close()


def group_shipments(records: Iterable[Record], layout: ColumnLayout, split: SplitReferences) -> Iterator[Shipment]:
    """Consecutive rows with the same reference as one shipment; rows without a reference on their own."""
    run: list[Record] = []
    reference = ""
    oversized = ""
    for record in records:
        key = reference_of(record, layout)
        if run and key != reference:
            yield _finish(reference, run, split, oversized == reference)
            run = []
        reference = key
        if not key:
            yield Shipment("", [record], _no_reference(record))
            continue
        run.append(record)
        if len(run) > MAX_ROWS_PER_SHIPMENT:
            oversized = key
            yield _finish(reference, run, split, True)
            run = []
    if run:
        yield _finish(reference, run, split, oversized == reference)


def _finish(reference: str, run: list[Record], split: SplitReferences, oversized: bool) -> Shipment:
    if oversized:
        return Shipment(reference, run, f"reference {reference} has more than {MAX_ROWS_PER_SHIPMENT} rows "
                        "(the most items a declaration may have); split it into several declarations")
    if reference in split:
        return Shipment(reference, run, f"the rows of reference {reference} are not contiguous (runs start at rows "
                        f"{split.starts(reference)}); sort the file by reference so each declaration's rows are "
                        "together")
    return Shipment(reference, run)


def _no_reference(record: Record) -> str:
    if record.error:
        return record.error
    if not any(cell.strip() for cell in record.cells):
        return "empty row, nothing to screen"
    return "reference is empty"
