"""Webhook subscriptions over HTTP: admin only, the secret shown once, deliveries visible, disable; and
events only for what was committed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from export_screen_client import verify_signature
from fastapi import FastAPI
from sqlalchemy import Engine, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from service.settings import Settings
from service.store.database import make_engine
from service.store.outbox import WebhookEvent
from service.store.tables import Screening
from service.store.webhooks import WebhookSubscription, signing_secrets
from service.webhooks.dispatcher import WebhookDispatcher
from tests.api.conftest import blocked_declaration, declaration, review_declaration
from tests.api.test_batches import FILE_ROWS, csv_bytes, wait_for
from tests.webhooks.conftest import public_resolver

pytestmark = pytest.mark.asyncio
HOOK = {"url": "https://erp.invalid/hooks/export-screen", "events": ["screening.block", "decision.created"],
        "description": "SAP PRD"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No dispatcher thread in the app: the tests run the dispatcher themselves, synchronously."""
    return settings.model_copy(update={"webhook_poll_seconds": 0})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def _count(engine: Engine, table: type[WebhookEvent] | type[Screening]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


async def test_only_admins_manage_webhooks(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str], as_admin: dict[str, str]
) -> None:
    created = (await client.post("/v1/webhooks", json=HOOK, headers=as_admin)).json()
    calls = [("POST", "/v1/webhooks", HOOK), ("GET", "/v1/webhooks", None),
             ("GET", f"/v1/webhooks/{created['id']}", None), ("GET", f"/v1/webhooks/{created['id']}/deliveries", None),
             ("POST", f"/v1/webhooks/{created['id']}:rotate-secret", None),
             ("POST", f"/v1/webhooks/{created['id']}:disable", None)]
    for headers in (as_screener, as_reviewer):
        for method, path, body in calls:
            answer = await client.request(method, path, json=body, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), path
    for method, path, body in calls:
        assert (await client.request(method, path, json=body)).status_code == 401


async def test_the_secret_is_shown_once(
    client: httpx.AsyncClient, as_admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {**as_admin, "Idempotency-Key": "hook-1"}
    answer = await client.post("/v1/webhooks", json=HOOK, headers=headers)
    assert answer.status_code == 201
    created = answer.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert answer.headers["Location"] == f"/v1/webhooks/{created['id']}"
    assert (created["url"], created["events"], created["description"]) == (
        HOOK["url"], sorted(HOOK["events"]), "SAP PRD")
    replayed = await client.post("/v1/webhooks", json=HOOK, headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json()["secret"] is None
    assert replayed.json()["id"] == created["id"]
    listed = (await client.get("/v1/webhooks", headers=as_admin)).text
    one = (await client.get(f"/v1/webhooks/{created['id']}", headers=as_admin)).text
    for text in (listed, one, replayed.text):
        assert secret not in text and "secret" not in text.replace('"secret":null', "")
    assert secret not in caplog.text


async def test_a_rotation_shows_the_new_secret_once_and_keeps_the_old_one_for_a_while(
    client: httpx.AsyncClient, as_admin: dict[str, str], engine: Engine
) -> None:
    created = (await client.post("/v1/webhooks", json=HOOK, headers=as_admin)).json()
    headers = {**as_admin, "Idempotency-Key": "rotate-1"}
    before = datetime.now(UTC)
    answer = await client.post(f"/v1/webhooks/{created['id']}:rotate-secret", headers=headers,
                               json={"keep_previous_seconds": 3600})
    assert answer.status_code == 200, answer.text
    rotated = answer.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    until = datetime.fromisoformat(rotated["rotation_overlap_until"])
    assert before + timedelta(seconds=3590) < until < datetime.now(UTC) + timedelta(seconds=3610)
    replayed = await client.post(f"/v1/webhooks/{created['id']}:rotate-secret", headers=headers,
                                 json={"keep_previous_seconds": 3600})
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json()["secret"] is None
    listed = (await client.get(f"/v1/webhooks/{created['id']}", headers=as_admin)).json()
    assert listed["rotation_overlap_until"] == rotated["rotation_overlap_until"] and "secret" not in listed
    with Session(engine) as session:
        [due] = [row for row in session.exec(select(WebhookSubscription)).all() if row.id == created["id"]]
        assert signing_secrets(due, datetime.now(UTC)) == (rotated["secret"], created["secret"])
        assert signing_secrets(due, until + timedelta(seconds=1)) == (rotated["secret"],)
    at_once = (await client.post(f"/v1/webhooks/{created['id']}:rotate-secret", headers=as_admin,
                                 json={"keep_previous_seconds": 0})).json()
    assert at_once["rotation_overlap_until"] is None
    with Session(engine) as session:
        row = session.get(WebhookSubscription, created["id"])
        assert row is not None and signing_secrets(row, datetime.now(UTC)) == (at_once["secret"],)
    too_long = await client.post(f"/v1/webhooks/{created['id']}:rotate-secret", headers=as_admin,
                                 json={"keep_previous_seconds": 8 * 86_400})
    assert too_long.status_code == 422


@pytest.mark.parametrize(("body", "field"), [
    ({**HOOK, "url": "ftp://erp.invalid/x"}, "url"),
    ({**HOOK, "url": "not a url"}, "url"),
    ({**HOOK, "events": []}, "events"),
    ({**HOOK, "events": ["screening.clear"]}, "events.0"),
    ({**HOOK, "description": "x" * 501}, "description"),
])
async def test_invalid_subscriptions_are_refused(
    client: httpx.AsyncClient, as_admin: dict[str, str], body: dict[str, object], field: str
) -> None:
    answer = await client.post("/v1/webhooks", json=body, headers=as_admin)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in answer.json()["errors"]] == [field]


async def test_unknown_subscription_is_404(client: httpx.AsyncClient, as_admin: dict[str, str]) -> None:
    for method, path in (("GET", "/v1/webhooks/nope"), ("GET", "/v1/webhooks/nope/deliveries"),
                         ("POST", "/v1/webhooks/nope:disable")):
        answer = await client.request(method, path, headers=as_admin)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


async def test_events_reach_the_receiver_and_deliveries_are_listed(
    client: httpx.AsyncClient, settings: Settings, engine: Engine, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str],
) -> None:
    hook = (await client.post("/v1/webhooks", json=HOOK, headers=as_admin)).json()
    await client.post("/v1/screenings", json=declaration(), headers=as_screener)  # clear: no event
    await client.post("/v1/screenings", json=review_declaration(), headers=as_screener)  # not subscribed
    held = (await client.post("/v1/screenings", json=blocked_declaration(), headers=as_screener)).json()
    decision = {"decision": "hold", "reason_code": "controlled_no_permit", "note": "no SHTC permit"}
    await client.post(f"/v1/screenings/{held['id']}/decisions", json=decision, headers=as_reviewer)
    received: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200 if len(received) == 1 else 500, text="busy")

    dispatcher = WebhookDispatcher(engine, settings, transport=httpx.MockTransport(receive), resolve=public_resolver)
    try:
        assert dispatcher.run_once() == 2
    finally:
        dispatcher.stop()
    for request in received:
        verify_signature(hook["secret"], request.headers["X-Export-Screen-Signature"], request.content)
        assert str(request.url) == HOOK["url"]
    assert sorted(r.headers["X-Export-Screen-Event"] for r in received) == ["decision.created", "screening.block"]
    deliveries = (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=as_admin)).json()
    assert [d["event_type"] for d in deliveries] == ["decision.created", "screening.block"]  # newest first
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in deliveries} == {
        ("delivered", 1, 200), ("pending", 1, 500)}
    pending = next(d for d in deliveries if d["status"] == "pending")
    assert pending["last_error"] == "HTTP 500: busy" and pending["next_attempt_at"].endswith("Z")
    failed_only = f"/v1/webhooks/{hook['id']}/deliveries?status=delivered"
    assert len((await client.get(failed_only, headers=as_admin)).json()) == 1

    disabled = await client.post(f"/v1/webhooks/{hook['id']}:disable", headers=as_admin)
    assert disabled.status_code == 200 and disabled.json()["disabled_at"]
    again = await client.post(f"/v1/webhooks/{hook['id']}:disable", headers=as_admin)
    assert again.json()["disabled_at"] == disabled.json()["disabled_at"]
    deliveries = (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=as_admin)).json()
    assert sorted(d["status"] for d in deliveries) == ["cancelled", "delivered"]
    listed = (await client.get("/v1/webhooks", headers=as_admin)).json()
    assert [(w["id"], w["disabled_at"] is not None) for w in listed] == [(hook["id"], True)]


async def test_no_event_without_a_committed_screening(
    client: httpx.AsyncClient, engine: Engine, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr("service.api.recording.add_answer", fail)
    answer = await client.post("/v1/screenings", json=blocked_declaration(),
                               headers={**as_screener, "Idempotency-Key": "k-1"})
    assert answer.status_code == 503
    assert (_count(engine, Screening), _count(engine, WebhookEvent)) == (0, 0)


async def test_a_retry_that_loses_the_race_adds_no_second_event(
    client: httpx.AsyncClient, engine: Engine, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**as_screener, "Idempotency-Key": "race-1"}
    first = await client.post("/v1/screenings", json=blocked_declaration(), headers=headers)
    monkeypatch.setattr("service.api.routers.screenings.replay", lambda *_: None)  # as if it checked too early
    second = await client.post("/v1/screenings", json=blocked_declaration(), headers=headers)
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert (_count(engine, Screening), _count(engine, WebhookEvent)) == (1, 1)


async def test_a_batch_request_makes_one_event_per_held_screening(
    client: httpx.AsyncClient, engine: Engine, as_screener: dict[str, str]
) -> None:
    body = [declaration("A"), blocked_declaration("B"), {"reference": "broken"}, review_declaration("C")]
    assert (await client.post("/v1/screenings:batch", json=body, headers=as_screener)).status_code == 200
    with Session(engine) as session:
        events = session.exec(select(WebhookEvent.type, WebhookEvent.data)).all()
    assert sorted((kind, data["reference"]) for kind, data in events) == [
        ("screening.block", "B"), ("screening.review", "C")]


async def test_a_batch_job_reports_its_held_screenings_and_its_end(
    client: httpx.AsyncClient, engine: Engine, as_screener: dict[str, str]
) -> None:
    job = (await client.post("/v1/batches", headers=as_screener,
                             files={"file": ("orders.csv", csv_bytes(FILE_ROWS), "text/csv")})).json()
    done = await wait_for(client, f"/v1/batches/{job['id']}", as_screener)
    with Session(engine) as session:
        events = session.exec(select(WebhookEvent.type, WebhookEvent.data).order_by(WebhookEvent.id)).all()
    assert [kind for kind, _ in events] == ["screening.block", "screening.block", "batch.completed"]
    assert {data["request_id"] for _, data in events[:2]} == {f"batch:{job['id']}"}
    end = events[-1][1]
    assert (end["batch_id"], end["status"], end["rows"]) == (job["id"], "complete", 5)
    assert end["counts"] == done["counts"] and end["result_url"] == done["result_url"]


async def test_a_failed_batch_job_reports_why(
    client: httpx.AsyncClient, engine: Engine, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr("service.api.routers.batches.add_screenings", broken)
    job = (await client.post("/v1/batches", headers=as_screener,
                             files={"file": ("orders.csv", csv_bytes(FILE_ROWS), "text/csv")})).json()
    await wait_for(client, f"/v1/batches/{job['id']}", as_screener)
    with Session(engine) as session:
        [(kind, data)] = session.exec(select(WebhookEvent.type, WebhookEvent.data)).all()
    assert (kind, data["status"]) == ("batch.failed", "failed")
    assert "audit trail could not be written" in data["error"]


async def test_a_failed_delivery_can_be_sent_again(
    client: httpx.AsyncClient, settings: Settings, engine: Engine, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str],
) -> None:
    hook = (await client.post("/v1/webhooks", json=HOOK, headers=as_admin)).json()
    await client.post("/v1/screenings", json=blocked_declaration(), headers=as_screener)
    answers = iter([503, 204])
    sent: list[str] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["X-Export-Screen-Delivery"])
        return httpx.Response(next(answers))

    moment = [datetime.now(UTC)]
    dispatcher = WebhookDispatcher(engine, settings.model_copy(update={"webhook_max_attempts": 1}),
                                   transport=httpx.MockTransport(receive), clock=lambda: moment[0],
                                   resolve=public_resolver)
    try:
        assert dispatcher.run_once() == 1
        deliveries = f"/v1/webhooks/{hook['id']}/deliveries"
        [failed] = (await client.get(deliveries, headers=as_admin)).json()
        assert (failed["status"], failed["attempts"], failed["last_status_code"]) == ("failed", 1, 503)
        retry = f"{deliveries}/{failed['id']}:retry"
        assert (await client.post(retry, headers=as_reviewer)).status_code == 403
        again = await client.post(retry, headers=as_admin)
        assert again.status_code == 200
        assert (again.json()["status"], again.json()["attempts"], again.json()["next_attempt_at"] is not None) == (
            "pending", 0, True)
        refused = await client.post(retry, headers=as_admin)
        assert (refused.status_code, refused.json()["code"]) == (409, "delivery_not_retryable")
        moment[0] += timedelta(minutes=5)  # past the retry's due time (set from the real clock)
        assert dispatcher.run_once() == 1
    finally:
        dispatcher.stop()
    [delivered] = (await client.get(deliveries, headers=as_admin)).json()
    assert (delivered["status"], delivered["attempts"], delivered["last_status_code"]) == ("delivered", 1, 204)
    assert sent == [failed["id"], failed["id"]]  # the same delivery id: receivers dedupe on it
    assert (await client.post(f"{deliveries}/nope:retry", headers=as_admin)).status_code == 404
    assert (await client.post(retry, headers=as_admin)).json()["code"] == "delivery_not_retryable"  # delivered
    await client.post(f"/v1/webhooks/{hook['id']}:disable", headers=as_admin)
    disabled = await client.post(retry, headers=as_admin)
    assert (disabled.status_code, disabled.json()["code"]) == (409, "delivery_not_retryable")


async def test_a_create_that_loses_the_idempotency_race_answers_with_the_winner(
    client: httpx.AsyncClient, engine: Engine, as_admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**as_admin, "Idempotency-Key": "hook-race"}
    first = (await client.post("/v1/webhooks", json=HOOK, headers=headers)).json()
    monkeypatch.setattr("service.api.routers.webhooks.replay", lambda *_: None)  # as if it checked too early
    second = await client.post("/v1/webhooks", json=HOOK, headers=headers)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert (second.json()["id"], second.json()["secret"]) == (first["id"], None)
    assert len((await client.get("/v1/webhooks", headers=as_admin)).json()) == 1


@pytest.mark.parametrize("url", ["http://127.0.0.1:5432/", "http://169.254.169.254/latest", "http://localhost/hook"])
async def test_a_receiver_inside_the_network_is_refused_unless_allowed(
    client: httpx.AsyncClient, as_admin: dict[str, str], app: FastAPI, url: str
) -> None:
    answer = await client.post("/v1/webhooks", json={**HOOK, "url": url}, headers=as_admin)
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == "url" and "EXPORT_SCREEN_WEBHOOK_PRIVATE_RECEIVERS" in error["message"]
    state = app.state.service
    state.settings = state.settings.model_copy(update={"webhook_private_receivers": True})
    assert (await client.post("/v1/webhooks", json={**HOOK, "url": url}, headers=as_admin)).status_code == 201


async def test_an_allow_list_limits_the_receivers(client: httpx.AsyncClient, as_admin: dict[str, str],
                                                  app: FastAPI) -> None:
    state = app.state.service
    state.settings = state.settings.model_copy(update={"webhook_allowed_hosts": [".erp.invalid"]})
    assert (await client.post("/v1/webhooks", json={**HOOK, "url": "https://hooks.erp.invalid/x"},
                              headers=as_admin)).status_code == 201
    refused = await client.post("/v1/webhooks", json={**HOOK, "url": "https://other.invalid/x"}, headers=as_admin)
    assert refused.status_code == 422
    assert "EXPORT_SCREEN_WEBHOOK_ALLOWED_HOSTS" in refused.json()["errors"][0]["message"]
