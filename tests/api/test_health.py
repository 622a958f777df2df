"""Liveness, readiness, and start-up on a fresh database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.api.app import create_app
from service.engine.rulebook import RulebookError
from service.engine.screen import ScreeningContext
from service.settings import Settings

pytestmark = pytest.mark.asyncio


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["lists"] == 1 and ready["rulebook_version"].startswith("sha256:")


async def test_unloadable_rules_mean_not_ready(settings: Settings) -> None:
    def broken(_: Settings) -> ScreeningContext:
        raise RulebookError(Path("rules/10-ru-by-eccn.yaml"), "line 3: bad indentation")

    app = create_app(settings, load=broken)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/readyz")
        assert answer.status_code == 503 and "10-ru-by-eccn.yaml" in answer.json()["detail"]
        assert (await client.get("/healthz")).status_code == 200


async def test_start_creates_and_migrates_a_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "var" / "export-screen.db"
    settings = Settings(database_url=f"sqlite:///{database}")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/readyz")).status_code == 200
    assert database.exists()
