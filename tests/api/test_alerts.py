"""Alerts: a list change re-screens the shipments still to leave against the added and changed entries;
a rules change re-screens them with the new rules; reviewers close alerts with decisions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session, select

from service.api.app import create_app
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.database import make_engine
from service.store.outbox import WebhookEvent
from service.store.workflow_events import events_of
from tests.api.conftest import declaration
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


async def _screen(client: httpx.AsyncClient, headers: dict[str, str], name: str, reference: str = "SO-A",
                  **changes: Any) -> dict[str, Any]:
    body = declaration(reference, consignee={"name": name, "country": "JP"}, **changes)
    answer = await client.post("/v1/screenings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _reload(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    answer = await client.post("/v1/rules:reload", headers=headers)
    assert answer.status_code == 200, answer.text


async def _alerts(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/v1/alerts", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_a_new_listing_raises_an_alert_for_a_shipment_still_to_leave(
    client: httpx.AsyncClient, listed: ListOnFile, settings: Settings, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str],
) -> None:
    screening = await _screen(client, as_screener, "Kuril Shipping Ltd")
    assert screening["verdict"] == "clear"
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    alerts = await _alerts(client, as_reviewer)
    assert [(a["screening_id"], a["reference"], a["party_role"], a["party_name"], a["list"], a["entry_id"],
             a["listed_name"], a["action"], a["cause"], a["status"], a["closed_by"]) for a in alerts] == [
        (screening["id"], "SO-A", "consignee", "Kuril Shipping Ltd", "test-sdn", "E-9", "Kuril Shipping Ltd",
         "block", "list_changed", "open", None)]
    assert (await client.get("/v1/alerts", headers=as_screener)).status_code == 403
    one = await client.get(f"/v1/alerts/{alerts[0]['id']}", headers=as_reviewer)
    assert one.status_code == 200 and one.json()["score"] == 100.0
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        events = session.exec(select(WebhookEvent).where(WebhookEvent.type == "alert.created")).all()
    engine.dispose()
    assert [event.data["alert_id"] for event in events] == [alerts[0]["id"]]


async def test_a_changed_entry_is_screened_again_but_an_open_alert_is_not_raised_twice(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    await _screen(client, as_screener, "Kuril Shipping Ltd")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping"))
    await _reload(client, as_admin)
    listed.replace(listed.entries[0], entry("E-9", "Kuril Shipping", addresses=["Vladivostok"]))
    await _reload(client, as_admin)
    await _reload(client, as_admin)  # nothing changed
    assert len(await _alerts(client, as_reviewer)) == 1


async def test_shipments_that_left_or_were_decided_are_not_screened_again(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    left = await _screen(client, as_screener, "Kuril Shipping Ltd", "SO-PAST", export_date="2024-05-20")
    assert left["verdict"] == "clear"  # within the days an export date may lie in the past
    held = await _screen(client, as_screener, "Kuril Shipping Ltd", "SO-HELD", export_date="2024-01-02")
    assert held["verdict"] == "review"  # a past export date: held until someone decides
    await client.post(f"/v1/screenings/{held['id']}/decisions", headers=as_reviewer,
                      json={"decision": "release", "reason_code": "other", "note": "shipped in January"})
    undecided = await _screen(client, as_screener, "Kuril Shipping Ltd", "SO-OPEN", export_date="2024-01-03")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    assert [a["screening_id"] for a in await _alerts(client, as_reviewer)] == [undecided["id"]]


async def test_a_cleared_party_raises_no_alert_until_the_entry_changes(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    listed.replace(entry("E-1", "Acme Trading Co"), entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    first = await _screen(client, as_screener, "Kuril Shipping Ltd")
    await client.post(f"/v1/screenings/{first['id']}/decisions", headers=as_admin,
                      json={"decision": "release", "reason_code": "false_positive_party", "note": "other firm"})
    await _screen(client, as_screener, "Kuril Shipping Ltd", "SO-A2")  # cleared: info only
    listed.replace(entry("E-1", "Acme Trading Co", aliases=["Acme Trading"]), listed.entries[1])
    await _reload(client, as_admin)  # E-1 changed, E-9 did not: nothing to raise
    assert await _alerts(client, as_reviewer) == []
    listed.replace(listed.entries[0], entry("E-9", "Kuril Shipping Ltd", programs=["SDGT"]))
    await _reload(client, as_admin)  # the entry the clearance rested on changed: both shipments again
    assert sorted(a["reference"] for a in await _alerts(client, as_reviewer)) == ["SO-A", "SO-A2"]


async def test_an_entry_removed_closes_the_alerts_resting_on_it(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    await _screen(client, as_screener, "Kuril Shipping Ltd")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    listed.replace(listed.entries[0])
    await _reload(client, as_admin)
    assert await _alerts(client, as_reviewer, status="open") == []
    closed = await _alerts(client, as_reviewer, status="closed")
    assert [(a["status"], a["closed_by"]) for a in closed] == [("closed", "list_entry_removed")]


async def test_a_reviewer_closes_an_alert_with_a_decision(
    client: httpx.AsyncClient, listed: ListOnFile, settings: Settings, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str],
) -> None:
    await _screen(client, as_screener, "Kuril Shipping Ltd")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    alert_id = (await _alerts(client, as_reviewer))[0]["id"]
    url = f"/v1/alerts/{alert_id}/decisions"
    release = {"decision": "release", "reason_code": "false_positive_party", "note": "another company"}
    assert (await client.post(url, json=release, headers=as_reviewer)).status_code == 403  # a block alert
    wrong = {"decision": "hold", "reason_code": "false_positive_party", "note": "x"}
    assert (await client.post(url, json=wrong, headers=as_reviewer)).status_code == 422
    held = await client.post(url, json={"decision": "hold", "reason_code": "confirmed_denied_party",
                                        "note": "same registry number"}, headers=as_reviewer)
    assert held.status_code == 201, held.text
    body = held.json()
    assert body["status"] == "closed" and body["closed_by"] == f"decision:{body['decisions'][0]['id']}"
    assert (await client.post(url, json=release, headers=as_admin)).status_code == 409
    assert (await client.get(f"/v1/alerts/{alert_id}", headers=as_reviewer)).json()["decisions"][0][
        "reason_code"] == "confirmed_denied_party"
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        assert [event.kind for event in events_of(session, "alert", alert_id)] == ["alert.decided"]
    engine.dispose()


async def test_alert_filters_and_pages(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    for number in range(3):
        await _screen(client, as_screener, "Kuril Shipping Ltd", f"SO-{number}")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    await _reload(client, as_admin)
    first = (await client.get("/v1/alerts", params={"limit": 2}, headers=as_reviewer)).json()
    rest = (await client.get("/v1/alerts", params={"limit": 2, "cursor": first["next_cursor"]},
                             headers=as_reviewer)).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert len(await _alerts(client, as_reviewer, list="test-sdn")) == 3
    assert await _alerts(client, as_reviewer, list="other") == []
    assert await _alerts(client, as_reviewer, since="2999-01-01T00:00:00Z") == []


async def test_a_stricter_rulebook_raises_an_alert_for_shipments_still_to_leave(
    client: httpx.AsyncClient, listed: ListOnFile, rulebook: Rulebook, as_screener: dict[str, str],
    as_reviewer: dict[str, str], as_admin: dict[str, str],
) -> None:
    lenient = Rulebook(rules=[r for r in rulebook.rules if not r.id.startswith("RF-")], version="sha256:older",
                       files=rulebook.files)
    listed.rulebook = lenient
    await _reload(client, as_admin)
    screening = await _screen(client, as_screener, "Sakura Furniture KK", destination_country="KR")
    assert screening["verdict"] == "clear"
    listed.rulebook = rulebook
    await _reload(client, as_admin)
    alerts = await _alerts(client, as_reviewer)
    assert [(a["screening_id"], a["cause"], a["action"], a["list"]) for a in alerts] == [
        (screening["id"], "rules_changed", "review", None)]
    assert "RF-CONSIGNEE-COUNTRY" in alerts[0]["message"]


async def test_alert_decisions_stick_as_screening_decisions_do(
    client: httpx.AsyncClient, listed: ListOnFile, as_screener: dict[str, str], as_reviewer: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    await _screen(client, as_screener, "Kuril Shipping Ltd")
    await _screen(client, as_screener, "Volga Precision OOO", "SO-V")
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"), entry("E-10", "Volga Precision OOO"))
    await _reload(client, as_admin)
    alerts = {a["entry_id"]: a["id"] for a in await _alerts(client, as_reviewer)}
    released = await client.post(f"/v1/alerts/{alerts['E-9']}/decisions", headers=as_admin, json={
        "decision": "release", "reason_code": "false_positive_party", "note": "a Japanese namesake"})
    held = await client.post(f"/v1/alerts/{alerts['E-10']}/decisions", headers=as_reviewer, json={
        "decision": "hold", "reason_code": "confirmed_denied_party", "note": "same registry number"})
    assert (released.status_code, held.status_code) == (201, 201)
    cleared = await _screen(client, as_screener, "Kuril Shipping Ltd", "SO-K2")
    assert cleared["verdict"] == "clear"
    finding = next(f for f in cleared["findings"] if f["category"] == "denied_party")
    assert finding["evidence"]["cleared_by"] == released.json()["decisions"][0]["id"]
    assert finding["evidence"]["cleared_in"] == "alert" and "Cleared by alert decision" in finding["message"]
    clearances = (await client.get("/v1/clearances", headers=as_reviewer)).json()
    assert [(c["decision_id"], c["alert_decision_id"]) for c in clearances] == [
        (None, released.json()["decisions"][0]["id"])]
    listed.replace(*listed.entries[:2])  # the official list drops Volga Precision again
    await _reload(client, as_admin)
    own = await _screen(client, as_screener, "Volga Precision OOO", "SO-V2")
    assert own["verdict"] == "block" and own["findings"][0]["rule_id"] == "DENIED-PARTY-OWN-LIST"


async def test_a_restart_on_new_lists_raises_the_alerts_a_reload_would(
    listed: ListOnFile, settings: Settings, as_screener: dict[str, str], as_reviewer: dict[str, str],
) -> None:
    for changed in (False, True):
        if changed:
            listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
        app = create_app(settings, load=lambda _: listed.context())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                if not changed:
                    await _screen(http, as_screener, "Kuril Shipping Ltd")
                else:
                    assert [a["entry_id"] for a in await _alerts(http, as_reviewer)] == ["E-9"]
