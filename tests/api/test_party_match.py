"""POST /v1/parties:match: a name alone is screened, answered with the list versions and recorded."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlmodel import Session

from service.api.app import create_app
from service.api.routers.party_match import NameMatchResult
from service.engine.checks.coverage import ListAge
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.stamps import software_version
from service.store.database import make_engine
from service.store.party_matches import get_party_match
from tests.api.conftest import clocked_context

pytestmark = pytest.mark.asyncio
DENIED = "Denied Trading LLC"


async def test_a_listed_name_is_answered_with_its_hit_and_recorded(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings
) -> None:
    answer = await client.post("/v1/parties:match", json={"name": f" {DENIED} ", "country": "Japan",
                                                          "kind": "organisation"}, headers=as_screener)
    assert answer.status_code == 200
    result = answer.json()
    assert NameMatchResult.model_validate(result).model_dump(mode="json", by_alias=True) == result
    assert result["query"] == DENIED and result["country"] == "JP" and result["kind"] == "organisation"
    assert result["outcome"] == "block"
    [hit] = result["hits"]
    assert {k: hit[k] for k in ("list", "entry_id", "listed_name", "matched_name", "score", "action")} == {
        "list": "test-list", "entry_id": "T-1", "listed_name": DENIED, "matched_name": DENIED, "score": 100.0,
        "action": "block"}
    assert result["lists"] == [{"name": "test-list", "version": "sha256:test", "entries": 1}]
    assert result["software_version"] == software_version() and result["thresholds"]["block_threshold"] == 90.0
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        row = get_party_match(session, result["id"])
        assert row is not None and row.name == DENIED and row.outcome == "block" and row.hits == result["hits"]
        assert row.request_id == answer.headers["x-request-id"] and row.lists == result["lists"]
    engine.dispose()


async def test_an_unlisted_name_is_clear_and_recorded_too(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings
) -> None:
    result = (await client.post("/v1/parties:match", json={"name": "Sakura Furniture KK"},
                                headers=as_screener)).json()
    assert result["outcome"] == "clear" and result["hits"] == [] and result["country"] is None
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        assert get_party_match(session, result["id"]) is not None
    engine.dispose()


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"name": "Denied\u202eTrading"}, "name", "bidirectional control character U+202E"),
    ({"name": "---"}, "name", "no letter or digit"),
    ({"name": "S" * 501}, "name", "at most 500 characters"),
    ({"name": "Acme", "country": "Atlantis"}, "country", "Atlantis"),
    ({"name": "Acme", "kind": "spaceship"}, "kind", "spaceship"),
    ({"name": "Acme", "address": "x"}, "address", ""),
], ids=["bidi", "punctuation", "too-long", "country", "kind", "unknown-field"])
async def test_a_bad_request_is_a_422_naming_the_field(
    client: httpx.AsyncClient, as_screener: dict[str, str], body: dict[str, str], field: str, says: str
) -> None:
    answer = await client.post("/v1/parties:match", json=body, headers=as_screener)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["field"] == field and says in str(error["message"]) + str(error["value"])


async def test_a_key_is_needed_and_every_role_may_match(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str], as_admin: dict[str, str]
) -> None:
    assert (await client.post("/v1/parties:match", json={"name": DENIED})).status_code == 401
    for headers in (as_screener, as_reviewer, as_admin):
        assert (await client.post("/v1/parties:match", json={"name": DENIED}, headers=headers)).status_code == 200


async def test_a_repeated_idempotency_key_replays_without_a_second_record(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings
) -> None:
    headers = {**as_screener, "Idempotency-Key": "onboard-7"}
    first = await client.post("/v1/parties:match", json={"name": DENIED}, headers=headers)
    again = await client.post("/v1/parties:match", json={"name": DENIED}, headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = await client.post("/v1/parties:match", json={"name": "Other"}, headers=headers)
    assert other.status_code == 409


@pytest.fixture
def stale_app(settings: Settings, rulebook: Rulebook) -> FastAPI:
    """An official list far past its update interval, and a listing that applies only from 2030."""
    now = datetime.now(UTC)
    stale = ListAge(name="ofac-sdn", entries=9000, official=True, imported_at=now - timedelta(days=40),
                    max_age=timedelta(days=7))

    def load(_: Settings) -> object:
        return dataclasses.replace(clocked_context(rulebook), lists=(stale,),
                                   listed_from={("test-list", "T-1"): date(2030, 1, 1)})

    return create_app(settings, load=load)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def stale_client(stale_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with stale_app.router.lifespan_context(stale_app):
        transport = httpx.ASGITransport(app=stale_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_an_out_of_date_list_makes_even_a_clean_name_a_review(
    stale_client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    result = (await stale_client.post("/v1/parties:match", json={"name": "Sakura Furniture KK"},
                                      headers=as_screener)).json()
    assert result["outcome"] == "review" and result["hits"] == []
    assert [note["rule_id"] for note in result["notes"]] == ["LIST-OUT-OF-DATE"]


async def test_a_listing_not_yet_in_force_is_still_a_hit_with_its_date(
    stale_client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    result = (await stale_client.post("/v1/parties:match", json={"name": DENIED}, headers=as_screener)).json()
    assert result["outcome"] == "block" and result["hits"][0]["listed_from"] == "2030-01-01"
