"""The audit export: one record per recorded screening (times, verdict, rules, lists, stamps, decisions),
read in pages so that any number of screenings streams in constant memory, written as CSV or JSON Lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlmodel import Session, col, select

from service.batch.results import excel_safe
from service.store.database import as_utc
from service.store.decisions import decisions_of
from service.store.party_matches import PartyMatch
from service.store.screenings import ScreeningFilter, list_screenings
from service.store.tables import Decision, Screening

PAGE = 500  # screenings read per query: small enough for constant memory, large enough to be few queries
NAME_CSV_COLUMNS = (
    "id", "matched_at", "name", "country", "kind", "outcome", "hits", "notes", "lists", "software_version",
    "review_threshold", "block_threshold", "thresholds", "caller_key_id", "request_id",
)
CSV_COLUMNS = (
    "id", "reference", "screened_at", "export_date", "screened_on", "retrospective", "verdict", "risk_score",
    "rule_ids", "lists", "rulebook_version", "software_version", "review_threshold", "block_threshold",
    "thresholds", "decision", "decided_at", "decided_by_key_id", "decided_by_role", "reason_code", "note",
    "decisions", "caller_key_id", "request_id",
)


def screenings_with_decisions(session: Session, where: ScreeningFilter) -> Iterator[tuple[Screening, list[Decision]]]:
    """Every screening that `where` selects, newest first (as the listing), with its decisions oldest first."""
    after: str | None = None
    while True:
        rows = list_screenings(session, where, PAGE, after)
        history = decisions_of(session, [row.id for row in rows])
        for row in rows:
            yield row, history[row.id]
        if len(rows) < PAGE:
            return
        after = rows[-1].id


def audit_records(session: Session, where: ScreeningFilter) -> Iterator[dict[str, Any]]:
    """The audit record of every screening that `where` selects, newest first."""
    for row, decisions in screenings_with_decisions(session, where):
        yield audit_record(row, decisions)


def audit_record(row: Screening, decisions: list[Decision]) -> dict[str, Any]:
    """One screening as the auditor reads it (JSON data); `decisions` oldest first."""
    rulebook = row.result.get("rulebook", {})
    return {
        "id": row.id, "reference": row.reference, "screened_at": _iso(row.screened_at),
        "export_date": row.as_of.isoformat(), "screened_on": rulebook.get("screened_on"),
        "retrospective": row.retrospective, "verdict": row.verdict, "risk_score": row.risk_score,
        "rule_ids": list(dict.fromkeys(finding["rule_id"] for finding in row.findings)),
        "lists": row.lists, "rulebook_version": row.rulebook_version, "software_version": row.software_version,
        "thresholds": row.thresholds, "decision": decisions[-1].decision if decisions else None,
        "decisions": [_decision(decision) for decision in decisions],
        "caller_key_id": row.caller_key_id, "request_id": row.request_id,
    }


def _decision(row: Decision) -> dict[str, Any]:
    return {"decision": row.decision, "reason_code": row.reason_code, "note": row.note,
            "decided_at": _iso(row.decided_at), "decided_by_key_id": row.decided_by_key_id,
            "decided_by_role": row.decided_by_role}


def _iso(moment: datetime) -> str:
    """UTC with its zone (SQLite hands times back without one; they were stored in UTC)."""
    return as_utc(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


def csv_cells(record: dict[str, Any]) -> list[str]:
    """The record's CSV row (CSV_COLUMNS), every cell safe to open in Excel (no formula can run)."""
    latest = record["decisions"][-1] if record["decisions"] else {}
    thresholds = record["thresholds"] or {}
    values = {
        **record, "retrospective": "true" if record["retrospective"] else "false",
        "rule_ids": " ".join(record["rule_ids"]),
        "lists": "; ".join(f"{stamp['name']}={stamp['version']}" for stamp in record["lists"]),
        "review_threshold": thresholds.get("review_threshold"), "block_threshold": thresholds.get("block_threshold"),
        "thresholds": _json(record["thresholds"]) if record["thresholds"] is not None else "",
        "decided_at": latest.get("decided_at"), "decided_by_key_id": latest.get("decided_by_key_id"),
        "decided_by_role": latest.get("decided_by_role"), "reason_code": latest.get("reason_code"),
        "note": latest.get("note"), "decisions": _json(record["decisions"]) if record["decisions"] else "",
    }
    return [excel_safe("" if values[column] is None else str(values[column])) for column in CSV_COLUMNS]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def csv_chunks(
    records: Iterable[dict[str, Any]], rows_per_chunk: int = PAGE, *, columns: tuple[str, ...] = CSV_COLUMNS,
    cells: Callable[[dict[str, Any]], list[str]] = csv_cells,
) -> Iterator[bytes]:
    """The export as CSV (UTF-8 with a BOM, which Excel needs to read it as UTF-8), in chunks of rows."""
    batch: list[list[str]] = [list(columns)]
    prefix = "\ufeff"
    for record in records:
        batch.append(cells(record))
        if len(batch) >= rows_per_chunk:
            yield (prefix + _csv_text(batch)).encode()
            batch, prefix = [], ""
    yield (prefix + _csv_text(batch)).encode()


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def jsonl_chunks(records: Iterable[dict[str, Any]], rows_per_chunk: int = PAGE) -> Iterator[bytes]:
    """The export as JSON Lines: one record per line, nested as `audit_record` makes it."""
    batch: list[bytes] = []
    for record in records:
        batch.append(orjson.dumps(record) + b"\n")
        if len(batch) >= rows_per_chunk:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


def name_match_records(session: Session, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """Every name screened alone in [since, until), newest first, read a page at a time."""
    after: str | None = None
    while True:
        query = (select(PartyMatch).where(col(PartyMatch.matched_at) >= since)
                 .where(col(PartyMatch.matched_at) < until))
        if after is not None:
            query = query.where(col(PartyMatch.id) < after)
        rows = list(session.exec(query.order_by(col(PartyMatch.id).desc()).limit(PAGE)).all())
        for row in rows:
            yield name_match_record(row)
        if len(rows) < PAGE:
            return
        after = rows[-1].id


def name_match_record(row: PartyMatch) -> dict[str, Any]:
    """One name screened alone as the auditor reads it (JSON data)."""
    return {
        "id": row.id, "matched_at": _iso(row.matched_at), "name": row.name, "country": row.country,
        "kind": row.kind, "outcome": row.outcome, "hits": row.hits, "notes": row.notes, "lists": row.lists,
        "software_version": row.software_version, "thresholds": row.thresholds,
        "caller_key_id": row.caller_key_id, "request_id": row.request_id,
    }


def name_csv_cells(record: dict[str, Any]) -> list[str]:
    """The name match's CSV row (NAME_CSV_COLUMNS): each hit as `list:entry_id score action`, each note by
    its rule id; the JSON Lines export has them whole."""
    thresholds = record["thresholds"]
    values = {
        **record,
        "hits": "; ".join(f"{hit['list']}:{hit['entry_id']} {hit['score']} {hit['action']}" for hit in record["hits"]),
        "notes": " ".join(note["rule_id"] for note in record["notes"]),
        "lists": "; ".join(f"{stamp['name']}={stamp['version']}" for stamp in record["lists"]),
        "review_threshold": thresholds.get("review_threshold"), "block_threshold": thresholds.get("block_threshold"),
        "thresholds": _json(thresholds),
    }
    return [excel_safe("" if values[column] is None else str(values[column])) for column in NAME_CSV_COLUMNS]
