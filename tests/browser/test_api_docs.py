"""/docs and /redoc work on a network without internet: every request to another host is blocked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import PageWatch

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"  # Redoc's menu asks for it; the page's policy refuses it
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_swagger_ui_shows_every_operation_offline(page: Page, watch: PageWatch, service: Any) -> None:
    schema = httpx.get(f"{service.url}/openapi.json").json()
    documented = [*schema["paths"].values(), *schema.get("webhooks", {}).values()]
    operations = sum(1 for path in documented for method in path if method in METHODS)
    page.goto("/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == operations
    assert page.locator(".opblock-summary-path", has_text="/v1/screenings").count() > 0
    watch.assert_clean()


def test_redoc_shows_the_reference_offline(page: Page, watch: PageWatch) -> None:
    page.goto("/redoc")
    page.get_by_role("heading", name="export-screen", level=1).wait_for()
    assert page.get_by_text("/v1/screenings", exact=False).count() > 0
    assert [error for error in watch.errors if REDOCLY_LOGO not in error] == []
    assert watch.blocked == []
