"""Browser fixtures: a real service in its own process and one headless Chromium for the whole package.

Chromium is Debian's (`apt-get install chromium`), found at `CHROMIUM_PATH` (default /usr/bin/chromium);
Playwright drives it and never downloads a browser of its own. Without it the tests skip with the reason,
except under CI=true, where they fail: CI installs it (.ci/run), so a missing browser there is a fault.
Every page may only reach the test server: a request to any other host is aborted and recorded, and the
tests that care say none was made.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.scripts.conftest import load_script

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Route

DEFAULT_CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
# Chromium reports CSP violations on the console itself; this makes them errors whatever its wording
# how Chromium logs any answer of 400 or more, a page's own included (a refusal the test asked for)
FAILED_LOAD = "Failed to load resource: the server responded with a status of"
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""


def _unavailable(reason: str) -> None:
    """Fail under CI (the browser is part of CI's set-up), skip elsewhere, with the reason either way."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so the browser tests fail rather than skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium for every browser test."""
    executable = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not Path(executable).is_file():
        _unavailable(f"no Chromium at {executable} (apt-get install chromium, or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The service, started once for the package, on a temporary data directory with SQLite."""
    live = load_script("live_service")
    with live.live_service(tmp_path_factory.mktemp("browser-service")) as running:
        yield running


class PageWatch:
    """What a page did that no user should see: console errors, uncaught exceptions, CSP violations,
    and requests to hosts other than the test server (which are aborted). A refused page (a 403 the test
    provokes) is the test's to check by its status, so its own load is not counted as an error; a script,
    style or image that fails to load is."""

    def __init__(self, allowed_origin: str) -> None:
        self.allowed = urlsplit(allowed_origin).netloc
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.documents: set[str] = set()

    def request(self, request: Request) -> None:
        if request.is_navigation_request():
            self.documents.add(request.url)

    def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == self.allowed:
            route.continue_()
            return
        self.blocked.append(url)
        route.abort("blockedbyclient")

    def console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.text.startswith(FAILED_LOAD) and where in self.documents:
            return
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({where})")

    def page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")

    def assert_clean(self) -> None:
        """No console error, uncaught exception, CSP violation or outside request so far."""
        assert self.errors == []
        assert self.blocked == []


@pytest.fixture
def browser_context(chromium: Browser, service: Any) -> Iterator[tuple[BrowserContext, PageWatch]]:
    """A fresh context (no cookies) at 1280 px that can reach only the test server, and its watch."""
    context = chromium.new_context(viewport=VIEWPORT, base_url=service.url)
    watch = PageWatch(service.url)
    context.route("**/*", watch.route)
    context.on("request", watch.request)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    yield context, watch
    context.close()


@pytest.fixture
def page(browser_context: tuple[BrowserContext, PageWatch]) -> Page:
    """A page in the fresh context, with its console and errors watched."""
    context, watch = browser_context
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    page.set_default_timeout(20_000)  # generous: CI's two cores may be busy
    return page


@pytest.fixture
def watch(browser_context: tuple[BrowserContext, PageWatch]) -> PageWatch:
    """The watch of this test's browser context."""
    return browser_context[1]
