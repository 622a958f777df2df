"""Orchestration: read the file in a streaming pass, screen chunks of whole shipments, write results in order.

Memory stays bounded whatever the file size: the file is never loaded, only a bounded number of chunks
(each a few hundred rows of whole shipments) is in flight, and the result goes to a `.partial` file that
is renamed into place only when every row has been written, so a crashed run never leaves a result that
looks complete. With several workers, each process loads its own screening context once and the main
process only reads, groups and writes; results are reassembled in input order.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from service.batch.bundle import bundle_context
from service.batch.columns import ColumnLayout, ColumnMapping, load_mapping, resolve_layout
from service.batch.encoding import Encoding, detect_encoding
from service.batch.records import Record, RecordReader
from service.batch.screening import ChunkOutcome, ChunkScreener, ClusterUnavailable, ContextUnavailable
from service.batch.shipments import Shipment, SplitReferences, group_shipments, run_starts
from service.batch.workers import SMALL_FILE_CHUNKS, Screening
from service.engine.checks.clearances import NO_STANDING
from service.engine.screen import ScreeningContext
from service.settings import Settings

if TYPE_CHECKING:
    from service.batch.cluster import ClusterScreening

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
    retrospective: bool = False  # audit of past shipments: no review for a past export date
    cluster: str | None = None  # a Dask scheduler (tcp://HOST:8786) to screen on instead of local processes


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
        header, _ = _data_records(RecordReader(stream, encoding_name=encoding.name, lossy=encoding.lossy))
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
        reader = RecordReader(stream, encoding_name=encoding.name, lossy=encoding.lossy)
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
    screener = ChunkScreener(prepared.layout, prepared.delimiter, options.jsonl, options.collect_screenings,
                             options.retrospective, context.standing if context is not None else NO_STANDING)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with _screening(screener, settings, options, context, prepared.total_rows) as screening:
            if prepared.split.count:
                _screen_split_references(prepared, screening, options, summary, on_screenings)
            with _open(source, prepared.encoding) as stream, partial.open(
                "w", encoding=_output_encoding(options), newline=""
            ) as out:
                reader = RecordReader(stream, delimiter=prepared.delimiter,
                                      encoding_name=prepared.encoding.name, lossy=prepared.encoding.lossy)
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


def _screening(screener: ChunkScreener, settings: Settings, options: BatchOptions,
               context: ScreeningContext | None, total_rows: int) -> Screening | ClusterScreening:
    """Where the chunks are screened: on the configured Dask cluster, else in local processes.

    Small files stay in this process either way: starting workers would cost more than they save.
    """
    if options.cluster and total_rows >= options.chunk_rows * SMALL_FILE_CHUNKS:
        try:
            from service.batch.cluster import ClusterScreening  # imports dask only when a cluster is used
        except ImportError as exc:
            raise ClusterUnavailable(f"a Dask cluster is configured but dask is not installed "
                                     f"(pip install 'export-screen[cluster]'): {exc}") from exc
        bundle = bundle_context(settings)
        return ClusterScreening(screener, options.cluster, settings.dask_timeout_seconds, bundle)
    return Screening(screener, settings, options.workers, options.chunk_rows, context, total_rows)


def _screen_split_references(
    prepared: Prepared, screening: Screening | ClusterScreening, options: BatchOptions, summary: Summary,
    on_screenings: Callable[[ChunkOutcome], None] | None,
) -> None:
    """Extra pass: gather the rows of each non-contiguous reference, screen it whole, keep each row's result."""
    with _open(prepared.source, prepared.encoding) as stream:
        reader = RecordReader(stream, delimiter=prepared.delimiter, encoding_name=prepared.encoding.name,
                              lossy=prepared.encoding.lossy)
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


__all__ = ["BatchOptions", "ClusterUnavailable", "ContextUnavailable", "InputUnreadable", "Summary", "check_header",
           "prepare", "run_batch"]
