"""`export-screen batch IN.csv -o OUT.csv`: screen every row of an ERP export, one result row per input row."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from service.batch.columns import MappingError
from service.batch.run import BatchOptions, InputUnreadable, Summary, run_batch
from service.batch.screening import ClusterUnavailable, ContextUnavailable
from service.cli.output import EXIT_FATAL, EXIT_INVALID, fail
from service.engine.rulebook import RulebookError
from service.settings import get_settings


def batch_command(
    source: Annotated[Path, typer.Argument(help="CSV export: one row per line item (or per shipment).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Result file (CSV, or JSON Lines with --jsonl).")],
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Write JSON Lines instead of CSV.")] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML file mapping your ERP's headers to ours (docs/batch.md).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Input encoding (default: BOM, else UTF-8, else CP950).")
    ] = None,
    retrospective: Annotated[bool, typer.Option(
        "--retrospective",
        help="Audit past shipments: rules as of each export date, without the review for a past export date.",
    )] = False,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Screen on this Dask cluster (tcp://HOST:8786; default: EXPORT_SCREEN_DASK_SCHEDULER).",
    )] = None,
) -> None:
    """Screen a CSV export. Exit 0 when every row got a result (row errors included), 2/3 when nothing could run."""
    settings = get_settings()
    options = BatchOptions(jsonl=jsonl, workers=workers or os.cpu_count() or 1, mapping=mapping, encoding=encoding,
                           retrospective=retrospective, cluster=cluster or settings.dask_scheduler)
    if output.resolve() == source.resolve():
        fail("the output file must not be the input file", EXIT_INVALID)
    try:
        with _progress() as progress:
            summary = run_batch(source, output, settings, options, progress=progress)
    except MappingError as exc:
        fail(str(exc), EXIT_INVALID)
    except InputUnreadable as exc:
        fail(str(exc), EXIT_FATAL)
    except (ContextUnavailable, RulebookError) as exc:
        fail(f"rules or lists could not be loaded, nothing screened: {exc}", EXIT_FATAL)
    except BrokenProcessPool as exc:
        fail(f"a worker process died, no result written: {exc}", EXIT_FATAL)
    except ClusterUnavailable as exc:
        fail(f"{exc}; no result written", EXIT_FATAL)
    except OSError as exc:
        fail(f"cannot write {output}: {exc}", EXIT_FATAL)
    _print_summary(summary, output)


@contextmanager
def _progress() -> Iterator[_ProgressCallback | None]:
    """A rich progress bar (rows/s, ETA) on a terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]} rows/s"),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        yield _ProgressCallback(bar)


class _ProgressCallback:
    """Feeds run_batch's (done, total) callbacks into a rich task."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._task = bar.add_task("rows", total=None, rate="-")

    def __call__(self, done: int, total: int) -> None:
        speed = self._bar.tasks[0].speed
        self._bar.update(self._task, completed=done, total=total, rate=f"{speed:,.0f}" if speed else "-")


def _print_summary(summary: Summary, output: Path) -> None:
    verdicts = ", ".join(f"{name} {summary.rows_by_verdict.get(name, 0):,}" for name in ("clear", "review", "block"))
    shipments = ", ".join(
        f"{name} {summary.shipments_by_verdict.get(name, 0):,}" for name in ("clear", "review", "block", "error")
    )
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    lines = [
        f"screened {summary.rows:,} rows in {summary.shipments:,} shipments in {summary.seconds:.1f} s "
        f"({rate:,.0f} rows/s); input {summary.encoding}, delimiter {summary.delimiter!r}",
        f"rows: {verdicts}, errors {summary.error_rows:,}",
        f"shipments: {shipments}",
    ]
    if summary.split_references:
        lines.append(f"{summary.split_references:,} reference(s) had rows apart from each other; each was "
                     "gathered and screened as one declaration (an extra pass; sorting by reference avoids it)")
    lines.append(f"result: {output}")
    typer.echo("\n".join(lines))
