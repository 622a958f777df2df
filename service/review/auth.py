"""Who is signed in to the reviewers' pages, what their role lets them do, and the CSRF check of forms.

The session cookie is HttpOnly, SameSite=Strict and scoped to /review; it is Secure when the page was
served over HTTPS. The scheme is the request's own: behind a proxy, uvicorn takes it from
X-Forwarded-Proto only for the proxies it trusts (FORWARDED_ALLOW_IPS), never from any client.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from service.api.deps import StateDep
from service.api.state import ServiceState
from service.store.keys import Role
from service.store.review_sessions import SignedIn, find_session

SESSION_COOKIE = "review_session"
LOGIN_COOKIE = "review_login"  # the login form's own CSRF token (there is no session yet)
COOKIE_PATH = "/review"


class PageError(Exception):
    """A refusal shown as a page: its status, a title and a sentence saying why."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class SignInNeeded(PageError):
    """No live session: a page answers with the sign-in form (a redirect for GET)."""

    def __init__(self) -> None:
        super().__init__(401, "Sign-in needed", "Your session has ended or you have not signed in.")


def set_cookie(request: Request, response: Response, name: str, value: str, lifetime: timedelta | None,
               path: str = COOKIE_PATH) -> None:
    """A cookie scripts cannot read, sent to /review pages of this site only."""
    response.set_cookie(name, value, max_age=int(lifetime.total_seconds()) if lifetime else None, path=path,
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")


def clear_cookie(request: Request, response: Response, name: str, path: str = COOKIE_PATH) -> None:
    """Remove a cookie (with the same attributes it was set with)."""
    response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=request.url.scheme == "https")


def _find(state: ServiceState, token: str) -> SignedIn | None:
    with Session(state.engine) as session:
        return find_session(session, token)


async def signed_in(request: Request, state: StateDep) -> SignedIn:
    """The live session of the request's cookie; SignInNeeded otherwise."""
    token = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(_find, state, token) if token else None
    if found is None:
        raise SignInNeeded()
    request.state.signed_in = found
    return found


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def require_role(signed: SignedIn, role: Role, doing: str) -> None:
    """A 403 page unless the signed-in key's role includes `role`."""
    if not signed.caller.role.includes(role):
        raise PageError(403, "Not allowed", f"{doing} needs the {role.value} role; your key has the "
                        f"{signed.caller.role.value} role.")


def check_csrf(form: FormData, expected: str) -> None:
    """A 403 page unless the form carries the expected token (bound to the session, or to the login form)."""
    given = form.get("csrf_token")
    if not isinstance(given, str) or not expected or not secrets.compare_digest(given, expected):
        raise PageError(403, "Form refused", "The form's security token is missing or does not match this "
                        "session; nothing was recorded. Reload the page and try again.")
