"""Decisions that stick: false-positive releases clear a party against an unchanged entry; confirmed
denied parties go on the own deny list; admins revoke both, and every change is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session

from service.api.app import create_app
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.database import make_engine
from service.store.workflow_events import events_of
from tests.api.conftest import declaration
from tests.api.listed import ListOnFile, entry

pytestmark = pytest.mark.asyncio
PARTY = {"name": "Acme Trading Co", "country": "AE"}


@pytest.fixture
def listed(rulebook: Rulebook, settings: Settings) -> ListOnFile:
    return ListOnFile(rulebook, settings, [entry("E-1", "Acme Trading Co"), entry("E-2", "Volga Precision")])


@pytest_asyncio.fixture
async def client(listed: ListOnFile, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, load=lambda _: listed.context())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _screen(client: httpx.AsyncClient, headers: dict[str, str], **party: Any) -> dict[str, Any]:
    consignee = {**PARTY, **party}
    body = declaration("SO-C", consignee=consignee, destination_country=consignee["country"])
    answer = await client.post("/v1/screenings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _decision(decision: str, reason: str) -> dict[str, str]:
    return {"decision": decision, "reason_code": reason, "note": "compared the address and the registry number"}


async def _release(client: httpx.AsyncClient, screening_id: str, headers: dict[str, str]) -> int:
    answer = await client.post(f"/v1/screenings/{screening_id}/decisions",
                               json=_decision("release", "false_positive_party"), headers=headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def reload(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.post("/v1/rules:reload", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_false_positive_release_sticks_for_the_same_party_and_entry(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_admin: dict[str, str]
) -> None:
    first = await _screen(client, as_screener)
    assert first["verdict"] == "block"
    assert first["findings"][0]["evidence"]["entry_hash"].startswith("sha256:")
    decision_id = await _release(client, first["id"], as_admin)
    again = await _screen(client, as_screener, name="ACME  trading co.")
    assert again["verdict"] == "clear"
    cleared = next(f for f in again["findings"] if f["category"] == "denied_party")
    assert cleared["action"] == "info" and cleared["evidence"]["cleared_by"] == decision_id
    assert f"Cleared by decision {decision_id} of " in cleared["message"]
    elsewhere = await _screen(client, as_screener, country="HK")  # another country: not the cleared party
    assert elsewhere["verdict"] == "block"


async def test_a_clearance_lapses_when_the_entry_changes(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_admin: dict[str, str]
) -> None:
    await _release(client, (await _screen(client, as_screener))["id"], as_admin)
    listed.replace(entry("E-1", "Acme Trading Co", addresses=["12 Sheikh Zayed Rd, Dubai"]),
                   entry("E-2", "Volga Precision"))
    await reload(client, as_admin)
    assert (await _screen(client, as_screener))["verdict"] == "block"


async def test_an_admin_revokes_a_clearance_and_the_revocation_is_recorded(
    client: httpx.AsyncClient, settings: Settings, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    decision_id = await _release(client, (await _screen(client, as_screener))["id"], as_admin)
    listed = (await client.get("/v1/clearances", headers=as_reviewer)).json()
    assert [(c["decision_id"], c["list"], c["entry_id"], c["active"]) for c in listed] == [
        (decision_id, "test-sdn", "E-1", True)]
    clearance_id = listed[0]["id"]
    refused = await client.delete(f"/v1/clearances/{clearance_id}", params={"note": "x"}, headers=as_reviewer)
    assert refused.status_code == 403
    revoked = await client.delete(f"/v1/clearances/{clearance_id}", params={"note": "new evidence"},
                                  headers=as_admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert (await _screen(client, as_screener))["verdict"] == "block"
    again = await client.delete(f"/v1/clearances/{clearance_id}", params={"note": "twice"}, headers=as_admin)
    assert again.status_code == 409
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        kinds = [event.kind for event in events_of(session, "clearance", clearance_id)]
    engine.dispose()
    assert kinds == ["clearance.created", "clearance.revoked"]


async def test_a_clearance_expires(
    client: httpx.AsyncClient, settings: Settings, as_screener: dict[str, str], as_admin: dict[str, str]
) -> None:
    await _release(client, (await _screen(client, as_screener))["id"], as_admin)
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE party_clearances SET expires_at = created_at")
    engine.dispose()
    assert (await _screen(client, as_screener))["verdict"] == "block"


async def test_other_release_reasons_do_not_stick(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_admin: dict[str, str]
) -> None:
    first = await _screen(client, as_screener)
    await client.post(f"/v1/screenings/{first['id']}/decisions", json=_decision("release", "permit_obtained"),
                      headers=as_admin)
    assert (await _screen(client, as_screener))["verdict"] == "block"


async def test_a_confirmed_denied_party_is_blocked_whatever_the_lists_say(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    first = await _screen(client, as_screener)
    held = await client.post(f"/v1/screenings/{first['id']}/decisions",
                             json=_decision("hold", "confirmed_denied_party"), headers=as_reviewer)
    assert held.status_code == 201
    listed.replace(entry("E-2", "Volga Precision"))  # the official list drops the party
    await reload(client, as_admin)
    again = await _screen(client, as_screener)
    assert again["verdict"] == "block"
    own = [f for f in again["findings"] if f["rule_id"] == "DENIED-PARTY-OWN-LIST"]
    assert len(own) == 1 and own[0]["evidence"]["decision_id"] == held.json()["id"]
    deny_list = (await client.get("/v1/deny-list", headers=as_reviewer)).json()
    assert [(d["party_name"], d["country"], d["active"]) for d in deny_list] == [("Acme Trading Co", "AE", True)]
    removed = await client.delete(f"/v1/deny-list/{deny_list[0]['id']}", params={"note": "court ruling"},
                                  headers=as_admin)
    assert removed.status_code == 200
    assert (await _screen(client, as_screener))["verdict"] == "clear"

