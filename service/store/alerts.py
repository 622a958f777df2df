"""Alerts: new hits found by screening again after a list or rules change, and the decisions closing them.

An alert and its decisions are appended (the alert with an `alert.created` webhook event in the same
transaction); only its status moves, once, from `open` to `closed`, and the closing is recorded in the
workflow events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, tuple_, update
from sqlmodel import Session, col, select

from service.store.database import new_id, now
from service.store.decisions import DecisionKind, ReasonCode
from service.store.outbox import EventType, add_events, alert_data
from service.store.workflow_events import record, record_many
from service.store.workflow_tables import ALERTS, AlertDecisionRow, AlertRow

ENTRY_REMOVED = "list_entry_removed"
CHUNK = 5000  # alerts per executemany


class AlertCause(StrEnum):
    """Why a shipment or a monitored party was screened again."""

    LIST_CHANGED = "list_changed"
    RULES_CHANGED = "rules_changed"


@dataclass(frozen=True)
class AlertFilter:
    """What a list of alerts is narrowed to; None means no restriction."""

    status: str | None = None
    list_name: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class NewAlert:
    """An alert about to be raised."""

    cause: AlertCause
    action: str
    message: str
    screening_id: str | None = None
    party_external_id: str | None = None
    reference: str | None = None
    party_role: str | None = None
    party_name: str | None = None
    party_country: str | None = None
    list_name: str | None = None
    entry_id: str | None = None
    entry_hash: str | None = None
    listed_name: str | None = None
    score: float | None = None


def add_alerts(session: Session, alerts: list[NewAlert]) -> list[str]:
    """Append open alerts and their webhook events (in the caller's transaction)."""
    if not alerts:
        return []
    created = now()
    rows = [{**alert.__dict__, "cause": alert.cause.value, "id": new_id(), "created_at": created,
             "status": "open", "closed_by": None, "closed_at": None} for alert in alerts]
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        connection.execute(insert(ALERTS), chunk)
        # The alert row is its own record (appended, never removed); the webhook event goes with it.
        add_events(session, [(EventType.ALERT_CREATED, alert_data(row)) for row in chunk])
    return [row["id"] for row in rows]


def open_alert_keys(session: Session, entries: list[tuple[str, str]]) -> set[tuple[str | None, str | None, str, str]]:
    """(screening id, monitored party id, list, entry id) of open alerts on these entries: not raised twice."""
    keys: set[tuple[str | None, str | None, str, str]] = set()
    for start in range(0, len(entries), 500):
        chunk = entries[start:start + 500]
        query = (select(AlertRow.screening_id, AlertRow.party_external_id, AlertRow.list_name, AlertRow.entry_id)
                 .where(AlertRow.status == "open")
                 .where(tuple_(col(AlertRow.list_name), col(AlertRow.entry_id)).in_(chunk)))
        keys.update((s, p, str(n), str(e)) for s, p, n, e in session.exec(query).all())
    return keys


def close_for_removed_entries(session: Session, entries: list[tuple[str, str]], request_id: str | None = None,
                              ) -> list[str]:
    """Close the open list-change alerts that rested on entries now removed from their lists; recorded."""
    closed: list[str] = []
    for start in range(0, len(entries), 500):
        chunk = entries[start:start + 500]
        query = (select(AlertRow.id).where(AlertRow.status == "open")
                 .where(tuple_(col(AlertRow.list_name), col(AlertRow.entry_id)).in_(chunk)))
        closed.extend(session.exec(query).all())
    if closed:
        moment = now()
        for start in range(0, len(closed), 500):
            session.connection().execute(update(ALERTS).where(ALERTS.c.id.in_(closed[start:start + 500]))
                                         .values(status="closed", closed_by=ENTRY_REMOVED, closed_at=moment))
        record_many(session, [("alert.closed", "alert", alert_id, {"closed_by": ENTRY_REMOVED})
                              for alert_id in closed], request_id=request_id)
    return closed


def get_alert(session: Session, alert_id: str) -> AlertRow | None:
    """One alert by id."""
    return session.get(AlertRow, alert_id)


def list_alerts(session: Session, where: AlertFilter, limit: int, after: str | None) -> list[AlertRow]:
    """Newest first; `after` is the id of the last row of the previous page (keyset pagination)."""
    query = select(AlertRow)
    if where.status:
        query = query.where(AlertRow.status == where.status)
    if where.list_name:
        query = query.where(AlertRow.list_name == where.list_name)
    if where.since:
        query = query.where(AlertRow.created_at >= where.since)
    if after:
        query = query.where(AlertRow.id < after)
    return list(session.exec(query.order_by(col(AlertRow.id).desc()).limit(limit)).all())


def decide_alert(session: Session, alert: AlertRow, *, decision: DecisionKind, reason_code: ReasonCode, note: str,
                 key_id: str, role: str, request_id: str) -> AlertDecisionRow:
    """Append the decision and close the alert (in the caller's transaction); recorded."""
    row = AlertDecisionRow(alert_id=alert.id, decision=decision.value, reason_code=reason_code.value, note=note,
                           decided_at=now(), decided_by_key_id=key_id, decided_by_role=role, request_id=request_id)
    session.add(row)
    session.flush()
    alert.status, alert.closed_by, alert.closed_at = "closed", f"decision:{row.id}", row.decided_at
    session.add(alert)
    record(session, "alert.decided", "alert", alert.id, key_id=key_id, request_id=request_id,
           data={"decision_id": row.id, "decision": row.decision, "reason_code": row.reason_code})
    return row


def alert_decisions(session: Session, alert_id: str) -> list[AlertDecisionRow]:
    """An alert's decisions, oldest first."""
    query = select(AlertDecisionRow).where(AlertDecisionRow.alert_id == alert_id).order_by(col(AlertDecisionRow.id))
    return list(session.exec(query).all())


def alert_values(alert: NewAlert) -> dict[str, Any]:
    """An alert's fields as a dict (for logs and tests)."""
    return {**alert.__dict__, "cause": alert.cause.value}
