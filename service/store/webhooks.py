"""Webhook subscriptions and their deliveries: who hears about which events, and how each send went.

Several API worker processes may dispatch at once, so every state change of a delivery is a conditional
UPDATE that only one of them can win: a delivery is claimed by moving its `next_attempt_at` past the
send's deadline (a lease) and counting the attempt, both only if nobody changed the row since it was read.
A worker that dies while sending leaves the lease to run out, after which the delivery is due again
(at-least-once: a receiver can see one delivery twice and must dedupe on its id).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, insert, update
from sqlmodel import Field, Session, SQLModel, col, select

from service.store.database import as_utc, new_id, now
from service.store.outbox import EventType, WebhookEvent
from service.webhooks.signing import SECRET_PREFIX

SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes


class DeliveryStatus(StrEnum):
    """Where a delivery is: still to be sent (or being sent), sent, given up, or dropped on disable."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WebhookSubscription(SQLModel, table=True):
    """A receiver URL and the events it wants. The secret is kept because signing needs it (HMAC)."""

    __tablename__ = "webhook_subscriptions"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    url: str = Field(sa_column=Column(String(2000), nullable=False))
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    secret: str = Field(sa_column=Column(String(100), nullable=False))
    # the secret before the latest rotation, still signing until `previous_secret_until`
    previous_secret: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    previous_secret_until: datetime | None = Field(default=None,
                                                   sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class WebhookDelivery(SQLModel, table=True):
    """One event to one subscription, with the outcome of its latest attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # UUIDv7
    event_id: str = Field(sa_column=Column(String(36), ForeignKey("webhook_events.id"), nullable=False))
    subscription_id: str = Field(
        sa_column=Column(String(36), ForeignKey("webhook_subscriptions.id"), nullable=False)
    )
    event_type: str = Field(sa_column=Column(String(40), nullable=False))
    status: str = Field(sa_column=Column(String(12), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]


def add_subscription(
    session: Session, *, url: str, events: list[EventType], description: str | None, created_by_key_id: str
) -> WebhookSubscription:
    """A new subscription with a fresh signing secret (in the caller's transaction; show the secret once)."""
    row = WebhookSubscription(
        id=new_id(), url=url, events=sorted({event.value for event in events}), description=description,
        secret=new_secret(), created_at=now(), created_by_key_id=created_by_key_id,
    )
    session.add(row)
    return row


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and the base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def rotate_secret(session: Session, subscription: WebhookSubscription, keep_previous: timedelta,
                  moment: datetime | None = None) -> str:
    """Give the subscription a new secret; the current one keeps signing beside it for `keep_previous`, so
    the receiver can switch without losing a delivery. Returns the new secret (show it once)."""
    moment = moment or now()
    subscription.previous_secret = subscription.secret if keep_previous > timedelta(0) else None
    subscription.previous_secret_until = moment + keep_previous if keep_previous > timedelta(0) else None
    subscription.secret = new_secret()
    session.add(subscription)
    return subscription.secret


def signing_secrets(subscription: WebhookSubscription, moment: datetime) -> tuple[str, ...]:
    """The secrets a delivery is signed with now: the current one, and the previous one inside its window."""
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and as_utc(until) > moment:
        return subscription.secret, subscription.previous_secret
    return (subscription.secret,)


def get_subscription(session: Session, subscription_id: str) -> WebhookSubscription | None:
    """One subscription by id."""
    return session.get(WebhookSubscription, subscription_id)


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    """Every subscription, oldest first (disabled ones included)."""
    return list(session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.id))).all())


def disable_subscription(session: Session, subscription: WebhookSubscription) -> None:
    """Stop sending to a subscription; its deliveries still waiting are cancelled (kept, visible)."""
    if subscription.disabled_at is None:
        subscription.disabled_at = now()
        session.add(subscription)
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.subscription_id) == subscription.id,
               col(WebhookDelivery.status) == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.CANCELLED.value, last_error="the subscription was disabled")
    )


def deliveries_of(
    session: Session, subscription_id: str, limit: int, status: DeliveryStatus | None = None
) -> list[WebhookDelivery]:
    """A subscription's deliveries, newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    return list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all())


def retry_delivery(session: Session, delivery_id: str, moment: datetime) -> bool:
    """Put a failed or cancelled delivery back in the queue with a fresh attempt budget (caller commits).

    Same delivery id, so a receiver that dedupes on it still takes it (it never acknowledged it). False if
    the delivery is not failed or cancelled (any more).
    """
    changed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id,
               col(WebhookDelivery.status).in_([DeliveryStatus.FAILED.value, DeliveryStatus.CANCELLED.value]))
        .values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=moment)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


# --- what the dispatcher does -------------------------------------------------------------------------


def undispatched_events(session: Session, limit: int) -> list[str]:
    """Ids of events whose deliveries have not been created yet, oldest first."""
    query = select(WebhookEvent.id).where(col(WebhookEvent.dispatched_at).is_(None))
    return list(session.exec(query.order_by(col(WebhookEvent.id)).limit(limit)).all())


def fan_out(session: Session, event_ids: list[str], moment: datetime) -> int:
    """Create the events' deliveries (one per active subscription that wants the type), once per event.

    Marking the events and inserting the deliveries happen in the caller's transaction. The conditional
    UPDATE ... RETURNING hands each event to exactly one of several concurrent dispatchers (SQLite has one
    writer at a time). On PostgreSQL the rows are first locked with SKIP LOCKED, so two dispatchers that
    picked overlapping events split them instead of waiting on (or deadlocking over) each other's rows.
    Returns the number of deliveries created.
    """
    if not event_ids:
        return 0
    free = session.exec(
        select(WebhookEvent.id).where(col(WebhookEvent.id).in_(event_ids), col(WebhookEvent.dispatched_at).is_(None))
        .order_by(col(WebhookEvent.id)).with_for_update(skip_locked=True)  # nothing on SQLite
    ).all()
    if not free:
        return 0
    claimed = session.execute(
        update(WebhookEvent)
        .where(col(WebhookEvent.id).in_(free), col(WebhookEvent.dispatched_at).is_(None))
        .values(dispatched_at=moment).returning(col(WebhookEvent.id), col(WebhookEvent.type))
    ).all()
    if not claimed:
        return 0
    active = session.exec(select(WebhookSubscription).where(col(WebhookSubscription.disabled_at).is_(None))).all()
    rows = [{"id": new_id(), "event_id": event_id, "subscription_id": subscription.id, "event_type": event_type,
             "status": DeliveryStatus.PENDING.value, "attempts": 0, "next_attempt_at": moment, "created_at": moment}
            for event_id, event_type in sorted(claimed) for subscription in active
            if event_type in subscription.events]
    if rows:
        session.connection().execute(insert(DELIVERIES), rows)
    return len(rows)


@dataclass(frozen=True)
class DueDelivery:
    """A delivery that may be sent now, with what sending needs; `attempts` as read (for the claim)."""

    id: str
    attempts: int
    url: str
    secrets: tuple[str, ...]  # the current secret first; the previous one too while a rotation overlaps
    event_id: str
    event_type: str
    event_created_at: datetime
    data: dict[str, Any]


def due_deliveries(session: Session, moment: datetime, limit: int, *, lock: bool = False) -> list[DueDelivery]:
    """Pending deliveries of active subscriptions whose next attempt is due, the longest-waiting first.
    `lock`: on PostgreSQL, lock the delivery rows and pass over those another dispatcher has locked."""
    query = (
        select(WebhookDelivery, WebhookSubscription, WebhookEvent)
        .join(WebhookSubscription, col(WebhookSubscription.id) == WebhookDelivery.subscription_id)
        .join(WebhookEvent, col(WebhookEvent.id) == WebhookDelivery.event_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING.value, WebhookDelivery.next_attempt_at <= moment,
               col(WebhookSubscription.disabled_at).is_(None))
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id)).limit(limit)
    )
    if lock:  # (nothing on SQLite, whose one writer at a time does the same)
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    return [DueDelivery(id=delivery.id, attempts=delivery.attempts, url=subscription.url,
                        secrets=signing_secrets(subscription, moment),
                        event_id=event.id, event_type=event.type, event_created_at=event.created_at, data=event.data)
            for delivery, subscription, event in session.exec(query).all()]


def claim_due(session: Session, moment: datetime, limit: int, lease: timedelta) -> list[DueDelivery]:
    """Take up to `limit` due deliveries for one attempt each, in one transaction. Dispatchers of several
    replicas each get rows of their own: on PostgreSQL the rows are locked with SKIP LOCKED, and every
    claim is a conditional update that one dispatcher wins. Commits."""
    due = due_deliveries(session, moment, limit, lock=True)
    claimed = [delivery for delivery in due if _take(session, delivery, moment, lease)]
    session.commit()
    return claimed


def claim(session: Session, due: DueDelivery, moment: datetime, lease: timedelta) -> bool:
    """Take a due delivery for one attempt; False if another dispatcher took it first. Commits."""
    claimed = _take(session, due, moment, lease)
    session.commit()
    return claimed


def _take(session: Session, due: DueDelivery, moment: datetime, lease: timedelta) -> bool:
    claimed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == due.id, col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
               col(WebhookDelivery.attempts) == due.attempts, col(WebhookDelivery.next_attempt_at) <= moment)
        .values(attempts=due.attempts + 1, next_attempt_at=moment + lease, last_attempt_at=moment)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def record_attempt(
    session: Session, delivery_id: str, attempt: int, *, status: DeliveryStatus, moment: datetime,
    next_attempt_at: datetime | None, status_code: int | None, error: str | None,
) -> bool:
    """The outcome of the claimed attempt number `attempt`; ignored if the row moved on meanwhile. Commits."""
    values: dict[str, Any] = {"status": status.value, "last_status_code": status_code, "last_error": error}
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if status is DeliveryStatus.DELIVERED:
        values["delivered_at"] = moment
    # A retry is only scheduled while the delivery is still pending (not cancelled by a disable meanwhile);
    # a send that happened is recorded as what it was either way.
    from_states = [DeliveryStatus.PENDING.value]
    if status is not DeliveryStatus.PENDING:
        from_states.append(DeliveryStatus.CANCELLED.value)
    changed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.attempts) == attempt,
               col(WebhookDelivery.status).in_(from_states)).values(**values)
    )
    session.commit()
    return bool(changed.rowcount)  # type: ignore[attr-defined]
