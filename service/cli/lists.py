"""`export-screen lists import|show|update|remove|adopt`: store, inspect, refresh and drop list snapshots."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from service.cli.output import EXIT_FATAL, EXIT_INVALID, fail
from service.engine.parties.sources import FORMATS, ListReadError, RowWarning
from service.engine.parties.sources.curated import curated_list_schema
from service.engine.screen import utc_now
from service.lists.indexes import StoredIndexError, refresh_index
from service.lists.intake import SnapshotRefused, adopt_snapshots, remove_list, take_in
from service.lists.load import ListLoadError, load_lists
from service.lists.manifest import ManifestError
from service.lists.schedule import record_outcomes, update_lock
from service.lists.store import SnapshotError, WrittenSnapshot, read_info, snapshot_dir, snapshot_paths
from service.lists.update import UpdateOutcome, update_lists
from service.settings import Settings, get_settings

app = typer.Typer(help="Import, show and update denied-party list snapshots.", no_args_is_help=True)

# Tests put an httpx.MockTransport here; None means the real network.
TRANSPORT: httpx.BaseTransport | None = None
SHOWN_WARNINGS = 20


def _report_warnings(warnings: list[RowWarning]) -> None:
    """Skipped rows on stderr (the first few, then a count)."""
    for warning in warnings[:SHOWN_WARNINGS]:
        typer.echo(f"warning: {warning}", err=True)
    if len(warnings) > SHOWN_WARNINGS:
        typer.echo(f"warning: ... and {len(warnings) - SHOWN_WARNINGS} more skipped rows", err=True)


def _pickup_note(settings: Settings) -> None:
    """What a running service does with what was just stored."""
    typer.echo(f"a running service picks this up within {settings.reload_poll_seconds:g} s "
               "(each worker follows the list manifest; /readyz shows a list that could not be loaded)")


def _index_lists(written: Iterable[WrittenSnapshot | None] = ()) -> None:
    """Store the party index of the lists as they now are, so that every process reads it instead of
    building it at start (`written`: the snapshots just stored, whose entries are in memory still). A
    failure is reported, not fatal: the first process to start then builds it."""
    started = time.perf_counter()
    try:
        stored = refresh_index(get_settings(), [snapshot for snapshot in written if snapshot is not None])
    except (ListLoadError, OSError, StoredIndexError) as exc:
        typer.echo(f"warning: the party index was not stored ({exc}); the service builds it when it starts",
                   err=True)
        return
    if stored is not None:
        typer.echo(f"party index stored in {stored} ({time.perf_counter() - started:.1f} s)")


def _loud(message: str) -> None:
    """A failure an operator must not miss."""
    typer.echo(f"!!! LIST NOT UPDATED: {message}", err=True)


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="List file (OFAC: the directory or its sdn.csv).")],
    list_format: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")],
    name: Annotated[str | None, typer.Option("--name", help="Snapshot name (default: the format's).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Store even if truncated or shrunk.")] = False,
) -> None:
    """Parse a list file and store it as a snapshot with a content hash and import time."""
    if list_format not in FORMATS:
        fail(f"--format {list_format!r}: expected one of {', '.join(FORMATS)}", EXIT_INVALID)
    settings = get_settings()
    try:
        intake = take_in(settings, list_format, path, name, force=force)
    except (ListReadError, SnapshotError) as exc:
        fail(f"list not imported: {exc}", EXIT_INVALID)
    except SnapshotRefused as exc:
        _loud(str(exc))
        raise typer.Exit(EXIT_FATAL) from exc
    except OSError as exc:
        fail(f"list not imported, snapshot could not be written: {exc}", EXIT_FATAL)
    _report_warnings(intake.warnings)
    info = intake.info
    before = f" (was {intake.previous.version}, {intake.previous.entries} entries)" if intake.previous else ""
    typer.echo(f"stored {info.name} {info.version}: {info.entries} entries, "
               f"{info.warnings} rows skipped{before}")
    _index_lists([intake.written])
    _pickup_note(settings)


@app.command("show")
def show_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print every list that screening would use: curated lists and stored snapshots."""
    settings = get_settings()
    try:
        loaded = load_lists(settings)
    except ListLoadError as exc:
        fail(f"lists cannot be loaded, nothing would be screened: {exc}", EXIT_FATAL)
    stamps, now = loaded.stamps, utc_now()
    ages = {age.name: age for age in loaded.ages}
    details = {}
    for path in snapshot_paths(snapshot_dir(settings.data_dir)):
        try:
            info = read_info(path)
        except SnapshotError:  # pragma: no cover - load_lists has already proven every snapshot
            continue
        details[info.name] = info
    rows: list[dict[str, Any]] = [
        {"name": stamp.name, "version": stamp.version, "entries": stamp.entries,
         "imported_at": details[stamp.name].imported_at.isoformat() if stamp.name in details else None,
         "format": details[stamp.name].format if stamp.name in details else "yaml (bundled)",
         "source": details[stamp.name].source if stamp.name in details else str(settings.lists_dir),
         "max_age_days": settings.list_max_age_days.get(stamp.name, settings.list_default_max_age_days)
         if stamp.name in details else None,
         "out_of_date": ages[stamp.name].out_of_date(now)}
        for stamp in stamps
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{'name':<16} {'version':<24} {'entries':>8}  {'imported at (UTC)':<20} format")
    for row in rows:
        when = (row["imported_at"] or "bundled")[:19].replace("T", " ")
        late = f"  OUT OF DATE (update interval {row['max_age_days']:g} days)" if row["out_of_date"] else ""
        typer.echo(f"{row['name']:<16} {row['version']:<24} {row['entries']:>8}  {when:<20} {row['format']}{late}")
    if not any(age.official for age in loaded.ages):
        typer.echo("no official list is loaded: parties are screened against the bundled lists only")


@app.command("update")
def update_command(
    names: Annotated[list[str] | None, typer.Option("--name", help="Only this configured list (repeatable).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Store even if truncated or shrunk (not if failed).")] = False,
) -> None:
    """Download the configured official lists; a failed or suspicious download keeps the old snapshot."""
    settings = get_settings()
    known = {source.name for source in settings.list_sources}
    unknown = sorted(set(names or []) - known)
    if unknown:
        fail(f"--name {', '.join(unknown)}: not configured (configured: {', '.join(sorted(known))})", EXIT_INVALID)
    with update_lock(settings.data_dir) as held:  # the service's scheduled update holds it while it runs
        if not held:
            fail("a list update is running now (scheduled in the service, or another lists update); "
                 "try again when it is done", EXIT_FATAL)
        started = utc_now()
        outcomes = _update_with_progress(settings, names or [source.name for source in settings.list_sources],
                                         force)
        record_outcomes(settings.data_dir, started, outcomes)
    for outcome in outcomes:
        if outcome.stored is not None:
            _report_warnings(outcome.stored.warnings)
            info = outcome.stored.info
            typer.echo(f"updated {info.name} {info.version}: {info.entries} entries")
        else:
            _loud(outcome.error or outcome.name)
    if any(outcome.ok for outcome in outcomes):
        _index_lists([outcome.stored.written for outcome in outcomes if outcome.stored is not None])
    failed = [outcome.name for outcome in outcomes if not outcome.ok]
    if len(failed) < len(outcomes):
        _pickup_note(settings)
    if failed:
        typer.echo(f"!!! {len(failed)} of {len(outcomes)} lists NOT updated: {', '.join(failed)}", err=True)
        raise typer.Exit(EXIT_FATAL)


def _on_terminal() -> bool:
    """Whether a person watches stderr (progress lines would only clutter a log)."""
    return sys.stderr.isatty()


def _update_with_progress(settings: Settings, names: list[str], force: bool) -> list[UpdateOutcome]:
    """Update one list after the other, saying which on a terminal (downloads take minutes)."""
    shown = _on_terminal()
    outcomes: list[UpdateOutcome] = []
    for number, name in enumerate(names, 1):
        if shown:
            typer.echo(f"[{number}/{len(names)}] downloading {name} ...", err=True)
        outcomes += update_lists(settings, transport=TRANSPORT, names=[name], force=force)
        if shown and outcomes:
            typer.echo(f"[{number}/{len(names)}] {name}: {'stored' if outcomes[-1].ok else 'NOT updated'}", err=True)
    return outcomes


@app.command("remove")
def remove_command(
    name: Annotated[str, typer.Argument(help="Name of the stored list to drop, e.g. us-csl.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is dropped (kept in the manifest).")],
) -> None:
    """Drop a stored list on purpose; the manifest records when and why (a vanished file is refused instead)."""
    try:
        removal = remove_list(get_settings(), name, reason)
    except (ManifestError, SnapshotError) as exc:
        fail(f"list not removed: {exc}", EXIT_INVALID)
    except OSError as exc:
        fail(f"list not removed: {exc}", EXIT_FATAL)
    typer.echo(f"removed {removal.name} {removal.version} ({removal.entries} entries) at "
               f"{removal.removed_at:%Y-%m-%d %H:%M} UTC: {removal.reason}")
    _index_lists()


@app.command("adopt")
def adopt_command() -> None:
    """Record the stored snapshots in the manifest (a data directory that has none); each must be whole."""
    try:
        adopted = adopt_snapshots(get_settings())
    except SnapshotError as exc:
        fail(f"nothing adopted: {exc}", EXIT_FATAL)
    except ManifestError as exc:
        fail(f"nothing adopted: {exc}; move it aside to record the snapshots afresh", EXIT_FATAL)
    for info in adopted:
        typer.echo(f"recorded {info.name} {info.version}: {info.entries} entries")
    _index_lists()


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of a curated list file (committed as docs/curated-list.schema.json)."""
    typer.echo(json.dumps(curated_list_schema(), indent=2, ensure_ascii=False))
