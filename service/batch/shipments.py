"""Rows into shipments: the rows with the same reference form one declaration.

The main pass streams the file, so a declaration is normally the run of consecutive rows sharing a
reference. A reference whose rows are split into several runs (a file sorted by date rather than by
order) must not be screened as partial declarations: a partial declaration can clear what the missing
lines would have stopped. The pre-pass finds such references (`SplitReferences`); an extra pass gathers
their rows in a scratch SQLite file, screens each as one whole declaration and keeps the formatted result
of every row, which the main pass then writes at the row's own position. Memory stays bounded: only one
declaration (at most MAX_ROWS_PER_SHIPMENT rows) is held at a time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

from service.batch.columns import ColumnLayout
from service.batch.records import Record

MAX_ROWS_PER_SHIPMENT = 1000  # the declaration model's item limit
_FLUSH_EVERY = 10_000
_SET_LIMIT = 200_000  # up to this many split references, membership is tested in a Python set


@dataclass(frozen=True, slots=True)
class Shipment:
    """The rows of one declaration (or one unusable row), with an error that applies to all of them."""

    reference: str
    records: list[Record]
    error: str | None = None
    output: str | None = None  # already screened and formatted (rows of a regrouped split reference)

    def __reduce__(self) -> tuple[type[Shipment], tuple[str, list[Record], str | None, str | None]]:
        return (Shipment, (self.reference, self.records, self.error, self.output))


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
        self._members: set[str] | None = None
        if 0 < self.count <= _SET_LIMIT:
            self._members = {row[0] for row in self._db.execute("SELECT reference FROM split")}

    def __contains__(self, reference: object) -> bool:
        if self.count == 0:
            return False
        if self._members is not None:
            return reference in self._members
        return self._db.execute("SELECT 1 FROM split WHERE reference = ?", (str(reference),)).fetchone() is not None

    def starts(self, reference: str) -> str | None:
        """The first rows of each run of a split reference, as text."""
        row = self._db.execute("SELECT starts FROM split WHERE reference = ?", (reference,)).fetchone()
        return str(row[0]) if row else None

    def collect(self, records: Iterable[Record], layout: ColumnLayout) -> None:
        """Second pass: keep every row of the split references."""
        self._db.execute("CREATE TABLE split_rows (reference TEXT, number INTEGER, cells TEXT, error TEXT)")
        batch: list[tuple[str, int, str, str | None]] = []
        for record in records:
            reference = reference_of(record, layout)
            if reference and reference in self:
                batch.append((reference, record.number, json.dumps(record.cells), record.error))
                if len(batch) >= _FLUSH_EVERY:
                    self._db.executemany("INSERT INTO split_rows VALUES (?, ?, ?, ?)", batch)
                    batch.clear()
        self._db.executemany("INSERT INTO split_rows VALUES (?, ?, ?, ?)", batch)
        self._db.execute("CREATE INDEX split_rows_reference ON split_rows (reference, number)")
        self._db.execute("CREATE TABLE outputs (number INTEGER PRIMARY KEY, text TEXT)")

    def gathered(self) -> Iterator[Shipment]:
        """Each split reference as one shipment of all its rows (in file order), first-seen first."""
        references = self._db.execute("SELECT reference FROM split_rows GROUP BY reference ORDER BY min(number)")
        for (reference,) in references:
            total = self._db.execute("SELECT count(*) FROM split_rows WHERE reference = ?", (reference,)).fetchone()[0]
            rows = self._db.execute(
                "SELECT number, cells, error FROM split_rows WHERE reference = ? ORDER BY number", (reference,))
            if total > MAX_ROWS_PER_SHIPMENT:
                for piece in _pieces(rows):
                    yield Shipment(reference, piece, _too_many(reference))
                continue
            yield Shipment(reference, [Record(n, json.loads(cells), error) for n, cells, error in rows])

    def store_outputs(self, outputs: Iterable[tuple[int, str]]) -> None:
        """Keep the formatted result of each row (by row number) for the main pass."""
        self._db.executemany("INSERT INTO outputs VALUES (?, ?)", outputs)

    def outputs(self, numbers: list[int]) -> str:
        """The stored results of these rows, concatenated in the order given."""
        texts = []
        for number in numbers:
            row = self._db.execute("SELECT text FROM outputs WHERE number = ?", (number,)).fetchone()
            if row is None:
                raise LookupError(f"no stored result for row {number}")  # a bug; fail the run, never drop a row
            texts.append(str(row[0]))
        return "".join(texts)

    def close(self) -> None:
        """Drop the scratch database."""
        self._db.close()


def _pieces(rows: Iterable[tuple[int, str, str | None]]) -> Iterator[list[Record]]:
    piece: list[Record] = []
    for number, cells, error in rows:
        piece.append(Record(number, json.loads(cells), error))
        if len(piece) >= MAX_ROWS_PER_SHIPMENT:
            yield piece
            piece = []
    if piece:
        yield piece


def _too_many(reference: str) -> str:
    return (f"reference {reference} has more than {MAX_ROWS_PER_SHIPMENT} rows (the most items a declaration "
            "may have); split it into several declarations")


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
    if reference in split:
        return Shipment(reference, run, output=split.outputs([record.number for record in run]))
    if oversized:
        return Shipment(reference, run, _too_many(reference))
    return Shipment(reference, run)


def _no_reference(record: Record) -> str:
    if record.error:
        return record.error
    if not any(cell.strip() for cell in record.cells):
        return "empty row, nothing to screen"
    return "reference is empty"
