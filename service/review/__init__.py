"""The reviewers' web pages under /review: sign-in, the queue, screenings, decisions, alerts and records.

A thin shell over the store and the workflow: the pages read what the API reads and decide through the
same functions (service/workflow/deciding.py). Server-rendered Jinja2 templates, plain forms, one small
local script for keyboard shortcuts; every asset is served from service/review/static.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.staticfiles import StaticFiles

from service.review.auth import PageError
from service.review.headers import ReviewHeadersMiddleware
from service.review.pages import error_page, make_environment
from service.review.routes import alerts, login, queue, records, screening

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install_review(app: FastAPI) -> None:
    """Mount the pages, their assets, their error page and their security headers on `app`."""
    app.state.review_templates = make_environment()
    for module in (login, queue, screening, alerts, records):
        app.include_router(module.router)
    app.mount("/review/static", StaticFiles(directory=STATIC_DIR), name="review-static")

    async def page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        return error_page(request, error)

    app.add_exception_handler(PageError, page_error)
    app.add_middleware(ReviewHeadersMiddleware)
