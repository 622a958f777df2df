"""The webhook outbox: one row per event, written in the transaction of the change that causes it.

A screening with a `review` or `block` verdict, a decision, a batch job reaching `complete` or `failed`, and
an alert raised by a re-screening each add an event here before their transaction commits (transactional
outbox): the event exists if and only if the change committed. The webhook dispatcher
(`service.webhooks.dispatcher`) later turns each event into one delivery per subscription and sends them;
nothing here talks to the network.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String, Table
from sqlalchemy.engine import Dialect
from sqlmodel import Field, Session, SQLModel

from service.store.appending import Appender, Appending
from service.store.database import new_id, now


class EventType(StrEnum):
    """What a webhook subscriber can hear about."""

    SCREENING_REVIEW = "screening.review"
    SCREENING_BLOCK = "screening.block"
    DECISION_CREATED = "decision.created"
    BATCH_COMPLETED = "batch.completed"
    BATCH_FAILED = "batch.failed"
    ALERT_CREATED = "alert.created"


class WebhookEvent(SQLModel, table=True):
    """One event; `dispatched_at` is set when the dispatcher has created its deliveries."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_dispatched_at", "dispatched_at"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # UUIDv7
    type: str = Field(sa_column=Column(String(40), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


EVENTS: Table = WebhookEvent.__table__  # type: ignore[attr-defined]
_APPEND = Appender(EVENTS)
_VERDICT_EVENTS = {"review": EventType.SCREENING_REVIEW, "block": EventType.SCREENING_BLOCK}


def add_events(session: Session, events: list[tuple[EventType, dict[str, Any]]]) -> None:
    """Append events in the caller's transaction (a plain INSERT, like the screenings they report)."""
    if events:
        _APPEND(session.connection(), event_rows(events))


def event_appending(dialect: Dialect, events: list[tuple[EventType, dict[str, Any]]]) -> Appending | None:
    """Events about to be appended, bound for `dialect` (None: no event)."""
    return _APPEND.bound(dialect, event_rows(events)) if events else None


def event_rows(events: list[tuple[EventType, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The outbox rows (column values) for events."""
    return [{"id": new_id(), "type": kind.value, "created_at": now(), "data": data, "dispatched_at": None}
            for kind, data in events]


def screening_events(screenings: list[dict[str, Any]]) -> list[tuple[EventType, dict[str, Any]]]:
    """The events for screening rows (their column values): one per `review` or `block` verdict."""
    return [(_VERDICT_EVENTS[row["verdict"]], screening_data(row)) for row in screenings
            if row["verdict"] in _VERDICT_EVENTS]


def screening_data(row: dict[str, Any]) -> dict[str, Any]:
    """What a subscriber needs to act on a held screening without a second call in most cases."""
    return {
        "screening_id": row["id"], "reference": row["reference"], "verdict": row["verdict"],
        "risk_score": row["risk_score"], "screened_at": _iso(row["screened_at"]),
        "rulebook_version": row["rulebook_version"], "request_id": row["request_id"],
        "rule_ids": sorted({finding["rule_id"] for finding in row["findings"] if "rule_id" in finding}),
        "url": f"/v1/screenings/{row['id']}",
    }


def decision_data(decision: Any, screening: Any) -> dict[str, Any]:
    """A decision (a `tables.Decision`) on a screening (a `tables.Screening`)."""
    return {
        "decision_id": decision.id, "screening_id": screening.id, "reference": screening.reference,
        "verdict": screening.verdict, "risk_score": screening.risk_score, "decision": decision.decision,
        "reason_code": decision.reason_code, "decided_at": _iso(decision.decided_at),
        "decided_by_role": decision.decided_by_role, "request_id": decision.request_id,
        "url": f"/v1/screenings/{screening.id}",
    }


def alert_data(values: dict[str, Any]) -> dict[str, Any]:
    """A new alert (its column values): what changed, for which shipment or monitored party."""
    data = {key: values[key] for key in ("screening_id", "party_external_id", "reference", "party_role",
                                          "party_name", "list_name", "entry_id", "listed_name", "score",
                                          "action", "cause")}
    return {"alert_id": values["id"], **data, "created_at": _iso(values["created_at"]),
            "url": f"/v1/alerts/{values['id']}"}


def batch_data(job_id: str, status: str, values: dict[str, Any]) -> dict[str, Any]:
    """A batch job that reached `complete` or `failed`, with the counts or the reason."""
    data: dict[str, Any] = {"batch_id": job_id, "status": status, "url": f"/v1/batches/{job_id}"}
    if status == "complete":
        data.update(rows=values.get("rows_done"), counts=values.get("counts"),
                    result_url=f"/v1/batches/{job_id}/result")
    else:
        data["error"] = values.get("error")
    return data


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
