"""API keys: Bearer or X-API-Key; 401 for missing or unknown keys, 403 for a role too low; keys never logged."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlmodel import Session

from service.settings import Settings
from service.store.database import make_engine
from service.store.keys import Role, revoke_key
from tests.api.conftest import declaration

pytestmark = pytest.mark.asyncio


async def test_missing_key_is_401(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/screenings", json=declaration())
    assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({"Authorization": "Bearer esk_nope"}, {"X-API-Key": "esk_nope"}):
        assert (await client.get("/v1/screenings", headers=headers)).status_code == 401


async def test_both_header_forms_are_accepted(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    for headers in ({"Authorization": f"Bearer {keys[Role.SCREENER]}"}, {"X-API-Key": keys[Role.SCREENER]}):
        assert (await client.post("/v1/screenings", json=declaration(), headers=headers)).status_code == 201


async def test_role_too_low_is_403(client: httpx.AsyncClient, as_reviewer: dict[str, str]) -> None:
    answer = await client.post("/v1/rules:reload", headers=as_reviewer)
    assert answer.status_code == 403 and "admin" in answer.json()["detail"]


async def test_open_endpoints_need_no_key(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert (await client.get(path)).status_code == 200, path


async def test_keys_never_appear_in_logs(
    client: httpx.AsyncClient, keys: dict[Role, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = keys[Role.SCREENER]
    await client.post("/v1/screenings", json=declaration(), headers={"Authorization": f"Bearer {secret}"})
    await client.get("/v1/screenings", headers={"X-API-Key": secret + "x"})
    assert secret not in caplog.text


async def test_revoked_key_is_401(client: httpx.AsyncClient, keys: dict[Role, str], settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        assert revoke_key(session, keys[Role.SCREENER].split("_")[1])
        session.commit()
    engine.dispose()
    answer = await client.get("/v1/screenings", headers={"X-API-Key": keys[Role.SCREENER]})
    assert answer.status_code == 401
