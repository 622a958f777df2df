"""Liveness, readiness, and start-up on a fresh database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.api.app import create_app
from service.engine.rulebook import Rulebook, RulebookError
from service.engine.screen import ScreeningContext
from service.settings import Settings
from service.store.database import make_engine
from tests.api.conftest import clocked_context

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


def _read_only(url: str) -> str:
    """The same database, opened so that it answers reads and refuses every write."""
    if url.startswith("sqlite:///"):
        return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    return url + "%20-cdefault_transaction_read_only%3Don"  # (appended to the test schema's options)


async def test_a_database_that_refuses_writes_is_not_ready(
    settings: Settings, database_url: str, rulebook: Rulebook
) -> None:
    read_only = settings.model_copy(update={"database_url": _read_only(database_url)})
    app = create_app(read_only, load=lambda _: clocked_context(rulebook))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/readyz")
        assert answer.status_code == 503, answer.text
        assert "does not accept writes" in answer.json()["detail"]
        assert (await client.get("/healthz")).status_code == 200  # alive, though not ready


async def test_a_busy_sqlite_writer_does_not_make_the_service_unready(client: httpx.AsyncClient,
                                                                      settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("only SQLite has a single writer")
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # another process holding the write lock
        try:
            answer = await client.get("/readyz")
        finally:
            connection.exec_driver_sql("ROLLBACK")
    engine.dispose()
    assert answer.status_code == 200, answer.text
