"""The pages' defences: CSRF tokens on every form, a strict CSP on every answer, no asset from another host."""

from __future__ import annotations

import httpx
import pytest

from service.review.headers import CONTENT_SECURITY_POLICY
from service.store.keys import Role
from tests.api.conftest import review_declaration
from tests.review.conftest import form_token, sign_in

pytestmark = pytest.mark.asyncio
PAGES = ["/review/login", "/review/queue", "/review/alerts", "/review/parties", "/review/batches", "/review/lists",
         "/review/queue?verdict=nonsense", "/review/screenings/no-such-id", "/review/static/review.css"]


async def _held(client: httpx.AsyncClient, as_screener: dict[str, str]) -> str:
    answer = await client.post("/v1/screenings", json=review_declaration(), headers=as_screener)
    return str(answer.json()["id"])


@pytest.mark.parametrize("token", [None, "forged-token"])
async def test_a_decision_without_the_session_token_is_refused_and_not_recorded(
    client: httpx.AsyncClient, keys: dict[Role, str], as_screener: dict[str, str], token: str | None,
) -> None:
    screening_id = await _held(client, as_screener)
    await sign_in(client, keys[Role.ADMIN])
    form = {"decision": "release", "reason_code": "end_use_verified", "note": "checked"}
    answer = await client.post(f"/review/screenings/{screening_id}/decisions",
                               data={**form, **({"csrf_token": token} if token else {})})
    assert answer.status_code == 403 and "nothing was recorded" in answer.text
    history = await client.get(f"/v1/screenings/{screening_id}/decisions", headers=as_screener)
    assert history.json() == []


async def test_another_sessions_token_is_refused(client: httpx.AsyncClient, keys: dict[Role, str],
                                                 as_screener: dict[str, str]) -> None:
    screening_id = await _held(client, as_screener)
    other = await sign_in(client, keys[Role.REVIEWER])
    client.cookies.clear()
    await sign_in(client, keys[Role.ADMIN])
    answer = await client.post(f"/review/screenings/{screening_id}/decisions", data={
        "decision": "hold", "reason_code": "diversion_risk", "note": "n", "csrf_token": other})
    assert answer.status_code == 403


async def test_sign_in_and_sign_out_forms_need_their_tokens(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    await client.get("/review/login")
    refused = await client.post("/review/login", data={"api_key": keys[Role.REVIEWER], "csrf_token": "forged"})
    assert refused.status_code == 403
    await sign_in(client, keys[Role.REVIEWER])
    assert (await client.post("/review/logout", data={"csrf_token": "forged"})).status_code == 403
    assert (await client.get("/review/queue")).status_code == 200  # still signed in


@pytest.mark.parametrize("signed_in", [False, True])
async def test_every_page_has_the_security_headers(client: httpx.AsyncClient, keys: dict[Role, str],
                                                   signed_in: bool) -> None:
    if signed_in:
        await sign_in(client, keys[Role.ADMIN])
    for path in PAGES:
        answer = await client.get(path)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path


async def test_pages_are_not_cached_and_assets_are_served_locally(client: httpx.AsyncClient) -> None:
    assert (await client.get("/review/login")).headers["cache-control"] == "no-store"
    script = await client.get("/review/static/review.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "no-store" not in script.headers.get("cache-control", "")


async def test_a_form_token_is_bound_to_its_session(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    first = await sign_in(client, keys[Role.REVIEWER])
    client.cookies.clear()
    second = await sign_in(client, keys[Role.REVIEWER])
    assert first != second
    page = await client.get("/review/queue")
    assert form_token(page.text) == second
