"""Sign-in with an API key, and sign-out: a server-side session held by an HttpOnly cookie."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.api.deps import SessionDep, SettingsDep
from service.api.routing import CheckedRoute
from service.review.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    PageError,
    SignInNeeded,
    check_csrf,
    clear_cookie,
    set_cookie,
)
from service.review.pages import render
from service.store.keys import find_caller
from service.store.review_sessions import end_session, find_session, open_session

router = APIRouter(route_class=CheckedRoute, prefix="/review", include_in_schema=False)
LOGIN_FORM_LIFETIME = timedelta(hours=1)


def _next_page(value: object) -> str:
    """Where to go after signing in: a /review path of this site only (never another host)."""
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not text.startswith("/review") or text.startswith("/review/login"):
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
async def sign_in(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Open a session for a known, unrevoked key; the form again, with the reason, otherwise."""
    form = await request.form()
    check_csrf(form, request.cookies.get(LOGIN_COOKIE, ""))
    secret = form.get("api_key")
    caller = find_caller(session, secret.strip()) if isinstance(secret, str) and secret.strip() else None
    if caller is None:
        return _login_form(request, 401, "That API key is not known or has been revoked.", str(form.get("next", "")))
    lifetime = timedelta(hours=settings.review_session_hours)
    token = open_session(session, caller, lifetime)
    session.commit()
    response = RedirectResponse(_next_page(form.get("next")), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, lifetime)
    clear_cookie(request, response, LOGIN_COOKIE, path="/review/login")
    return response


@router.post("/logout")
async def sign_out(request: Request, session: SessionDep) -> Response:
    """End the session (its form carries the session's CSRF token) and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    live = find_session(session, token) if token else None
    if live is not None:
        check_csrf(await request.form(), live.csrf_token)
        end_session(session, token)
        session.commit()
    response = RedirectResponse("/review/login", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


def error_page(request: Request, error: PageError) -> Response:
    """A refusal as a page (a redirect to the sign-in form for a GET without a session)."""
    if isinstance(error, SignInNeeded) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/review/login?next={quote(target, safe='/')}", status_code=303)
    return render(request, "error.html", status=error.status, title=error.title, message=error.message)

