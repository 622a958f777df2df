"""A list change and a rules change re-screen the shipments still to leave on the Dask cluster when one is
configured; a cluster that cannot be reached raises no alert, records the failure and leaves the baseline for
the next load."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session

from service.api.app import create_app
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.database import make_engine
from service.store.workflow_events import events_of
from tests.api.listed import ListOnFile, entry
from tests.api.test_alerts import _alerts, _reload, _screen

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture
def scheduler(dask_cluster: str) -> str:
    return dask_cluster


@pytest.fixture
def settings(database_url: str, tmp_path: Path, scheduler: str) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "var", migrate_on_start=False,
                    max_request_bytes=200_000, max_batch_size=5, dask_scheduler=scheduler, dask_timeout_seconds=2.0)


@pytest.fixture
def listed(rulebook: Rulebook, settings: Settings) -> ListOnFile:
    return ListOnFile(rulebook, settings, [entry("E-1", "Acme Trading Co")])


@pytest_asyncio.fixture
async def client(listed: ListOnFile, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, load=lambda _: listed.context())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _stricter_rules_in_force(client: httpx.AsyncClient, listed: ListOnFile, rulebook: Rulebook,
                                   as_screener: dict[str, str], as_admin: dict[str, str]) -> str:
    """A shipment screened clear under lenient rules, then the bundled (stricter) rules reloaded."""
    listed.rulebook = Rulebook(rules=[r for r in rulebook.rules if not r.id.startswith("RF-")],
                               version="sha256:older", files=rulebook.files)
    await _reload(client, as_admin)
    screening = await _screen(client, as_screener, "Sakura Furniture KK", destination_country="KR")
    assert screening["verdict"] == "clear"
    listed.rulebook = rulebook
    await _reload(client, as_admin)
    return str(screening["id"])


async def test_a_rules_change_is_screened_on_the_cluster(
    client: httpx.AsyncClient, listed: ListOnFile, rulebook: Rulebook, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str],
) -> None:
    screening_id = await _stricter_rules_in_force(client, listed, rulebook, as_screener, as_admin)
    alerts = await _alerts(client, as_reviewer)
    assert [(a["screening_id"], a["cause"], a["action"]) for a in alerts] == [(screening_id, "rules_changed", "review")]
    assert "RF-CONSIGNEE-COUNTRY" in alerts[0]["message"]


async def test_a_list_change_is_matched_on_the_cluster(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    screening = await _screen(client, as_screener, "Kuril Shipping Ltd")
    await _screen(client, as_screener, "Sakura Furniture KK", "SO-B")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    alerts = await _alerts(client, as_reviewer)
    assert [(a["screening_id"], a["party_name"], a["entry_id"], a["action"], a["cause"]) for a in alerts] == [
        (screening["id"], "Kuril Shipping Ltd", "E-9", "block", "list_changed")]


@pytest.mark.parametrize("scheduler", ["tcp://127.0.0.1:9"])
async def test_a_cluster_that_cannot_be_reached_raises_no_alert_and_is_recorded(
    client: httpx.AsyncClient, listed: ListOnFile, rulebook: Rulebook, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str], settings: Settings,
) -> None:
    await _stricter_rules_in_force(client, listed, rulebook, as_screener, as_admin)
    assert await _alerts(client, as_reviewer) == []
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            failures = [e for e in events_of(session, "lists", "baseline") if e.kind == "rescreen.failed"]
    finally:
        engine.dispose()
    assert failures and "cannot reach the Dask scheduler" in failures[-1].data["error"]
