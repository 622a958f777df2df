"""Each API process keeps the standing decisions in memory; a change made anywhere is applied by every
process before its next screening is recorded (two apps on one database stand for two workers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import Session

from service.api.app import create_app
from service.api.standing import StandingBook, StandingCopy
from service.engine.checks.clearances import DeniedParty, PartyClearance
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.clearances import standing_version
from service.store.database import make_engine
from tests.api.conftest import declaration
from tests.api.listed import ListOnFile, entry

PARTY = {"name": "Acme Trading Co", "country": "AE"}
OWN_LIST_RULE = "DENIED-PARTY-OWN-LIST"


@pytest.fixture
def listed(rulebook: Rulebook, settings: Settings) -> ListOnFile:
    return ListOnFile(rulebook, settings, [entry("E-1", "Acme Trading Co")])


@pytest_asyncio.fixture
async def apps(listed: ListOnFile, settings: Settings) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two running apps on the same database, as two workers or two replicas."""
    first, second = (create_app(settings, load=lambda _: listed.context()) for _ in range(2))
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield first, second


@pytest_asyncio.fixture
async def clients(apps: tuple[FastAPI, FastAPI]) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        made = [await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver"))
            for app in apps]
        yield made[0], made[1]


async def _screen(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    body = declaration("SO-S", consignee=PARTY, destination_country="AE")
    answer = await client.post("/v1/screenings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _decide(client: httpx.AsyncClient, screening_id: str, decision: str, reason: str,
                  headers: dict[str, str]) -> None:
    answer = await client.post(f"/v1/screenings/{screening_id}/decisions", headers=headers,
                               json={"decision": decision, "reason_code": reason, "note": "checked the registry"})
    assert answer.status_code == 201, answer.text


def _own_list(screening: dict[str, Any]) -> list[dict[str, Any]]:
    return [finding for finding in screening["findings"] if finding["rule_id"] == OWN_LIST_RULE]


@pytest.mark.asyncio
async def test_a_party_denied_through_one_process_is_blocked_by_another_at_its_next_screening(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], apps: tuple[FastAPI, FastAPI],
    as_screener: dict[str, str], as_reviewer: dict[str, str],
) -> None:
    reviewing, screening = clients
    first = await _screen(screening, as_screener)
    assert first["verdict"] == "block" and not _own_list(first)
    before = apps[1].state.service.standing.current()
    await _decide(reviewing, first["id"], "hold", "confirmed_denied_party", as_reviewer)
    assert apps[1].state.service.standing.current() is before  # the second process was not told
    again = await _screen(screening, as_screener)
    assert len(_own_list(again)) == 1
    # The screening made with the outdated copy was not recorded: one row per answer.
    listed = (await screening.get("/v1/screenings", headers=as_screener)).json()["items"]
    assert sorted(item["id"] for item in listed) == sorted([first["id"], again["id"]])


@pytest.mark.asyncio
async def test_a_clearance_and_its_revocation_through_one_process_apply_in_another_at_its_next_screening(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], as_screener: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    reviewing, screening = clients
    first = await _screen(screening, as_screener)
    await _decide(reviewing, first["id"], "release", "false_positive_party", as_admin)
    assert (await _screen(screening, as_screener))["verdict"] == "clear"
    cleared = (await reviewing.get("/v1/clearances", headers=as_admin)).json()
    revoked = await reviewing.delete(f"/v1/clearances/{cleared[0]['id']}", params={"note": "new evidence"},
                                     headers=as_admin)
    assert revoked.status_code == 200
    assert (await _screen(screening, as_screener))["verdict"] == "block"


@pytest.mark.asyncio
async def test_the_process_that_decides_reads_the_standing_decisions_again_at_once(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], apps: tuple[FastAPI, FastAPI],
    settings: Settings, as_screener: dict[str, str], as_reviewer: dict[str, str],
) -> None:
    reviewing, _ = clients
    first = await _screen(reviewing, as_screener)
    await _decide(reviewing, first["id"], "hold", "confirmed_denied_party", as_reviewer)
    assert apps[0].state.service.standing.current() is None
    assert len(_own_list(await _screen(reviewing, as_screener))) == 1
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        assert apps[0].state.service.standing.current().version == standing_version(session) > 0
    engine.dispose()


def test_a_book_keeps_its_copy_until_the_database_is_at_another_version(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        book = StandingBook(engine)
        copy = book.read()
        with Session(engine) as session:
            version = standing_version(session)
        assert copy is book.current() and copy.version == version and not copy.clearances and not copy.denied
        book.outdated(version)
        assert book.current() is copy
        book.outdated(version + 1)
        assert book.current() is None
    finally:
        engine.dispose()


def _clearance(name_key: str) -> PartyClearance:
    return PartyClearance(decision_id=1, decided_on=date(2026, 1, 1), reviewer="k", name_key=name_key,
                          country="AE", list_name="test-sdn", entry_id="E-1", entry_hash="sha256:x")


def test_a_copy_applies_clearances_until_they_expire_and_own_list_entries_by_name() -> None:
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    denied = DeniedParty(id=1, name="Volga Precision", name_key="volga precision", country=None, decision_id=2)
    copy = StandingCopy(3, clearances={"acme trading co": ((_clearance("acme trading co"), moment),)},
                        denied={"volga precision": (denied,)})
    before = copy.for_names(["ACME Trading Co.", "Someone Else"], moment - timedelta(seconds=1))
    assert list(before.clearances) == ["acme trading co"] and not before.denied
    assert not copy.for_names(["Acme Trading Co"], moment).clearances
    assert copy.for_names(["Volga  Precision"], moment).denied == {"volga precision": (denied,)}
