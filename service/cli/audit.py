"""`export-screen audit export|report`: the audit trail for an auditor, as a file or as counts for a period."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.cli.output import EXIT_FATAL, EXIT_INVALID, fail
from service.engine.declaration import TAIPEI
from service.files import replace_file_streamed
from service.settings import get_settings
from service.store.audit_export import (
    NAME_CSV_COLUMNS,
    audit_records,
    csv_chunks,
    jsonl_chunks,
    name_csv_cells,
    name_match_records,
)
from service.store.audit_report import AuditReport, audit_report
from service.store.database import make_engine
from service.store.screenings import ScreeningFilter

app = typer.Typer(help="Export the audit trail or report on a period.", no_args_is_help=True)

Writer = Callable[[Iterable[dict[str, Any]]], Iterator[bytes]]
WRITERS: dict[str, Writer] = {"csv": csv_chunks, "jsonl": jsonl_chunks}
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DAY = ["%Y-%m-%d"]
From = Annotated[datetime, typer.Option("--from", formats=DAY, help="First day (YYYY-MM-DD, Taipei time).")]
To = Annotated[datetime, typer.Option("--to", formats=DAY, help="Last day, included (YYYY-MM-DD, Taipei time).")]


def period(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """[first day 00:00, day after the last 00:00) in Taipei, the days an exporter in Taiwan means, in UTC
    (as times are stored: SQLite compares them as text, without their zone)."""
    if last < first:
        fail(f"--to {last:%Y-%m-%d} is before --from {first:%Y-%m-%d}", EXIT_INVALID)
    start = datetime.combine(first.date(), time(), TAIPEI)
    end = datetime.combine(last.date() + timedelta(days=1), time(), TAIPEI)
    return start.astimezone(UTC), end.astimezone(UTC)


@app.command("export")
def export(
    first: From, last: To,
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write; '-' for standard output.")],
    output_format: Annotated[str | None, typer.Option(
        "--format", help="csv or jsonl; by default from the file's extension (.csv, .jsonl, .ndjson).")] = None,
    names: Annotated[bool, typer.Option(
        "--names", help="Export the names screened alone (POST /v1/parties:match) instead of the screenings.")] = False,
) -> None:
    """One row per screening of the period, newest first: reference, times, verdict, risk, rule ids, list and
    rulebook versions, software version and thresholds, decisions with reviewer and reason."""
    chosen = _format_of(output, output_format)
    since, until = period(first, last)
    engine = make_engine(get_settings().database_url)
    counted = [0]
    try:
        with Session(engine) as session:
            _write(output, _chunks(session, chosen, names, (since, until), counted))
    except SQLAlchemyError as exc:
        fail(f"the audit trail could not be read, nothing written (is the schema current? export-screen db "
             f"upgrade): {type(exc).__name__}: {exc}", EXIT_FATAL)
    finally:
        engine.dispose()
    what = "names screened alone" if names else "screenings"
    typer.echo(f"{counted[0]} {what} of {first:%Y-%m-%d} to {last:%Y-%m-%d} written to {output}", err=True)


def _format_of(output: Path, output_format: str | None) -> str:
    """--format if given, else the extension's; a file of neither kind is refused rather than guessed."""
    chosen = output_format.lower() if output_format else EXTENSIONS.get(output.suffix.lower())
    if chosen not in WRITERS:
        given = f"--format {output_format!r}" if output_format else f"the extension of {str(output)!r}"
        fail(f"{given} names no export format; use --format csv or --format jsonl", EXIT_INVALID)
    return chosen


def _chunks(session: Session, chosen: str, names: bool, between: tuple[datetime, datetime],
            counted: list[int]) -> Iterator[bytes]:
    """The export's bytes: screenings, or names screened alone (their own CSV columns), counted as they go."""
    since, until = between
    if not names:
        return WRITERS[chosen](_counting(audit_records(session, ScreeningFilter(since=since, until=until)), counted))
    records = _counting(name_match_records(session, since, until), counted)
    if chosen == "csv":
        return csv_chunks(records, columns=NAME_CSV_COLUMNS, cells=name_csv_cells)
    return jsonl_chunks(records)


def _counting(records: Iterator[dict[str, Any]], counted: list[int]) -> Iterator[dict[str, Any]]:
    for record in records:
        counted[0] += 1
        yield record


def _write(output: Path, chunks: Iterator[bytes]) -> None:
    """To standard output as the rows come, or to a file that appears only once complete."""
    if str(output) == "-":
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    else:
        replace_file_streamed(output, chunks)


@app.command("report")
def report(
    first: From, last: To,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Counts for the period: by verdict, by rule, by list; decisions by reason, median time to decision,
    screenings awaiting a decision, names screened alone, open alerts."""
    if output_format not in ("text", "json"):
        fail(f"--format {output_format!r}: use text or json", EXIT_INVALID)
    since, until = period(first, last)
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            counts = audit_report(session, since, until)
    except SQLAlchemyError as exc:
        fail(f"the audit trail could not be read (is the schema current? export-screen db upgrade): "
             f"{type(exc).__name__}: {exc}", EXIT_FATAL)
    finally:
        engine.dispose()
    if output_format == "json":
        typer.echo(json.dumps(counts.as_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(report_lines(counts, first, last)))


def report_lines(counts: AuditReport, first: datetime, last: datetime) -> list[str]:
    """The report as text for a reader."""
    data = counts.as_json()
    verdicts = ", ".join(f"{verdict} {count}" for verdict, count in data["by_verdict"].items())
    names = ", ".join(f"{outcome} {count}" for outcome, count in data["names_screened_alone"].items())
    median = data["median_seconds_to_decision"]
    alerts = data["open_alerts"]
    lines = [
        f"Audit report {first:%Y-%m-%d} to {last:%Y-%m-%d} (days in Asia/Taipei)",
        f"Screenings: {data['screenings']} ({verdicts})",
        f"Decided: {data['decided']}; awaiting a decision: {data['awaiting_decision']} (review or block, undecided)",
        f"Median time to decision: {duration(median) if median is not None else 'n/a (nothing decided)'}",
        f"Open alerts: {alerts if alerts is not None else 'n/a (this database holds no alerts)'}",
        f"Names screened alone: {sum(data['names_screened_alone'].values())} ({names})",
        "", "By rule (screenings with a finding of the rule):",
        *(f"  {rule}  {count}" for rule, count in data["by_rule"].items()),
        "", "By list (screenings that used the version, party hits on it):",
        *(f"  {entry['list']} {entry['version']}  {entry['screenings']}  {entry['party_hits']}"
          for entry in data["by_list"]),
        "", "Decisions by reason:",
        *(f"  {entry['decision']} {entry['reason_code']}  {entry['count']}" for entry in data["decisions_by_reason"]),
    ]
    return lines


def duration(seconds: float) -> str:
    """A time span as a reader says it: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86_400:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 86_400} d {whole % 86_400 // 3600} h"
