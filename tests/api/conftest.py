"""API fixtures: an app on a fresh database (SQLite and PostgreSQL), keys for each role, sample declarations."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import Session
from starlette.types import Scope

from service.api.app import create_app
from service.engine.checks.parties import PartyHit
from service.engine.rulebook import Rulebook, load_rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import Action, ListStamp
from service.settings import Settings
from service.store.database import make_engine
from service.store.keys import Role, create_key

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


def screening_date() -> date:
    """The test clock: the export date of the test declarations (screened on the day the goods leave)."""
    return date(2024, 6, 1)


def clocked_context(rulebook: Rulebook) -> ScreeningContext:
    """The bundled rulebook, the one-entry party list and the test clock."""
    return ScreeningContext(rulebook=rulebook, parties=OneNameList(), screening_day=screening_date)


class OneNameList:
    """A denied-party screener whose only entry is 'Denied Trading LLC' (exact match, block)."""

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        if name.casefold() != "denied trading llc":
            return []
        return [PartyHit(list_name="test-list", entry_id="T-1", listed_name="Denied Trading LLC",
                         matched_name="Denied Trading LLC", score=100.0, action=Action.BLOCK, explanation="exact")]

    def stamps(self) -> list[ListStamp]:
        return [ListStamp(name="test-list", version="sha256:test", entries=1)]


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    """The bundled rulebook, loaded once."""
    return load_rulebook(RULES_DIR)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at this test's database; migrations already ran on it."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var", migrate_on_start=False,
                    max_request_bytes=200_000, max_batch_size=5)


@pytest.fixture
def app(settings: Settings, rulebook: Rulebook) -> FastAPI:
    """The app, with the rulebook loaded once per session and a one-entry party list."""
    return create_app(settings, load=lambda _: clocked_context(rulebook))


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the app in-process, with the app's lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def keys(settings: Settings) -> dict[Role, str]:
    """A key secret for each role."""
    engine = make_engine(settings.database_url)
    secrets = {}
    with Session(engine) as session:
        for role in Role:
            _, secrets[role] = create_key(session, role, f"test {role.value}")
        session.commit()
    engine.dispose()
    return secrets


@pytest.fixture
def as_screener(keys: dict[Role, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[Role.SCREENER]}"}


@pytest.fixture
def as_reviewer(keys: dict[Role, str]) -> dict[str, str]:
    return {"X-API-Key": keys[Role.REVIEWER]}


@pytest.fixture
def as_admin(keys: dict[Role, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[Role.ADMIN]}"}


def post_scope(path: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    """The ASGI scope of a POST to `path`, for tests that drive the app's receive and send themselves
    (a body that arrives slowly, or a client that goes away mid-body)."""
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}


def declaration(reference: str = "SO-1", **changes: Any) -> dict[str, Any]:
    """A clear declaration (furniture to Japan) with `changes` applied."""
    body: dict[str, Any] = {
        "reference": reference,
        "export_date": "2024-06-01",
        "consignee": {"name": "Sakura Furniture KK", "country": "JP"},
        "destination_country": "JP",
        "items": [{"hs_code": "9403.60", "description": "wooden tables", "quantity": 10, "unit_value": 120,
                   "currency": "USD"}],
    }
    body.update(changes)
    return body


def blocked_declaration(reference: str = "SO-B") -> dict[str, Any]:
    """Controlled goods (3A001) to Russia: block."""
    return declaration(
        reference, consignee={"name": "Volga Instruments", "country": "RU"}, destination_country="RU",
        items=[{"hs_code": "854231", "eccn": "3A001", "description": "FPGA"}],
    )


def review_declaration(reference: str = "SO-R") -> dict[str, Any]:
    """Consignee country differs from the destination: a red flag for review."""
    return declaration(reference, consignee={"name": "Sakura Furniture KK", "country": "KR"})


async def runs_in_lifespan(settings: Settings, rulebook: Rulebook, thread_name: str) -> bool:
    """Whether the app for `settings` runs a background thread of this name while it is up (and it is
    gone once the app stopped)."""
    app = create_app(settings, load=lambda _: clocked_context(rulebook))
    async with app.router.lifespan_context(app):
        running = any(thread.name == thread_name for thread in threading.enumerate())
    assert not any(thread.name == thread_name for thread in threading.enumerate())
    return running
