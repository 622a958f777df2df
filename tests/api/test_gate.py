"""The gate: the caller is checked from the headers before any body is read; keys in URLs are refused and
never logged; per-key rate limits; bodies that trickle in are cut off."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from service.api.app import create_app
from service.api.gate import SecretQueryFilter, TokenBuckets, redacted_path
from service.engine.rulebook import Rulebook
from service.settings import Settings
from tests.api.conftest import clocked_context, declaration, post_scope

pytestmark = pytest.mark.asyncio


async def _call(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes],
                pause: float = 0.0) -> tuple[int, dict[str, str], bytes, int]:
    """One request straight through ASGI; (status, headers, body, bytes of the request body the app read)."""
    sent: list[Message] = []
    read = 0
    queue = list(chunks)

    async def receive() -> Message:
        nonlocal read
        if not queue:
            await asyncio.sleep(3600)  # (a client that has stopped sending)
        if pause:
            await asyncio.sleep(pause)
        chunk = queue.pop(0)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(post_scope(path, headers), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body, read


UPLOAD = [(b"content-type", b"multipart/form-data; boundary=xyz"), (b"content-length", b"200000000")]


async def test_an_upload_without_a_valid_key_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    chunks = [b"--xyz\r\n" + b"x" * 65536] * 10
    status, headers, body, read = await _call(app, "/v1/batches", UPLOAD, chunks)
    assert (status, read) == (401, 0) and b'"unauthorized"' in body and headers["connection"] == "close"
    status, _, _, read = await _call(app, "/v1/batches", [*UPLOAD, (b"x-api-key", b"esk_unknown")], chunks)
    assert (status, read) == (401, 0)


async def test_a_known_key_is_served(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.post("/v1/screenings", json=declaration(), headers=as_screener)
    assert answer.status_code == 201
    assert (await client.get("/healthz")).status_code == 200  # open paths need no key


@pytest.mark.parametrize("query", ["api_key=esk_abc", "key=esk_abc", "token=x", "limit=5&x=esk_abc"])
async def test_a_key_in_the_url_is_refused(client: httpx.AsyncClient, as_screener: dict[str, str], query: str) -> None:
    answer = await client.get(f"/v1/screenings?{query}", headers=as_screener)
    assert (answer.status_code, answer.json()["code"]) == (400, "key_in_query")


async def test_the_access_log_never_shows_a_key_from_the_url() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/v1/screenings?api_key=esk_secret&limit=5", "1.1", 400),
                               None)
    SecretQueryFilter().filter(record)
    assert "esk_secret" not in record.getMessage() and "limit=5" in record.getMessage()
    assert redacted_path("/v1/x?q=esk_abc") == "/v1/x?q=[redacted]"
    assert redacted_path("/v1/x?verdict=block") == "/v1/x?verdict=block"


@pytest.fixture
def limited(settings: Settings, rulebook: Rulebook) -> FastAPI:
    return create_app(settings.model_copy(update={"rate_limit_per_minute": 3}),
                      load=lambda _: clocked_context(rulebook))


async def test_each_key_has_its_own_rate_limit(
    limited: FastAPI, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    async with limited.router.lifespan_context(limited), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=limited), base_url="http://t"
    ) as client:
        answers = [await client.get("/v1/screenings", headers=as_screener) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3" and answers[0].headers["RateLimit-Remaining"] == "2"
        refused = answers[-1]
        assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["RateLimit-Remaining"] == "0"
        assert (await client.get("/v1/screenings", headers=as_reviewer)).status_code == 200  # another key


async def test_buckets_refill_with_time() -> None:
    moment = [0.0]
    buckets = TokenBuckets(60, clock=lambda: moment[0])  # one a second
    assert [buckets.take("k")[0] for _ in range(61)] == [True] * 60 + [False]
    allowed, _, wait = buckets.take("k")
    assert not allowed and 0 < wait <= 1.0
    moment[0] += 1.0
    assert buckets.take("k")[0]


@pytest.fixture
def impatient(settings: Settings, rulebook: Rulebook) -> FastAPI:
    return create_app(settings.model_copy(update={"body_grace_seconds": 0.2, "body_min_bytes_per_second": 1000}),
                      load=lambda _: clocked_context(rulebook))


async def test_a_body_that_trickles_in_is_cut_off(impatient: FastAPI, as_screener: dict[str, str]) -> None:
    key = as_screener["Authorization"].encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"5000"), (b"authorization", key)]
    async with impatient.router.lifespan_context(impatient):
        status, response_headers, body, read = await _call(impatient, "/v1/screenings", headers,
                                                           [b"{" + b" " * 9] * 500, pause=0.1)
    assert status == 408 and b'"body_too_slow"' in body and response_headers.get("connection") == "close"
    assert read < 200


async def test_a_body_sent_at_a_fair_pace_is_read(impatient: FastAPI, as_screener: dict[str, str]) -> None:
    raw = httpx.Request("POST", "http://t", json=declaration()).content
    key = as_screener["Authorization"].encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
               (b"authorization", key)]
    parts = [raw[i:i + 50] for i in range(0, len(raw), 50)]
    async with impatient.router.lifespan_context(impatient):
        status, _, body, _ = await _call(impatient, "/v1/screenings", headers, parts, pause=0.01)
    assert status == 201, body
