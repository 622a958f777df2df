"""Screening a chunk of shipments: assemble each declaration, screen it, format its rows.

The same code runs in the main process (one worker) and in each worker process, where `worker_init`
loads the screening context once (rules and lists, through service.runtime.load_context) and wraps the
party screener in a bounded LRU cache. If a worker cannot load the context, every chunk it is given
raises ContextUnavailable, so the run stops instead of screening without rules or lists.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from service.batch.assemble import Assembly, assemble
from service.batch.cache import CachedScreener
from service.batch.columns import ColumnLayout
from service.batch.orphans import exit_with_parent
from service.batch.results import CsvFormat, JsonlFormat, ResultFormat, RowResult, row_results
from service.batch.shipments import Shipment
from service.engine.checks.clearances import NO_STANDING, Standing
from service.engine.declaration import Declaration
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import Verdict
from service.runtime import load_context
from service.settings import Settings


class ContextUnavailable(Exception):
    """Rules or lists could not be loaded; nothing may be screened."""


class ClusterUnavailable(Exception):
    """The Dask cluster cannot be reached or lost its workers; nothing more was screened."""


@dataclass
class ChunkOutcome:
    """A chunk's output text and counts (and, if asked for, its declarations and verdicts)."""

    text: str
    rows: int = 0  # rows in the chunk, including rows whose result was computed earlier (for progress)
    shipments: int = 0
    error_rows: int = 0
    rows_by_verdict: Counter[str] = field(default_factory=Counter)
    shipments_by_verdict: Counter[str] = field(default_factory=Counter)
    screenings: list[tuple[Declaration, Verdict]] = field(default_factory=list)
    row_texts: list[tuple[int, str]] = field(default_factory=list)  # per-row output, when asked for


class ChunkScreener:
    """Everything a worker needs besides the context; pickled once into each worker process.

    `standing` (the reviewers' clearances and the own deny list, read by the shell from the database)
    travels with it: a worker loads rules and lists itself but cannot read the database.
    """

    def __init__(self, layout: ColumnLayout, delimiter: str, jsonl: bool, collect: bool,
                 retrospective: bool = False, standing: Standing = NO_STANDING) -> None:
        self.layout = layout
        self.format: ResultFormat = JsonlFormat() if jsonl else CsvFormat(delimiter)
        self.collect = collect
        self.retrospective = retrospective
        self.standing = standing
        self._context: ScreeningContext | None = None

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_context": None}  # each process loads its own context

    @staticmethod
    def load(settings: Settings) -> ScreeningContext:
        """Load rules and lists, or raise ContextUnavailable naming what failed."""
        try:
            # (the keys for names in another script only when a worker meets one: memory per worker)
            context = load_context(settings, scripts_up_front=False)
        except Exception as exc:  # any loading failure means: refuse to screen
            raise ContextUnavailable(f"rules or lists could not be loaded, nothing screened: {exc}") from exc
        return context

    def attach(self, context: ScreeningContext) -> None:
        """Use this context for the following chunks, with the party-name cache, this run's mode and its
        standing decisions."""
        standing = self.standing if self.standing else context.standing
        self._context = dataclasses.replace(with_name_cache(context), retrospective=self.retrospective,
                                            standing=standing)

    @property
    def attached(self) -> bool:
        """Whether a context is attached (a worker attaches one before its first chunk)."""
        return self._context is not None

    def screen(self, chunk: list[Shipment], per_row: bool = False) -> ChunkOutcome:
        """Screen every shipment of the chunk and format its rows (one text, or one text per row).

        Shipments that carry an `output` were screened earlier (a regrouped split reference); their text is
        placed at their position and counted for progress only.
        """
        if self._context is None:
            raise ContextUnavailable("no screening context loaded")
        parts: list[str] = []
        pending: list[RowResult] = []
        outcome = ChunkOutcome(text="")
        for shipment in chunk:
            if shipment.output is not None:
                parts.append(self._flush(pending))
                parts.append(shipment.output)
                outcome.rows += len(shipment.records)
                continue
            assembly = assemble(shipment, self.layout)
            verdict = self._verdict(assembly, self._context)
            rows = row_results(shipment, assembly, verdict)
            if per_row:
                outcome.row_texts.extend((r.record.number, self.format.rows([r], self.layout.headers)) for r in rows)
            else:
                pending.extend(rows)
            self._count(outcome, verdict, rows)
            if self.collect and verdict is not None and assembly.declaration is not None:
                outcome.screenings.append((assembly.declaration, verdict))
        parts.append(self._flush(pending))
        outcome.text = "".join(parts)
        return outcome

    def _flush(self, pending: list[RowResult]) -> str:
        text = self.format.rows(pending, self.layout.headers) if pending else ""
        pending.clear()
        return text

    @staticmethod
    def _verdict(assembly: Assembly, context: ScreeningContext) -> Verdict | None:
        if assembly.declaration is None:
            return None
        try:
            return screen(assembly.declaration, context)
        except Exception as exc:  # a bug in one check must not stop the file; the rows get an error, never clear
            assembly.shipment_error = f"screening failed: {type(exc).__name__}: {exc}"
            return None

    @staticmethod
    def _count(outcome: ChunkOutcome, verdict: Verdict | None, rows: list[RowResult]) -> None:
        outcome.rows += len(rows)
        outcome.shipments += 1
        if verdict is None:
            outcome.error_rows += len(rows)
            outcome.shipments_by_verdict["error"] += 1
            outcome.rows_by_verdict["error"] += len(rows)
        else:
            outcome.shipments_by_verdict[verdict.verdict.value] += 1
            outcome.rows_by_verdict[verdict.verdict.value] += len(rows)


def with_name_cache(context: ScreeningContext) -> ScreeningContext:
    """Wrap the party screener in a bounded LRU keyed on the raw (name, country).

    Even a screener with its own cache normalises every name before looking it up; keyed on the name as
    the ERP wrote it, a repeated consignee costs one dictionary lookup.
    """
    parties = context.parties
    if parties is None or isinstance(parties, CachedScreener):
        return context
    return dataclasses.replace(context, parties=CachedScreener(parties))


_WORKER: ChunkScreener | None = None
_WORKER_FAILURE: str | None = None


def worker_init(screener: ChunkScreener, settings: Settings, parent_pid: int | None = None) -> None:
    """Process-pool initializer: end with the parent (no orphans after a kill -9), then load this worker's
    own context once."""
    global _WORKER, _WORKER_FAILURE
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    try:
        screener.attach(ChunkScreener.load(settings))
        _WORKER = screener
    except ContextUnavailable as exc:
        _WORKER_FAILURE = str(exc)


def worker_ready() -> bool:
    """Process-pool task: raise ContextUnavailable if this worker could not load its context."""
    if _WORKER is None:
        raise ContextUnavailable(_WORKER_FAILURE or "worker not initialised")
    return True


def worker_screen(chunk: list[Shipment], per_row: bool = False) -> ChunkOutcome:
    """Process-pool task: screen one chunk with this worker's context."""
    if _WORKER is None:
        raise ContextUnavailable(_WORKER_FAILURE or "worker not initialised")
    return _WORKER.screen(chunk, per_row)
