"""Stored answers to POSTs sent with an Idempotency-Key, scoped per API key.

An answer is kept for `Settings.idempotency_retention_hours` (a week by default) and then purged by
`AnswerJanitor`, which every API process runs: a client retries within minutes or hours, while an ERP
that screens a million shipments a day would otherwise add a million stored answers a day for good.
The answers are not the audit trail: every screening and decision stays in its own table.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session

from service.store.appending import Appender
from service.store.database import Clock, Writing, now
from service.store.retention import Janitor
from service.store.tables import IdempotencyRecord

ANSWERS: Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_APPEND = Appender(ANSWERS)
PURGE_BATCH = 5_000  # answers deleted per transaction
PURGE_INTERVAL = 600.0  # seconds between purges, while no backlog is waiting


def find_answer(session: Session, caller_key_id: str, key: str) -> IdempotencyRecord | None:
    """The stored answer for (API key, Idempotency-Key), if any."""
    return session.get(IdempotencyRecord, (caller_key_id, key))


def add_answer(session: Session, caller_key_id: str, key: str, request_hash: str, status: int, body: bytes) -> None:
    """Store an answer in the caller's transaction, so it commits (or not) with the work it describes."""
    values = {"caller_key_id": caller_key_id, "idempotency_key": key, "request_hash": request_hash,
              "status_code": status, "body": body, "created_at": now()}
    _APPEND(session.connection(), [values])


def purge_answers(session: Session, before: datetime, limit: int = PURGE_BATCH) -> int:
    """Delete at most `limit` answers stored before `before`, the oldest first, in the caller's
    transaction; returns how many. (A batch at a time: the first purge of a database kept for months
    meets millions of answers, and one transaction would hold SQLite's single write lock meanwhile.)"""
    oldest = (select(ANSWERS.c.caller_key_id, ANSWERS.c.idempotency_key)
              .where(ANSWERS.c.created_at < before).order_by(ANSWERS.c.created_at).limit(limit))
    result = session.connection().execute(
        delete(ANSWERS).where(tuple_(ANSWERS.c.caller_key_id, ANSWERS.c.idempotency_key).in_(oldest)))
    purged: int = result.rowcount if isinstance(result, CursorResult) else 0
    return purged


class AnswerJanitor(Janitor):
    """Purges the answers older than the retention (see Janitor for the rounds)."""

    what = "stored Idempotency-Key answers"

    def __init__(self, engine: Engine, retention: timedelta, *, interval: float = PURGE_INTERVAL,
                 batch: int = PURGE_BATCH, writing: Writing = nullcontext, clock: Clock = now) -> None:
        super().__init__("idempotency-purge", engine, retention, interval=interval, batch=batch, writing=writing,
                         clock=clock)

    def purge(self) -> int:
        """One batch; returns how many answers went."""
        with self.writing(), Session(self.engine) as session:
            purged = purge_answers(session, self.cutoff(), self.batch)
            session.commit()
        return purged
