"""The workflow's own audit trail: every clearance, own-list entry, revocation, alert and party change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from service.store.database import new_id, now
from service.store.workflow_tables import WORKFLOW_EVENTS, WorkflowEvent


def record(session: Session, kind: str, subject_type: str, subject_id: str | int, *, key_id: str | None = None,
           request_id: str | None = None, data: dict[str, Any] | None = None) -> None:
    """Append one event in the caller's transaction (it exists if and only if the change commits)."""
    record_many(session, [(kind, subject_type, str(subject_id), data or {})], key_id=key_id, request_id=request_id)


def record_many(session: Session, events: list[tuple[str, str, str, dict[str, Any]]], *, key_id: str | None = None,
                request_id: str | None = None) -> None:
    """Append several events (kind, subject type, subject id, data) at once."""
    if events:
        at = now()
        rows = [{"id": new_id(), "at": at, "kind": kind, "subject_type": subject_type, "subject_id": subject_id,
                 "key_id": key_id, "request_id": request_id, "data": data}
                for kind, subject_type, subject_id, data in events]
        session.connection().execute(insert(WORKFLOW_EVENTS), rows)


def events_of(session: Session, subject_type: str, subject_id: str | int) -> list[WorkflowEvent]:
    """Everything recorded about one subject, oldest first."""
    query = (select(WorkflowEvent).where(WorkflowEvent.subject_type == subject_type)
             .where(WorkflowEvent.subject_id == str(subject_id)).order_by(col(WorkflowEvent.id)))
    return list(session.exec(query).all())
