"""Sign-in with an API key, and sign-out: a server-side session held by an HttpOnly cookie."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from service.api.deps import SettingsDep, StateDep
from service.api.routing import CheckedRoute
from service.api.state import ServiceState
from service.review.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    clear_cookie,
    set_cookie,
)
from service.review.pages import render
from service.store.keys import find_caller
from service.store.review_sessions import SignedIn, end_session, find_session, open_session

router = APIRouter(route_class=CheckedRoute, prefix="/review", include_in_schema=False)
LOGIN_FORM_LIFETIME = timedelta(hours=1)


def _next_page(value: object) -> str:
    """Where to go after signing in: a /review path of this site only (never another host)."""
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not text.startswith("/review/") or text.startswith("/review/login"):
        return "/review/queue"
    return text


def _login_form(request: Request, status: int = 200, error: str | None = None, next_page: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, csrf_token=token, error=error,
                      next_page=_next_page(next_page or request.query_params.get("next")))
    set_cookie(request, response, LOGIN_COOKIE, token, LOGIN_FORM_LIFETIME, path="/review/login")
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return _login_form(request)


@router.post("/login")
async def sign_in(request: Request, state: StateDep, settings: SettingsDep) -> Response:
    """Open a session for a known, unrevoked key; the form again, with the reason, otherwise."""
    form = await request.form()
    check_csrf(form, request.cookies.get(LOGIN_COOKIE, ""))
    secret = form.get("api_key")
    lifetime = timedelta(hours=settings.review_session_hours)
    token = await run_in_threadpool(_open, state, secret.strip() if isinstance(secret, str) else "", lifetime)
    if token is None:
        return _login_form(request, 401, "That API key is not known or has been revoked.", str(form.get("next", "")))
    response = RedirectResponse(_next_page(form.get("next")), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, lifetime)
    clear_cookie(request, response, LOGIN_COOKIE, path="/review/login")
    return response


def _open(state: ServiceState, secret: str, lifetime: timedelta) -> str | None:
    """The new session's cookie token, or None for an unknown or revoked key."""
    with Session(state.engine) as session:
        caller = find_caller(session, secret) if secret else None
        if caller is None:
            return None
        token = open_session(session, caller, lifetime)
        with state.writing():
            session.commit()
        return token


@router.post("/logout")
async def sign_out(request: Request, state: StateDep) -> Response:
    """End the session (its form carries the session's CSRF token) and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    live = await run_in_threadpool(_live, state, token) if token else None
    if live is not None:
        check_csrf(await request.form(), live.csrf_token)
        await run_in_threadpool(_end, state, token)
    response = RedirectResponse("/review/login", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


def _live(state: ServiceState, token: str) -> SignedIn | None:
    with Session(state.engine) as session:
        return find_session(session, token)


def _end(state: ServiceState, token: str) -> None:
    with Session(state.engine) as session:
        end_session(session, token)
        with state.writing():
            session.commit()
