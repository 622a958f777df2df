"""Rendering the reviewers' pages: one Jinja2 environment over the packaged templates, autoescaped."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from service.review.auth import PageError, SignInNeeded
from service.store.database import as_utc


def _moment(value: datetime | None) -> str:
    """A stored time as reviewers read it: UTC, to the minute."""
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def make_environment() -> Environment:
    """The templates' environment (made by create_app, never at import time)."""
    environment = Environment(loader=PackageLoader("service.review", "templates"),
                              autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["moment"] = _moment
    return environment


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page `template` with `context`, plus who is signed in (if anyone) for the layout."""
    environment: Environment = request.app.state.review_templates
    signed_in = getattr(request.state, "signed_in", None)
    html = environment.get_template(template).render(request_path=request.url.path, signed_in=signed_in, **context)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, error: PageError) -> Response:
    """A refusal as a page (a redirect to the sign-in form for a GET without a session)."""
    if isinstance(error, SignInNeeded) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/review/login?next={quote(target, safe='/')}", status_code=303)
    return render(request, "error.html", status=error.status, title=error.title, message=error.message)

