"""Monitored parties: registered from the ERP's master, screened at once and again on every list change."""

from __future__ import annotations

from collections.abc import AsyncIterator

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

pytestmark = pytest.mark.asyncio


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


async def test_register_screen_update_list_and_delete(
    client: httpx.AsyncClient, settings: Settings, as_screener: dict[str, str], as_reviewer: dict[str, str],
) -> None:
    body = {"name": "Sakura Furniture KK", "country": "Japan", "aliases": ["Acme Trading Co"],
            "addresses": ["1-2-3 Shiba, Tokyo"]}
    created = await client.put("/v1/parties/C-100", json=body, headers=as_screener)
    assert created.status_code == 201, created.text
    party = created.json()
    assert party["country"] == "JP" and party["screening"]["status"] == "block"
    assert [(h["name"], h["entry_id"]) for h in party["screening"]["hits"]] == [("Acme Trading Co", "E-1")]
    updated = await client.put("/v1/parties/C-100", json={**body, "aliases": []}, headers=as_screener)
    assert updated.status_code == 200 and updated.json()["screening"]["status"] == "clear"
    assert (await client.put("/v1/parties/C-100", json=body, headers=as_reviewer)).status_code == 200
    page = (await client.get("/v1/parties", headers=as_reviewer)).json()
    assert [p["external_id"] for p in page["items"]] == ["C-100"] and page["next_after"] is None
    assert (await client.get("/v1/parties/C-100", headers=as_screener)).json()["aliases"] == ["Acme Trading Co"]
    assert (await client.delete("/v1/parties/C-100", headers=as_screener)).status_code == 204
    assert (await client.get("/v1/parties/C-100", headers=as_screener)).status_code == 404
    assert (await client.delete("/v1/parties/C-100", headers=as_screener)).status_code == 404
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        kinds = [event.kind for event in events_of(session, "party", "C-100")]
    engine.dispose()
    assert kinds == ["party.registered", "party.updated", "party.updated", "party.deleted"]


async def test_invalid_parties_are_refused(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.put("/v1/parties/C-1", json={"name": "X Co", "country": "Atlantis"}, headers=as_screener)
    assert answer.status_code == 422


async def test_a_monitored_party_is_screened_again_on_a_list_change(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    await client.put("/v1/parties/S-7", json={"name": "Kuril Shipping Ltd", "country": "RU",
                                              "aliases": ["Kuril Marine"]}, headers=as_screener)
    await client.put("/v1/parties/S-8", json={"name": "Other Name Ltd", "country": "RU"}, headers=as_screener)
    await client.delete("/v1/parties/S-8", headers=as_screener)
    listed.replace(*listed.entries, entry("E-9", "Kuril Marine"), entry("E-10", "Other Name Ltd"))
    assert (await client.post("/v1/rules:reload", headers=as_admin)).status_code == 200
    alerts = (await client.get("/v1/alerts", headers=as_reviewer)).json()["items"]
    assert [(a["party_external_id"], a["party_name"], a["entry_id"], a["screening_id"]) for a in alerts] == [
        ("S-7", "Kuril Marine", "E-9", None)]
    assert (await client.post("/v1/rules:reload", headers=as_admin)).status_code == 200
    assert len((await client.get("/v1/alerts", headers=as_reviewer)).json()["items"]) == 1
