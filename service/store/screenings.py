"""The audit trail of screenings: append and read, never update or delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, event, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from service.engine.verdict import Verdict
from service.logs import client_request_id_var
from service.metrics import count_screenings
from service.stamps import ScreeningStamp
from service.store.appending import Appender, Appending
from service.store.database import new_id, now
from service.store.outbox import event_appending, screening_events
from service.store.review_queue import queue_appendings
from service.store.screening_parties import party_appending
from service.store.tables import KEPT_APART, Decision, Screening

UNDECIDED = "none"
SCREENINGS: Table = Screening.__table__  # type: ignore[attr-defined]
_APPEND = Appender(SCREENINGS)


@dataclass(frozen=True)
class ScreeningFilter:
    """What a list of screenings is narrowed to; None means no restriction."""

    verdict: str | None = None
    decision: str | None = None  # release, hold, or "none" for screenings nobody has decided yet
    reference: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class NewScreening:
    """A screening about to be appended: its id and time are fixed before the write."""

    id: str
    screened_at: datetime
    values: dict[str, Any]
    answered: dict[str, Any]  # the verdict as answered (a Verdict as JSON data), findings and lists included


def new_screening(
    *, declaration: dict[str, Any], verdict: Verdict, stamp: ScreeningStamp, caller_key_id: str, request_id: str,
    idempotency_key: str | None = None, body_hash: str | None = None,
) -> NewScreening:
    """The row for one screening, built outside any transaction (so the write itself is short).

    `stamp` is required: a screening recorded without the thresholds in force could not be explained later.
    The client's own request id, if the request that asked for it sent one, comes from the request's
    context (`service.logs.client_request_id_var`; a batch job's screenings have none)."""
    answered = verdict.model_dump(mode="json")
    # the findings and lists once, in their own columns: the screening's row is most of what recording a
    # screening writes
    result = {key: value for key, value in answered.items() if key not in KEPT_APART}
    screening_id, screened_at = new_id(), now()
    values = {
        "id": screening_id, "screened_at": screened_at, "reference": verdict.reference,
        "verdict": verdict.verdict.value, "risk_score": verdict.risk_score,
        "rulebook_version": verdict.rulebook.version, "as_of": verdict.rulebook.as_of,
        "retrospective": verdict.rulebook.retrospective, "lists": answered["lists"],
        "declaration": declaration, "findings": answered["findings"], "result": result,
        "caller_key_id": caller_key_id, "request_id": request_id, "client_request_id": client_request_id_var.get(),
        "idempotency_key": idempotency_key,
        "body_hash": body_hash, "software_version": stamp.software_version,
        "thresholds": stamp.thresholds.model_dump(mode="json"),
    }
    return NewScreening(screening_id, screened_at, values, answered)


@dataclass(frozen=True)
class PreparedScreenings:
    """Screenings ready to append: every row they add, with its values bound for one database.

    Made before the write (prepare_screenings), so that a writer holds SQLite's one write lock, which the
    other workers' writers wait for, for the INSERTs and the commit only, not while it builds a held
    screening's rows and binds their values (JSON written as text, dates)."""

    screenings: list[NewScreening]
    appendings: list[Appending]  # in the order they are appended (the screenings first: the rest refer to them)


def prepare_screenings(dialect: Dialect, screenings: list[NewScreening]) -> PreparedScreenings:
    """The rows that recording these screenings appends, bound for `dialect`."""
    values = [screening.values for screening in screenings]
    appendings = [
        # A plain INSERT: the ORM's unit of work adds nothing for append-only rows.
        _APPEND.bound(dialect, values),
        # The parties again, narrow, so that a list change finds the shipments still to leave.
        party_appending(dialect, values),
        # Held ones join the reviewers' queue, with the rules, lists and countries it filters by.
        *queue_appendings(dialect, values),
        # Webhook events for held verdicts, in the same transaction: they exist iff the screenings do.
        event_appending(dialect, screening_events(values)),
    ]
    return PreparedScreenings(screenings, [appending for appending in appendings if appending is not None])


def write_screenings(session: Session, prepared: PreparedScreenings) -> None:
    """Append prepared screenings to the trail in the caller's transaction (rows are never changed)."""
    if not prepared.screenings:
        return
    connection = session.connection()
    for appending in prepared.appendings:
        appending.run(connection)
    # counted for the metrics once the transaction commits (a failed or retried commit counts nothing)
    session.info.setdefault(_UNCOUNTED, []).extend(screening.values for screening in prepared.screenings)


def add_screenings(session: Session, screenings: list[NewScreening]) -> None:
    """Append screenings to the trail in the caller's transaction (a plain INSERT; rows are never changed)."""
    if screenings:
        write_screenings(session, prepare_screenings(session.get_bind().dialect, screenings))


_UNCOUNTED = "screenings_not_yet_counted"


@event.listens_for(OrmSession, "after_commit")
def _count_committed(session: OrmSession) -> None:
    rows = session.info.pop(_UNCOUNTED, None)
    if rows:
        count_screenings(rows)


@event.listens_for(OrmSession, "after_rollback")
def _forget_rolled_back(session: OrmSession) -> None:
    session.info.pop(_UNCOUNTED, None)


def add_screening(session: Session, **fields: Any) -> NewScreening:
    """Build and append one screening; see `new_screening` for the fields."""
    screening = new_screening(**fields)
    add_screenings(session, [screening])
    return screening


def get_screening(session: Session, screening_id: str) -> Screening | None:
    """One screening by id."""
    return session.get(Screening, screening_id)


def list_screenings(session: Session, where: ScreeningFilter, limit: int, after: str | None) -> list[Screening]:
    """Newest first; `after` is the id of the last row of the previous page (keyset pagination)."""
    query = select(Screening)
    if where.verdict:
        query = query.where(Screening.verdict == where.verdict)
    if where.reference:
        query = query.where(Screening.reference == where.reference)
    if where.since:
        query = query.where(Screening.screened_at >= where.since)
    if where.until:
        query = query.where(Screening.screened_at < where.until)
    if after:
        query = query.where(Screening.id < after)
    if where.decision:
        latest = (
            select(Decision.screening_id, func.max(Decision.id).label("last_id"))
            .group_by(col(Decision.screening_id)).subquery()
        )
        query = query.outerjoin(latest, latest.c.screening_id == Screening.id)
        if where.decision == UNDECIDED:
            query = query.where(latest.c.last_id.is_(None))
        else:
            last = select(Decision.id).where(Decision.decision == where.decision).scalar_subquery()
            query = query.where(latest.c.last_id.in_(last))
    return list(session.exec(query.order_by(col(Screening.id).desc()).limit(limit)).all())
