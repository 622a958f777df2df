"""The webhook dispatcher: turns outbox events into deliveries and sends them, with retries and backoff.

Every process with background work runs one (a background thread: API processes, `export-screen
worker`), on any number of machines. They share the work through the database: creating an event's
deliveries and claiming a delivery for an attempt are conditional UPDATEs that exactly one dispatcher
wins, on rows first locked with SKIP LOCKED on PostgreSQL so that each dispatcher takes rows of its own;
no delivery is ever sent by two processes at once.
Delivery is at least once (a worker that dies mid-send leaves a lease that runs out, and the delivery is
sent again); receivers dedupe on the delivery id (or the event id). Ordering is not guaranteed.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, timedelta

import httpx
import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.periodic import Periodic
from service.settings import Settings
from service.store.database import Clock, Writing, now
from service.store.webhooks import (
    DeliveryStatus,
    DueDelivery,
    claim_due,
    fan_out,
    record_attempt,
    undispatched_events,
)
from service.webhooks.receivers import Resolver, refusal_after_lookup, system_resolver
from service.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_ID,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    signature,
    standard_signature,
)

logger = logging.getLogger("service.webhooks")
FAN_OUT = 500  # events turned into deliveries per round, in one transaction
BATCH = 50  # deliveries attempted per round
SENDERS = 8  # concurrent sends per dispatcher: one slow receiver does not hold up the others for long
ERROR_CHARS = 300  # of a receiver's error answer kept in `last_error`


def event_body(due: DueDelivery) -> bytes:
    """The JSON body of a delivery: the same bytes on every attempt, so a receiver can compare them."""
    created = due.event_created_at if due.event_created_at.tzinfo else due.event_created_at.replace(tzinfo=UTC)
    return orjson.dumps({"id": due.event_id, "type": due.event_type, "created_at": created, "data": due.data},
                        option=orjson.OPT_UTC_Z)


def signed_headers(due: DueDelivery, timestamp: int, body: bytes) -> dict[str, str]:
    """The signature headers of one attempt: Standard Webhooks' three (the delivery id is the message id,
    the same on every retry, as receivers dedupe on it) and the older single header."""
    return {WEBHOOK_ID: due.id, WEBHOOK_TIMESTAMP: str(timestamp),
            WEBHOOK_SIGNATURE: standard_signature(due.secrets, due.id, timestamp, body),
            SIGNATURE_HEADER: signature(due.secrets[0], timestamp, body, *due.secrets[1:])}


class WebhookDispatcher(Periodic):
    """Fans events out into deliveries and sends due deliveries; `run_once` does one round synchronously."""

    def __init__(self, engine: Engine, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 clock: Clock = now, writing: Writing = nullcontext, resolve: Resolver = system_resolver) -> None:
        # Held past the longest a send can take, so a live sender never loses its claim to another worker.
        lease = timedelta(seconds=4 * settings.webhook_timeout + 30)
        super().__init__("webhook-dispatcher", settings.webhook_poll_seconds, join_timeout=lease.total_seconds())
        self.lease = lease
        self.engine = engine
        self.clock = clock
        # The API's in-process write lock for SQLite (ServiceState.writing): our short writes queue with the
        # requests' instead of sending them into SQLite's busy handler.
        self.writing = writing
        self.max_attempts = settings.webhook_max_attempts
        # which receivers may be sent to (receivers.py), checked again before every attempt
        self.allowed_hosts = list(settings.webhook_allowed_hosts)
        self.private_receivers = settings.webhook_private_receivers
        self.resolve = resolve
        self.backoff = settings.webhook_backoff_seconds
        self._http = httpx.Client(transport=transport, timeout=settings.webhook_timeout, follow_redirects=False,
                                  headers={"User-Agent": "export-screen-webhooks/1"})
        self._senders = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="webhook-sender")

    def stop(self) -> None:
        """Stop after the current round (a send in flight finishes or times out) and close the connections."""
        super().stop()
        self._senders.shutdown(wait=True)
        self._http.close()

    def run_once(self) -> int:
        """Fan out new events, then attempt every due delivery once; the number of attempts made."""
        return self._round()[1]

    def _round(self) -> tuple[int, int]:
        return self.dispatch_events(), self.deliver_due()

    def dispatch_events(self) -> int:
        """Create the deliveries of up to FAN_OUT events not dispatched yet; the number of events seen."""
        with Session(self.engine) as session:
            event_ids = undispatched_events(session, FAN_OUT)
        if event_ids:
            with self.writing(), Session(self.engine) as session:
                fan_out(session, event_ids, self.clock())
                session.commit()
        return len(event_ids)

    def deliver_due(self) -> int:
        """Claim and send each due delivery once; the number of attempts made."""
        with self.writing(), Session(self.engine) as session:
            claimed = claim_due(session, self.clock(), BATCH, self.lease)  # the others went to another worker
        for _ in self._senders.map(self._attempt, claimed):  # waits for every send; re-raises a bug
            pass
        return len(claimed)

    def _attempt(self, due: DueDelivery) -> None:
        """Send a claimed delivery once and record the outcome: delivered, a retry later, or failed."""
        attempt = due.attempts + 1
        status_code, error = self._send(due)
        moment = self.clock()
        if error is None:
            status, next_at = DeliveryStatus.DELIVERED, None
        elif attempt >= self.max_attempts:
            status, next_at = DeliveryStatus.FAILED, None
            logger.warning("webhook delivery %s to subscription failed after %d attempts: %s", due.id, attempt, error)
        else:
            status, next_at = DeliveryStatus.PENDING, moment + self.retry_delay(attempt)
        with self.writing(), Session(self.engine) as session:
            record_attempt(session, due.id, attempt, status=status, moment=moment, next_attempt_at=next_at,
                           status_code=status_code, error=error)

    def retry_delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based): backoff, doubled per further failure."""
        return timedelta(seconds=self.backoff * 2 ** (attempt - 1))

    def _send(self, due: DueDelivery) -> tuple[int | None, str | None]:
        """One POST; (status code, None) on 2xx, else (status code or None, why it failed)."""
        why = refusal_after_lookup(due.url, allowed_hosts=self.allowed_hosts, private=self.private_receivers,
                                   resolve=self.resolve)
        if why is not None:  # a failed attempt like any other: retried, then failed, and visible with the reason
            return None, f"not sent: {why}"[:ERROR_CHARS]
        body = event_body(due)
        headers = {"Content-Type": "application/json", EVENT_HEADER: due.event_type, DELIVERY_HEADER: due.id,
                   **signed_headers(due, int(self.clock().timestamp()), body)}
        try:
            with self._http.stream("POST", due.url, content=body, headers=headers) as response:
                if response.is_success:
                    return response.status_code, None
                return response.status_code, f"HTTP {response.status_code}: {_first_text(response)}".strip()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]

    def tick(self) -> bool:
        """One round; True when a full round suggests more is waiting (no pause then)."""
        try:
            events, attempts = self._round()
        except SQLAlchemyError as exc:
            logger.warning("webhook dispatch round failed, retrying: %s", type(exc).__name__)
            return False
        except Exception:  # keep dispatching whatever one round hit; the log has the bug
            logger.exception("webhook dispatch round failed unexpectedly")
            return False
        return events >= FAN_OUT or attempts >= BATCH


def _first_text(response: httpx.Response) -> str:
    """The start of the receiver's answer (a misbehaving receiver cannot make us read megabytes)."""
    chunk = b""
    for part in response.iter_bytes():
        chunk += part
        if len(chunk) >= ERROR_CHARS:
            break
    return chunk[:ERROR_CHARS].decode("utf-8", "replace")
