"""Orchestration: read the file in a streaming pass, screen chunks of whole shipments, write results in order.

Memory stays bounded whatever the file size: the file is never loaded, only a bounded number of chunks
(each a few hundred rows of whole shipments) is in flight, and the result goes to a `.partial` file that
is renamed into place only when every row has been written, so a crashed run never leaves a result that
looks complete. With several workers, each process loads its own screening context once and the main
process only reads, groups and writes; results are reassembled in input order.
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

from service.batch.columns import ColumnLayout, ColumnMapping, load_mapping, resolve_layout
from service.batch.encoding import Encoding, detect_encoding
from service.batch.records import Record, RecordReader
from service.batch.screening import (
    ChunkOutcome,
    ChunkScreener,
    ContextUnavailable,
    worker_init,
    worker_ready,
    worker_screen,
)
from service.batch.shipments import Shipment, SplitReferences, group_shipments, run_starts
from service.engine.screen import ScreeningContext
from service.settings import Settings

SMALL_FILE_CHUNKS = 4
Progress = Callable[[int, int], None]  # rows done, rows in total


class InputUnreadable(Exception):
    """The input file cannot be opened or holds no header; nothing was screened."""


@dataclass(frozen=True)
class BatchOptions:
    """How to read the input and how to run the screening."""

    jsonl: bool = False
    workers: int = 1  # processes screening in parallel; small files are screened in-process anyway
    mapping: Path | None = None
    encoding: str | None = None
    chunk_rows: int = 500
    collect_screenings: bool = False  # hand every (declaration, verdict) to on_screenings (audit trail)


@dataclass
class Summary:
    """What a run did: counts per verdict (rows and shipments), errors, and how the file was read."""

    rows: int = 0
    shipments: int = 0
    error_rows: int = 0
    rows_by_verdict: Counter[str] = field(default_factory=Counter)
    shipments_by_verdict: Counter[str] = field(default_factory=Counter)
    encoding: str = ""
    delimiter: str = ""
    split_references: int = 0
    seconds: float = 0.0

    def add(self, outcome: ChunkOutcome, rows: bool = True) -> None:
        """Fold one chunk's counts in (`rows=False`: verdict counts only, the rows are written later)."""
        if rows:
            self.rows += outcome.rows
        self.shipments += outcome.shipments
        self.error_rows += outcome.error_rows
        self.rows_by_verdict.update(outcome.rows_by_verdict)
        self.shipments_by_verdict.update(outcome.shipments_by_verdict)


@dataclass(frozen=True)
class Prepared:
    """What the pre-pass learnt: encoding, delimiter, column layout, row count and split references."""

    source: Path
    encoding: Encoding
    delimiter: str
    layout: ColumnLayout
    total_rows: int
    split: SplitReferences


@contextmanager
def _open(source: Path, encoding: Encoding) -> Iterator[TextIO]:
    try:
        stream = source.open(encoding=encoding.name, errors="replace" if encoding.lossy else "strict", newline="")
    except OSError as exc:
        raise InputUnreadable(f"cannot read {source}: {exc}") from exc
    with stream:
        yield stream


def _data_records(reader: RecordReader) -> tuple[Record, Iterator[Record]]:
    records = iter(reader)
    header = next(records, None)
    if header is None or not any(cell.strip() for cell in header.cells):
        raise InputUnreadable("the file is empty: no header row")
    return header, records


def check_header(source: Path, options: BatchOptions) -> ColumnLayout:
    """Check that the file can be read and its header mapped (raises like `prepare`), without the pre-pass."""
    encoding = _encoding(source, options)
    mapping = load_mapping(options.mapping) if options.mapping else None
    with _open(source, encoding) as stream:
        header, _ = _data_records(RecordReader(stream, encoding_name=encoding.name))
        return resolve_layout(header.cells, mapping)


def _encoding(source: Path, options: BatchOptions) -> Encoding:
    try:
        return detect_encoding(source, options.encoding)
    except OSError as exc:
        raise InputUnreadable(f"cannot read {source}: {exc}") from exc
    except LookupError as exc:
        raise InputUnreadable(f"unknown encoding {options.encoding!r}: {exc}") from exc


def prepare(source: Path, options: BatchOptions) -> Prepared:
    """Detect the encoding and delimiter, map the header, count rows and find split references."""
    encoding = _encoding(source, options)
    mapping: ColumnMapping | None = load_mapping(options.mapping) if options.mapping else None
    with _open(source, encoding) as stream:
        reader = RecordReader(stream, encoding_name=encoding.name)
        header, records = _data_records(reader)
        layout = resolve_layout(header.cells, mapping)
        counted = _Counting(records)
        split = SplitReferences(run_starts(counted, layout))
    return Prepared(source, encoding, reader.delimiter, layout, counted.count, split)


class _Counting:
    """Passes records through and counts them."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[Record]:
        for record in self._records:
            self.count += 1
            yield record


def _chunks(shipments: Iterable[Shipment], rows: int) -> Iterator[list[Shipment]]:
    chunk: list[Shipment] = []
    size = 0
    for shipment in shipments:
        chunk.append(shipment)
        size += len(shipment.records)
        if size >= rows:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def run_batch(
    source: Path,
    destination: Path,
    settings: Settings,
    options: BatchOptions | None = None,
    *,
    context: ScreeningContext | None = None,
    progress: Progress | None = None,
    on_screenings: Callable[[ChunkOutcome], None] | None = None,
) -> Summary:
    """Screen every row of `source` into `destination` (CSV or JSON Lines); one output row per input row."""
    options = options or BatchOptions()
    started = time.perf_counter()
    prepared = prepare(source, options)
    summary = Summary(encoding=prepared.encoding.name, delimiter=prepared.delimiter,
                      split_references=prepared.split.count)
    screener = ChunkScreener(prepared.layout, prepared.delimiter, options.jsonl, options.collect_screenings)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with _Screening(screener, settings, options, context, prepared.total_rows) as screening:
            if prepared.split.count:
                _screen_split_references(prepared, screening, options, summary, on_screenings)
            with _open(source, prepared.encoding) as stream, partial.open(
                "w", encoding=_output_encoding(options), newline=""
            ) as out:
                reader = RecordReader(stream, delimiter=prepared.delimiter, encoding_name=prepared.encoding.name)
                _, records = _data_records(reader)
                chunks = _chunks(group_shipments(records, prepared.layout, prepared.split), options.chunk_rows)
                out.write(screener.format.header(prepared.layout.headers))
                for outcome in screening.map(chunks):
                    out.write(outcome.text)
                    summary.add(outcome)
                    if on_screenings is not None:
                        on_screenings(outcome)
                    if progress is not None:
                        progress(summary.rows, prepared.total_rows)
                out.flush()
                os.fsync(out.fileno())
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
        prepared.split.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _screen_split_references(
    prepared: Prepared, screening: _Screening, options: BatchOptions, summary: Summary,
    on_screenings: Callable[[ChunkOutcome], None] | None,
) -> None:
    """Extra pass: gather the rows of each non-contiguous reference, screen it whole, keep each row's result."""
    with _open(prepared.source, prepared.encoding) as stream:
        reader = RecordReader(stream, delimiter=prepared.delimiter, encoding_name=prepared.encoding.name)
        _, records = _data_records(reader)
        prepared.split.collect(records, prepared.layout)
    for outcome in screening.map(_chunks(prepared.split.gathered(), options.chunk_rows), per_row=True):
        prepared.split.store_outputs(outcome.row_texts)
        summary.add(outcome, rows=False)  # the rows are counted when the main pass writes them
        if on_screenings is not None:
            on_screenings(outcome)


def _output_encoding(options: BatchOptions) -> str:
    # Excel opens a UTF-8 CSV correctly only with a BOM; JSON Lines readers expect none.
    return "utf-8" if options.jsonl else "utf-8-sig"


class _Screening:
    """Screens chunks in this process or in a pool of worker processes; results in submission order."""

    def __init__(self, screener: ChunkScreener, settings: Settings, options: BatchOptions,
                 context: ScreeningContext | None, total_rows: int) -> None:
        self._screener = screener
        self._settings = settings
        self._workers = options.workers
        # Starting worker processes (each loading rules and lists) costs seconds; not worth it for small files.
        if options.workers <= 1 or total_rows < options.chunk_rows * SMALL_FILE_CHUNKS:
            self._workers = 1
            screener.attach(context or screener.load(settings))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Screening:
        if self._workers > 1:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=get_context("spawn"),
                                             initializer=worker_init, initargs=(self._screener, self._settings))
            try:
                self._start_workers(self._pool)
            except BaseException:
                self._pool.shutdown(wait=True, cancel_futures=True)
                raise
        return self

    def _start_workers(self, pool: ProcessPoolExecutor) -> None:
        """Start every worker now and wait until each has loaded its context (a failure surfaces here).

        While they start, `__main__` is a blank module: spawned workers would otherwise re-run the console
        script, which imports every command (the API and database layers too), about 50 MB per worker.
        """
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            started = [pool.submit(worker_ready) for _ in range(self._workers)]
        finally:
            sys.modules["__main__"] = main
        for future in started:
            future.result()

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map(self, chunks: Iterator[list[Shipment]], per_row: bool = False) -> Iterator[ChunkOutcome]:
        """Each chunk's outcome, in input order."""
        if self._pool is None:
            for chunk in chunks:
                yield self._screener.screen(chunk, per_row)
            return
        yield from self._map_in_pool(self._pool, chunks, per_row)

    def _map_in_pool(
        self, pool: ProcessPoolExecutor, chunks: Iterator[list[Shipment]], per_row: bool
    ) -> Iterator[ChunkOutcome]:
        """At most 3 chunks per worker in flight, so memory does not grow with the file."""
        in_flight: deque[Future[ChunkOutcome]] = deque()
        limit = self._workers * 3
        try:
            for chunk in chunks:
                in_flight.append(pool.submit(worker_screen, chunk, per_row))
                if len(in_flight) >= limit:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        except BaseException:
            for future in in_flight:
                future.cancel()
            raise


__all__ = ["BatchOptions", "ContextUnavailable", "InputUnreadable", "Summary", "check_header", "prepare", "run_batch"]
