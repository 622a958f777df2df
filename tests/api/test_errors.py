"""One wire shape for every error (problem+json, RFC 9457), request ids and the size limit."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from service.engine.screen import ScreeningContext
from tests.api.conftest import declaration, post_scope

pytestmark = pytest.mark.asyncio

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance", "request_id", "errors"}


async def test_problem_shape_is_pinned(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.get("/v1/nowhere", headers={"X-Request-ID": "req-1", **as_screener})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "urn:export-screen:problem:not_found", "title": "Not found", "status": 404, "detail": "Not Found",
        "code": "not_found", "instance": "/v1/nowhere", "request_id": answer.headers["x-request-id"], "errors": [],
    }
    assert answer.headers["x-client-request-id"] == "req-1"


async def test_every_error_has_the_same_keys(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answers = [
        await client.delete("/v1/screenings", headers=as_screener),
        await client.post("/v1/screenings", json=declaration()),
        await client.post("/v1/screenings", content=b"{not json", headers=as_screener),
        await client.get("/v1/screenings", params={"limit": 0}, headers=as_screener),
    ]
    assert [a.status_code for a in answers] == [405, 401, 422, 422]
    for answer in answers:
        assert set(answer.json()) == PROBLEM_KEYS
        assert answer.json()["type"].endswith(answer.json()["code"])


async def test_query_errors_name_field_and_value(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.get("/v1/screenings", params={"verdict": "maybe"}, headers=as_screener)
    assert answer.json()["errors"][0]["field"] == "query.verdict"
    assert answer.json()["errors"][0]["value"] == "maybe"


async def test_the_request_id_is_the_services_and_the_clients_is_kept_apart(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert len(given.headers["x-request-id"]) == 32 and given.headers["x-client-request-id"] == "abc-123"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32 and "x-client-request-id" not in generated.headers
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert len(unsafe.headers["x-request-id"]) == 32 and "x-client-request-id" not in unsafe.headers
    # a client cannot make a single screening pose as part of a batch job
    posing = await client.post("/v1/screenings", json=declaration(), headers={**as_screener,
                                                                              "X-Request-ID": "batch:0001"})
    record = (await client.get(f"/v1/screenings/{posing.json()['id']}", headers=as_screener)).json()
    assert record["request_id"] == posing.headers["x-request-id"] != "batch:0001"
    assert record["client_request_id"] == "batch:0001"


async def test_oversized_body_is_413_by_length(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    body = declaration(end_use="x" * 300_000)
    answer = await client.post("/v1/screenings", json=body, headers={**as_screener, "X-Request-ID": "big"})
    assert answer.status_code == 413
    assert answer.json()["code"] == "request_too_large"
    assert answer.json()["request_id"] == answer.headers["x-request-id"]
    assert answer.headers["x-client-request-id"] == "big"


async def test_oversized_streamed_body_is_413(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    async def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(30):
            yield b"x" * 10_000

    answer = await client.post("/v1/screenings", content=chunks(), headers=as_screener)
    assert answer.status_code == 413 and answer.json()["code"] == "request_too_large"


async def test_unexpected_failures_are_500_problems_logged_under_the_request_id(
    client: httpx.AsyncClient, as_screener: dict[str, str], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object) -> ScreeningContext:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("service.api.routers.screenings.screen", broken)
    answer = await client.post("/v1/screenings", json=declaration(), headers={**as_screener, "X-Request-ID": "r-500"})
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert "a bug" not in answer.text  # nothing internal leaks to the client
    assert f"request_id={answer.json()['request_id']}" in caplog.text and "ZeroDivisionError" in caplog.text


async def test_a_client_gone_before_its_body_arrived_is_499_and_no_server_error(
    app: FastAPI, as_screener: dict[str, str], caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[Message] = []
    half = httpx.Request("POST", "http://t", json=declaration()).content[:40]
    arriving: list[Message] = [{"type": "http.request", "body": half, "more_body": True}, {"type": "http.disconnect"}]

    async def receive() -> Message:
        return arriving.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"4000"),
               (b"authorization", as_screener["Authorization"].encode())]
    with caplog.at_level(logging.INFO):
        async with app.router.lifespan_context(app):
            await app(post_scope("/v1/screenings", headers), receive, send)
    assert next(m for m in sent if m["type"] == "http.response.start")["status"] == 499
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert "closed the connection before its request was read" in caplog.text and "Traceback" not in caplog.text


async def test_openapi_describes_errors_as_problems_and_the_request_id_header(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    responses = [r for path in schema["paths"].values() for op in path.values() for r in op["responses"].items()]
    assert all("X-Request-ID" in response["headers"] for _, response in responses)
    errors = [response for status, response in responses if status[0] in "45"]
    assert errors and all(list(r["content"]) == ["application/problem+json"] for r in errors)
