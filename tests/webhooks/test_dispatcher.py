"""The webhook dispatcher, driven synchronously with a fake clock and httpx.MockTransport (no sleeping,
no network): signing, retries with backoff, giving up, leases, and one sender per delivery."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from export_screen_client import InvalidSignature, verify_signature, verify_webhook
from sqlalchemy import Engine
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook as StandardWebhook

from service.engine.verdict import Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store.database import make_engine
from service.store.outbox import EventType
from service.store.screenings import add_screening
from service.store.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
    add_subscription,
    claim,
    claim_due,
    disable_subscription,
    due_deliveries,
    fan_out,
    get_subscription,
    rotate_secret,
    undispatched_events,
)
from service.webhooks.dispatcher import WebhookDispatcher
from tests.webhooks.conftest import public_resolver

STAMP = stamp_of(Settings())

START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _settings(**changes: object) -> Settings:
    values: dict[str, object] = {"webhook_max_attempts": 3, "webhook_backoff_seconds": 10, "webhook_timeout": 2}
    return Settings(**{**values, **changes})  # type: ignore[arg-type]


_made: list[WebhookDispatcher] = []


@pytest.fixture(autouse=True)
def _stop_dispatchers() -> Iterator[None]:
    yield
    while _made:
        _made.pop().stop()


def _dispatcher(engine: Engine, clock: FakeClock, handler: Handler, **settings: object) -> WebhookDispatcher:
    dispatcher = WebhookDispatcher(engine, _settings(**settings), transport=httpx.MockTransport(handler), clock=clock,
                                   resolve=public_resolver)
    _made.append(dispatcher)
    return dispatcher


def _subscribe(engine: Engine, *events: EventType, url: str = "http://erp.invalid/hook") -> tuple[str, str]:
    with Session(engine) as session:
        row = add_subscription(session, url=url, events=list(events) or [EventType.SCREENING_BLOCK],
                               description=None, created_by_key_id="k")
        session.commit()
        return row.id, row.secret


def _screen(engine: Engine, reference: str = "SO-B", outcome: Outcome = Outcome.BLOCK) -> str:
    verdict = Verdict(reference=reference, verdict=outcome, risk_score=95, findings=[],
                      rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))
    with Session(engine) as session:
        row = add_screening(session, declaration={}, verdict=verdict, caller_key_id="k", request_id="r", stamp=STAMP)
        session.commit()
        return row.id


def _deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all())  # type: ignore[arg-type]


def test_a_block_screening_is_delivered_signed(engine: Engine, clock: FakeClock) -> None:
    _, secret = _subscribe(engine)
    screening_id = _screen(engine)
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    assert _dispatcher(engine, clock, receive).run_once() == 1
    [request] = seen
    body = json.loads(request.content)
    assert body["type"] == "screening.block" and set(body) == {"id", "type", "created_at", "data"}
    assert body["data"]["screening_id"] == screening_id and body["data"]["reference"] == "SO-B"
    assert body["data"]["verdict"] == "block" and body["data"]["url"] == f"/v1/screenings/{screening_id}"
    assert request.headers["X-Export-Screen-Event"] == "screening.block"
    assert request.headers["Content-Type"] == "application/json"
    timestamp = verify_signature(secret, request.headers["X-Export-Screen-Signature"], request.content,
                                 at=START.timestamp())
    assert timestamp == int(START.timestamp())
    [delivery] = _deliveries(engine)
    assert request.headers["X-Export-Screen-Delivery"] == delivery.id
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert _dispatcher(engine, clock, receive).run_once() == 0  # nothing is sent twice


def test_a_delivery_carries_standard_webhooks_headers_any_verifier_accepts(engine: Engine, clock: FakeClock) -> None:
    _, secret = _subscribe(engine)
    _screen(engine)
    clock.moment = datetime.now(UTC)  # the reference verifier reads the real clock
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    assert _dispatcher(engine, clock, receive).run_once() == 1
    [request] = seen
    [delivery] = _deliveries(engine)
    assert request.headers["webhook-id"] == delivery.id  # the same on every retry: receivers dedupe on it
    assert request.headers["webhook-timestamp"] == str(int(clock.moment.timestamp()))
    standard = StandardWebhook(secret)  # the reference verifier of the Standard Webhooks project
    assert standard.verify(request.content, dict(request.headers))["data"]["reference"] == "SO-B"
    assert verify_webhook(secret, request.headers, request.content) == delivery.id


def test_a_rotated_secret_signs_beside_the_new_one_until_its_window_ends(engine: Engine, clock: FakeClock) -> None:
    subscription_id, old = _subscribe(engine)
    with Session(engine) as session:
        row = session.get(WebhookSubscription, subscription_id)
        assert row is not None
        new = rotate_secret(session, row, timedelta(hours=1), moment=START)
        session.commit()
    assert new != old and new.startswith("whsec_")
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    _screen(engine, "SO-1")
    _dispatcher(engine, clock, receive).run_once()
    clock.advance(2 * 3600)
    _screen(engine, "SO-2")
    _dispatcher(engine, clock, receive).run_once()
    during, after = seen
    for secret in (old, new):  # during the window, a receiver holding either secret accepts
        verify_webhook(secret, during.headers, during.content, at=START.timestamp())
        verify_signature(secret, during.headers["X-Export-Screen-Signature"], during.content, at=START.timestamp())
    later = (START + timedelta(hours=2)).timestamp()
    verify_webhook(new, after.headers, after.content, at=later)
    with pytest.raises(InvalidSignature):
        verify_webhook(old, after.headers, after.content, at=later)
    assert len(after.headers["webhook-signature"].split(" ")) == 1


def test_failures_are_retried_with_exponential_backoff(engine: Engine, clock: FakeClock) -> None:
    _subscribe(engine)
    _screen(engine)
    answers = iter([503, 500, 200])
    bodies: list[bytes] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(next(answers), text="down for maintenance")

    dispatcher = _dispatcher(engine, clock, flaky)
    assert dispatcher.run_once() == 1
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.last_error == "HTTP 503: down for maintenance"
    clock.advance(9)
    assert dispatcher.run_once() == 0  # not due before the backoff (10 s)
    clock.advance(1)
    assert dispatcher.run_once() == 1
    clock.advance(19)
    assert dispatcher.run_once() == 0  # doubled: 20 s after the second attempt
    clock.advance(1)
    assert dispatcher.run_once() == 1
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered", 3, 200, None)
    assert len(set(bodies)) == 1  # the same body on every attempt


def test_after_max_attempts_the_delivery_is_failed_and_kept(engine: Engine, clock: FakeClock) -> None:
    _subscribe(engine)
    _screen(engine)
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("connection refused", request=request)

    dispatcher = _dispatcher(engine, clock, refuse)
    for _ in range(10):
        dispatcher.run_once()
        clock.advance(3600)
    [delivery] = _deliveries(engine)
    assert calls == 3
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, None)
    assert delivery.last_error == "ConnectError: connection refused"


def test_redirects_and_timeouts_are_failures(engine: Engine, clock: FakeClock) -> None:
    _subscribe(engine)
    _screen(engine, "A")
    _screen(engine, "B")

    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["data"]["reference"] == "A":
            return httpx.Response(302, headers={"Location": "http://elsewhere.invalid/"})
        raise httpx.ReadTimeout("timed out", request=request)

    assert _dispatcher(engine, clock, answer).run_once() == 2
    outcomes = {(d.status, d.last_status_code, (d.last_error or "")[:8]) for d in _deliveries(engine)}
    assert outcomes == {("pending", 302, "HTTP 302"), ("pending", None, "ReadTime")}


def test_only_subscribed_event_types_are_delivered(engine: Engine, clock: FakeClock) -> None:
    blocks, _ = _subscribe(engine, EventType.SCREENING_BLOCK)
    reviews, _ = _subscribe(engine, EventType.SCREENING_REVIEW, EventType.BATCH_FAILED)
    _screen(engine, "A", Outcome.BLOCK)
    _screen(engine, "B", Outcome.REVIEW)
    _screen(engine, "C", Outcome.CLEAR)
    assert _dispatcher(engine, clock, lambda request: httpx.Response(200)).run_once() == 2
    assert sorted((d.subscription_id, d.event_type) for d in _deliveries(engine)) == sorted([
        (blocks, "screening.block"), (reviews, "screening.review")])


def test_a_disabled_subscription_gets_nothing_more(engine: Engine, clock: FakeClock) -> None:
    subscription_id, _ = _subscribe(engine)
    _screen(engine, "A")
    dispatcher = _dispatcher(engine, clock, lambda request: httpx.Response(500))
    dispatcher.run_once()  # one failed attempt: pending, retry due later
    with Session(engine) as session:
        row = get_subscription(session, subscription_id)
        assert row is not None
        disable_subscription(session, row)
        session.commit()
    _screen(engine, "B")
    clock.advance(3600)
    assert dispatcher.run_once() == 0
    [delivery] = _deliveries(engine)  # no delivery is created for the event after the disable
    assert (delivery.status, delivery.attempts) == ("cancelled", 1)
    assert delivery.last_error == "the subscription was disabled"


def test_a_claimed_delivery_cannot_be_claimed_again(engine: Engine, clock: FakeClock) -> None:
    _subscribe(engine)
    _screen(engine)
    dispatcher = _dispatcher(engine, clock, lambda request: httpx.Response(200))
    dispatcher.dispatch_events()
    assert dispatcher.dispatch_events() == 0  # an event fans out once
    with Session(engine) as session:
        [due] = due_deliveries(session, clock(), 10)
    with Session(engine) as first, Session(engine) as second:
        assert claim(first, due, clock(), timedelta(minutes=1))
        assert not claim(second, due, clock(), timedelta(minutes=1))  # read before, claimed by the other
    assert dispatcher.deliver_due() == 0  # leased: not due for anyone


def test_a_sender_that_died_is_replaced_after_its_lease(engine: Engine, clock: FakeClock) -> None:
    _subscribe(engine)
    _screen(engine)
    dispatcher = _dispatcher(engine, clock, lambda request: httpx.Response(200))
    dispatcher.dispatch_events()
    with Session(engine) as session:
        [due] = due_deliveries(session, clock(), 10)
        assert claim(session, due, clock(), dispatcher.lease)  # ... and the process dies before sending
    clock.advance(dispatcher.lease.total_seconds() - 1)
    assert dispatcher.run_once() == 0
    clock.advance(1)
    assert dispatcher.run_once() == 1  # at least once: sent by another dispatcher
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_concurrent_dispatchers_send_each_delivery_once(engine: Engine, clock: FakeClock) -> None:
    for _ in range(3):
        _subscribe(engine)
    for index in range(8):
        _screen(engine, f"SO-{index}")
    sent: list[str] = []
    lock = threading.Lock()

    def receive(request: httpx.Request) -> httpx.Response:
        with lock:
            sent.append(request.headers["X-Export-Screen-Delivery"])
        return httpx.Response(200)

    dispatchers = [_dispatcher(engine, clock, receive) for _ in range(4)]
    start = threading.Barrier(len(dispatchers))

    def run(dispatcher: WebhookDispatcher) -> None:
        start.wait()
        dispatcher.run_once()

    threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deliveries = _deliveries(engine)
    assert len(deliveries) == 24 and len(sent) == 24 and len(set(sent)) == 24
    assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED.value}


def test_postgresql_dispatchers_split_overlapping_events_without_waiting(engine: Engine, clock: FakeClock) -> None:
    if engine.url.get_backend_name() != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second dispatcher simply waits its turn")
    _subscribe(engine)
    _screen(engine, "A")
    with Session(engine) as session:
        event_ids = undispatched_events(session, 10)
    with Session(engine) as first, Session(engine) as second:
        assert fan_out(first, event_ids, clock()) == 1  # not committed yet: the row stays locked
        assert fan_out(second, event_ids, clock()) == 0  # skipped, not blocked
        first.commit()
        second.commit()
    assert len(_deliveries(engine)) == 1


def test_postgresql_dispatchers_take_due_deliveries_of_their_own(engine: Engine, clock: FakeClock) -> None:
    if engine.url.get_backend_name() != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second dispatcher simply waits its turn")
    _subscribe(engine)
    for reference in ("A", "B", "C"):
        _screen(engine, reference)
    _dispatcher(engine, clock, lambda request: httpx.Response(200)).dispatch_events()
    with Session(engine) as first, Session(engine) as second:
        locked = due_deliveries(first, clock(), 2, lock=True)  # one dispatcher is claiming these two
        taken = claim_due(second, clock(), 10, timedelta(minutes=1))  # skipped, not waited for
        assert len(locked) == 2 and [due.id for due in taken] == [d.id for d in _deliveries(engine)
                                                                  if d.id not in {due.id for due in locked}]
        first.rollback()
    with Session(engine) as session:
        assert len(claim_due(session, clock(), 10, timedelta(minutes=1))) == 2  # the two left


def test_the_secret_is_never_logged(engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = _subscribe(engine)
    _screen(engine)
    dispatcher = _dispatcher(engine, clock, lambda request: httpx.Response(500, text="no"), webhook_max_attempts=1)
    assert dispatcher.run_once() == 1
    assert "failed after 1 attempts" in caplog.text and secret not in caplog.text


def test_a_receiver_that_resolves_inside_the_network_is_never_sent_to(engine: Engine, clock: FakeClock) -> None:
    # the name was public when subscribed, and now points at the service's own network
    _subscribe(engine, url="http://erp.invalid/hook")
    _screen(engine)
    seen: list[httpx.Request] = []
    dispatcher = WebhookDispatcher(engine, _settings(), transport=httpx.MockTransport(seen.append), clock=clock,
                                   resolve=lambda host, port: ["10.0.0.7"])
    _made.append(dispatcher)
    assert dispatcher.run_once() == 1
    assert seen == []
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("not sent: erp.invalid (10.0.0.7) is not a public address")
