"""The screening page and deciding from it: content, the audit trail, roles and the block confirmation."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from service.api.app import create_app
from service.engine.parties.entry import ListEntry
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.keys import Role
from tests.api.conftest import blocked_declaration, clocked_context, declaration, review_declaration
from tests.review.conftest import form_token, sign_in

pytestmark = pytest.mark.asyncio

ENTRY = ListEntry(id="T-1", source_list="test-list", name="Denied Trading LLC", aliases=["DTL Holdings"],
                  addresses=["12 Harbour Road, Dubai"], countries=["AE"], programs=["RUSSIA-EO14024"])


@pytest.fixture
def app(settings: Settings, rulebook: Rulebook) -> FastAPI:
    """The app with the one-entry list whose entry is loaded with its details."""
    context = dataclasses.replace(clocked_context(rulebook), entries={("test-list", "T-1"): ENTRY})
    return create_app(settings, load=lambda _: context)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def _via_hub() -> dict[str, Any]:
    """Denied Trading LLC in the UAE, by way of Türkiye: a party hit on a route through hubs."""
    return declaration("PO-77", consignee={"name": "Denied Trading Co", "country": "AE", "address": "Jebel Ali"},
                       destination_country="AE", transit_countries=["TR"],
                       end_user={"name": "Denied Trading LLC", "country": "AE"})


async def _screen(client: httpx.AsyncClient, body: dict[str, Any], as_screener: dict[str, str]) -> str:
    answer = await client.post("/v1/screenings", json=body, headers=as_screener)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_the_page_shows_route_parties_items_findings_and_versions(
    client: httpx.AsyncClient, keys: dict[Role, str], as_screener: dict[str, str],
) -> None:
    screening_id = await _screen(client, _via_hub(), as_screener)
    await sign_in(client, keys[Role.SCREENER])
    page = (await client.get(f"/review/screenings/{screening_id}")).text
    route = re.findall(r'data-country="(\w+)" data-hub="(\w+)"', page)
    assert route == [("TW", "false"), ("TR", "true"), ("AE", "true")]
    assert 'data-testid="party"><td>end user</td><td>Denied Trading LLC</td>' in page
    assert "Jebel Ali" in page and "wooden tables" in page and ">9403" in page
    assert 'data-rule="DENIED-PARTY-TEST-LIST"' in page
    assert "Legal basis" in page and 'data-testid="verification"' in page
    assert "sha256:test" in page and 'data-testid="versions"' in page


async def test_a_party_finding_shows_both_names_with_the_shared_words_marked_and_the_entry(
    client: httpx.AsyncClient, keys: dict[Role, str], as_screener: dict[str, str],
) -> None:
    screening_id = await _screen(client, _via_hub(), as_screener)
    await sign_in(client, keys[Role.SCREENER])
    page = (await client.get(f"/review/screenings/{screening_id}")).text
    screened = re.search(r'data-testid="screened-name">(.*?)</p>', page)
    assert screened is not None
    assert screened.group(1) == "<mark>Denied</mark> <mark>Trading</mark> <mark>LLC</mark>"
    entry = page[page.index('data-testid="list-entry"'):]
    for shown in ("DTL Holdings", "12 Harbour Road, Dubai", "RUSSIA-EO14024"):
        assert shown in entry


async def test_a_screener_sees_the_page_without_the_form_and_cannot_decide(
    client: httpx.AsyncClient, keys: dict[Role, str], as_screener: dict[str, str],
) -> None:
    screening_id = await _screen(client, review_declaration(), as_screener)
    token = await sign_in(client, keys[Role.SCREENER])
    page = await client.get(f"/review/screenings/{screening_id}")
    assert 'data-testid="cannot-decide"' in page.text and 'id="decision-form"' not in page.text
    answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={
        "csrf_token": token, "decision": "release", "reason_code": "end_use_verified", "note": "fine"})
    assert answer.status_code == 403 and "reviewer role" in answer.text
    assert (await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)).json() == []


async def test_a_reviewers_release_is_in_the_audit_trail_and_on_the_page(
    client: httpx.AsyncClient, keys: dict[Role, str], as_screener: dict[str, str],
) -> None:
    screening_id = await _screen(client, review_declaration("SO-REL"), as_screener)
    token = await sign_in(client, keys[Role.REVIEWER])
    answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={
        "csrf_token": token, "decision": "release", "reason_code": "end_use_verified",
        "note": "Korean branch receives for the Japanese buyer."})
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert 'data-testid="decision-recorded"' in page.text
    assert 'data-decision="release"' in page.text and "Korean branch receives" in page.text
    trail = (await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)).json()
    assert [(d["decision"], d["reason_code"], d["decided_by_role"]) for d in trail] == [
        ("release", "end_use_verified", "reviewer")]
    export = await client.get("/review/audit.csv")
    assert export.status_code == 200 and "SO-REL" in export.text and "end_use_verified" in export.text


@pytest.mark.parametrize(("form", "problem"), [
    ({"decision": "release", "reason_code": "confirmed_denied_party", "note": "x"}, "does not justify a release"),
    ({"decision": "release", "reason_code": "end_use_verified"}, "Note is required"),
    ({"decision": "ship", "reason_code": "end_use_verified", "note": "x"}, "Decision &#39;ship&#39;"),
])
async def test_a_bad_form_is_shown_again_with_the_reason_and_nothing_recorded(
    client: httpx.AsyncClient, keys: dict[Role, str], as_screener: dict[str, str], form: dict[str, str],
    problem: str,
) -> None:
    screening_id = await _screen(client, review_declaration(), as_screener)
    token = await sign_in(client, keys[Role.REVIEWER])
    answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={"csrf_token": token, **form})
    assert answer.status_code == 422 and problem in answer.text
    assert (await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)).json() == []


async def test_releasing_a_block_needs_an_admin(client: httpx.AsyncClient, keys: dict[Role, str],
                                                as_screener: dict[str, str]) -> None:
    screening_id = await _screen(client, blocked_declaration(), as_screener)
    token = await sign_in(client, keys[Role.REVIEWER])
    release = {"csrf_token": token, "decision": "release", "reason_code": "permit_obtained", "note": "permit"}
    for confirmed in ({}, {"confirm": "yes"}):
        answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={**release, **confirmed})
        assert answer.status_code == 403 and "admin role" in answer.text
    assert (await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)).json() == []


async def test_an_admin_releases_a_block_only_after_confirming(client: httpx.AsyncClient, keys: dict[Role, str],
                                                               as_screener: dict[str, str]) -> None:
    screening_id = await _screen(client, blocked_declaration(), as_screener)
    token = await sign_in(client, keys[Role.ADMIN])
    path = f"/review/screenings/{screening_id}/decisions"
    first = await client.post(path, data={"csrf_token": token, "decision": "release",
                                          "reason_code": "permit_obtained", "note": "Permit 12345 on file."})
    assert first.status_code == 200 and 'data-testid="confirm-release"' in first.text
    assert (await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)).json() == []
    confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', first.text))
    assert confirm["confirm"] == "yes" and confirm["csrf_token"] == form_token(first.text)
    second = await client.post(path, data=confirm)
    assert second.status_code == 303
    trail = (await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)).json()
    assert [(d["decision"], d["decided_by_role"], d["note"]) for d in trail] == [
        ("release", "admin", "Permit 12345 on file.")]


async def test_holding_a_block_needs_no_confirmation(client: httpx.AsyncClient, keys: dict[Role, str],
                                                     as_screener: dict[str, str]) -> None:
    screening_id = await _screen(client, blocked_declaration(), as_screener)
    token = await sign_in(client, keys[Role.REVIEWER])
    answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={
        "csrf_token": token, "decision": "hold", "reason_code": "controlled_no_permit", "note": "no permit"})
    assert answer.status_code == 303


async def test_a_clear_screening_takes_no_decision(client: httpx.AsyncClient, keys: dict[Role, str],
                                                   as_screener: dict[str, str]) -> None:
    screening_id = await _screen(client, declaration(), as_screener)
    token = await sign_in(client, keys[Role.REVIEWER])
    page = await client.get(f"/review/screenings/{screening_id}")
    assert page.status_code == 200 and 'id="decision-form"' not in page.text
    answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={
        "csrf_token": token, "decision": "hold", "reason_code": "other", "note": "x"})
    assert answer.status_code == 409 and "only review and block verdicts take decisions" in answer.text


async def test_earlier_decisions_on_the_same_party_are_shown(client: httpx.AsyncClient, keys: dict[Role, str],
                                                             as_screener: dict[str, str],
                                                             as_reviewer: dict[str, str]) -> None:
    first = await _screen(client, review_declaration("SO-OLD"), as_screener)
    await client.post(f"/v1/screenings/{first}/decisions", headers=as_reviewer, json={
        "decision": "hold", "reason_code": "diversion_risk", "note": "earlier"})
    second = await _screen(client, review_declaration("SO-NEW"), as_screener)
    await sign_in(client, keys[Role.REVIEWER])
    page = (await client.get(f"/review/screenings/{second}")).text
    earlier = page[page.index('data-testid="earlier-decisions"'):]
    assert "SO-OLD" in earlier and "diversion risk" in earlier


async def test_an_unknown_screening_is_a_404_page(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    await sign_in(client, keys[Role.SCREENER])
    answer = await client.get("/review/screenings/0000")
    assert answer.status_code == 404 and "No screening with id" in answer.text
