"""Review page fixtures: the API's app and keys (tests/api/conftest.py), and signing in through the form."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import (  # noqa: F401  (fixtures, used by name)
    app,
    as_admin,
    as_reviewer,
    as_screener,
    client,
    keys,
    rulebook,
    settings,
)

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, secret: str) -> str:
    """Sign in through the form; the session's CSRF token (the client keeps the cookie)."""
    form = await http.get("/review/login")
    answer = await http.post("/review/login", data={"api_key": secret, "csrf_token": form_token(form.text)})
    assert answer.status_code == 303, answer.text
    queue = await http.get("/review/queue")
    assert queue.status_code == 200, queue.text
    return form_token(queue.text)
