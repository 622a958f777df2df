"""Signing in to /review with an API key: a server-side session, its cookie, expiry, revocation, sign-out."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from service.settings import Settings
from service.store.database import make_engine, now
from service.store.keys import Role, revoke_key
from service.store.review_sessions import ReviewSession
from service.store.tables import ApiKey
from tests.review.conftest import form_token, sign_in

pytestmark = pytest.mark.asyncio


async def test_a_known_key_opens_a_session_and_lands_on_the_queue(client: httpx.AsyncClient,
                                                                   keys: dict[Role, str]) -> None:
    form = await client.get("/review/login")
    answer = await client.post("/review/login", data={"api_key": keys[Role.REVIEWER],
                                                      "csrf_token": form_token(form.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/review/queue"
    queue = await client.get("/review/queue")
    assert queue.status_code == 200 and 'data-testid="signed-in-as">test reviewer (reviewer)' in queue.text


async def test_the_session_cookie_is_httponly_strict_and_scoped(client: httpx.AsyncClient,
                                                                keys: dict[Role, str]) -> None:
    form = await client.get("/review/login")
    answer = await client.post("/review/login", data={"api_key": keys[Role.SCREENER],
                                                      "csrf_token": form_token(form.text)})
    cookie = next(value for value in answer.headers.get_list("set-cookie") if value.startswith("review_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/review"} <= flags
    assert "secure" not in flags  # served over plain HTTP here
    assert keys[Role.SCREENER] not in cookie


async def test_the_cookie_is_secure_over_https(app: object, keys: dict[Role, str]) -> None:
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            form = await client.get("/review/login")
            answer = await client.post("/review/login", data={"api_key": keys[Role.SCREENER],
                                                              "csrf_token": form_token(form.text)})
    cookies = answer.headers.get_list("set-cookie")
    assert any(value.startswith("review_session=") and "secure" in value.lower() for value in cookies)


@pytest.mark.parametrize("secret", ["esk_unknown_key", "", "   "])
async def test_an_unknown_key_is_refused_with_the_form(client: httpx.AsyncClient, secret: str) -> None:
    form = await client.get("/review/login")
    answer = await client.post("/review/login", data={"api_key": secret, "csrf_token": form_token(form.text)})
    assert answer.status_code == 401 and 'data-testid="login-error"' in answer.text
    assert "review_session=" not in " ".join(answer.headers.get_list("set-cookie"))
    assert (await client.get("/review/queue")).status_code == 303


async def test_a_revoked_key_cannot_sign_in_and_its_sessions_end(client: httpx.AsyncClient, keys: dict[Role, str],
                                                                  settings: Settings) -> None:
    await sign_in(client, keys[Role.REVIEWER])
    _revoke_every_reviewer_key(settings)
    assert (await client.get("/review/queue")).status_code == 303  # the open session ended with its key
    form = await client.get("/review/login")
    answer = await client.post("/review/login", data={"api_key": keys[Role.REVIEWER],
                                                      "csrf_token": form_token(form.text)})
    assert answer.status_code == 401


def _revoke_every_reviewer_key(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        for key in session.exec(select(ApiKey).where(ApiKey.role == Role.REVIEWER.value)).all():
            revoke_key(session, key.id)
        session.commit()
    engine.dispose()


async def test_an_expired_session_sends_back_to_the_sign_in_form(client: httpx.AsyncClient, keys: dict[Role, str],
                                                                  settings: Settings) -> None:
    await sign_in(client, keys[Role.REVIEWER])
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        session.connection().execute(update(ReviewSession).values(expires_at=now()))
        session.commit()
    engine.dispose()
    answer = await client.get("/review/queue?verdict=block")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/review/login?next=/review/queue%3Fverdict%3Dblock"


async def test_the_session_lasts_as_long_as_the_setting_says(client: httpx.AsyncClient, keys: dict[Role, str],
                                                             settings: Settings) -> None:
    await sign_in(client, keys[Role.REVIEWER])
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        row = session.exec(select(ReviewSession)).one()
        lifetime = row.expires_at - row.created_at
    engine.dispose()
    assert lifetime.total_seconds() == settings.review_session_hours * 3600


async def test_sign_out_ends_the_session(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    token = await sign_in(client, keys[Role.REVIEWER])
    stolen = dict(client.cookies)
    answer = await client.post("/review/logout", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/review/login"
    assert (await client.get("/review/queue")).status_code == 303
    client.cookies.update(stolen)  # the old cookie, sent again, opens nothing: the session ended server-side
    assert (await client.get("/review/queue")).status_code == 303


async def test_after_sign_in_the_reviewer_returns_to_the_page_asked_for(client: httpx.AsyncClient,
                                                                         keys: dict[Role, str]) -> None:
    form = await client.get("/review/login?next=/review/alerts")
    answer = await client.post("/review/login", data={"api_key": keys[Role.REVIEWER], "next": "/review/alerts",
                                                      "csrf_token": form_token(form.text)})
    assert answer.headers["location"] == "/review/alerts"


@pytest.mark.parametrize("target", ["https://evil.example/review", "//evil.example/review", "/v1/screenings"])
async def test_sign_in_never_sends_elsewhere(client: httpx.AsyncClient, keys: dict[Role, str], target: str) -> None:
    form = await client.get("/review/login")
    answer = await client.post("/review/login", data={"api_key": keys[Role.REVIEWER], "next": target,
                                                      "csrf_token": form_token(form.text)})
    assert answer.headers["location"] == "/review/queue"
