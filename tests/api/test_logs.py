"""Logs: JSON lines (text on a terminal) with time, level, logger, and inside a request its id and the key's
id; one access line per request with the route template, status and duration; never a key."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from service.api.app import create_app
from service.engine.rulebook import Rulebook
from service.logs import configure_logging, uvicorn_log_config, wants_json
from service.settings import Settings
from tests.api.conftest import declaration


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("json", "INFO", stream)
    yield stream
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.asyncio
async def test_each_request_gets_an_access_line_with_its_ids(
    captured: io.StringIO, client: httpx.AsyncClient, as_screener: dict[str, str], keys: dict[object, str]
) -> None:
    answer = await client.post("/v1/screenings?retrospective=true", json=declaration(), headers=as_screener)
    assert answer.status_code == 201
    await client.get("/v1/screenings/nope", headers=as_screener)
    await client.get("/v1/screenings")  # no key
    access = [line for line in _lines(captured) if line["logger"] == "service.access"]
    created, missing, refused = access[-3:]
    assert created["route"] == "/v1/screenings" and created["status"] == 201 and created["method"] == "POST"
    assert created["request_id"] == answer.headers["x-request-id"] and str(created["key_id"]).strip()
    assert isinstance(created["duration_ms"], float) and created["level"] == "info"
    assert str(created["time"]).endswith("Z")
    assert missing["route"] == "/v1/screenings/{screening_id}" and missing["status"] == 404
    assert refused["status"] == 401 and "key_id" not in refused
    for secret in keys.values():
        assert secret not in captured.getvalue()
    service_lines = [line for line in _lines(captured) if str(line["logger"]).startswith("service")]
    assert "retrospective" not in json.dumps(service_lines)  # the route, not the raw URL


@pytest.mark.asyncio
async def test_a_server_error_is_logged_with_the_request_id(
    captured: io.StringIO, settings: Settings, rulebook: Rulebook, as_screener: dict[str, str]
) -> None:
    def broken(_: Settings) -> object:
        raise RuntimeError("rules on fire")

    app: FastAPI = create_app(settings, load=broken)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        answer = await client.post("/v1/screenings", json=declaration(), headers=as_screener)
    assert answer.status_code == 503
    errors = [line for line in _lines(captured) if line["level"] == "error" and line.get("request_id")]
    assert any(line["request_id"] == answer.headers["x-request-id"] for line in errors)


def test_text_on_a_terminal_json_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not wants_json("auto", Terminal()) and wants_json("auto", io.StringIO())
    assert wants_json("json", Terminal()) and not wants_json("text", io.StringIO())


def test_uvicorn_workers_get_the_same_configuration() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        logging.config.dictConfig(uvicorn_log_config("json", "INFO", access=False))
        assert logging.getLogger("service.access").level == logging.WARNING
        assert logging.getLogger("uvicorn.access").propagate
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
        logging.getLogger("service.access").setLevel(logging.NOTSET)
