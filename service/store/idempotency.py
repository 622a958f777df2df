"""Stored answers to POSTs sent with an Idempotency-Key, scoped per API key."""

from __future__ import annotations

from sqlalchemy import Table, insert
from sqlmodel import Session

from service.store.database import now
from service.store.tables import IdempotencyRecord

ANSWERS: Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]


def find_answer(session: Session, caller_key_id: str, key: str) -> IdempotencyRecord | None:
    """The stored answer for (API key, Idempotency-Key), if any."""
    return session.get(IdempotencyRecord, (caller_key_id, key))


def add_answer(session: Session, caller_key_id: str, key: str, request_hash: str, status: int, body: bytes) -> None:
    """Store an answer in the caller's transaction, so it commits (or not) with the work it describes."""
    values = {"caller_key_id": caller_key_id, "idempotency_key": key, "request_hash": request_hash,
              "status_code": status, "body": body, "created_at": now()}
    session.connection().execute(insert(ANSWERS), values)
