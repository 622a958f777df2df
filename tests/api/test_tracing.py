"""OpenTelemetry tracing, when switched on: one span per request named by its route, with the status."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from service.api.app import create_app
from service.api.tracing import instrument
from service.engine.rulebook import Rulebook
from service.settings import Settings
from tests.api.conftest import clocked_context, declaration


@pytest.mark.asyncio
async def test_each_request_is_a_span(settings: Settings, rulebook: Rulebook, as_screener: dict[str, str]) -> None:
    app = create_app(settings, load=lambda _: clocked_context(rulebook))
    spans = InMemorySpanExporter()
    instrument(app, exporter=spans)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.post("/v1/screenings", json=declaration(), headers=as_screener)).status_code == 201
        await client.get("/healthz")  # probes are not traced
    server = [span for span in spans.get_finished_spans() if span.kind.name == "SERVER"]
    assert [span.name for span in server] == ["POST /v1/screenings"]
    assert server[0].attributes is not None and server[0].attributes.get("http.status_code") == 201
