"""The harness itself: pages cannot reach other hosts, and a missing browser fails CI rather than skip."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import PageWatch, _unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.mark.browser
def test_a_request_to_another_host_is_aborted_and_recorded(page: Page, watch: PageWatch) -> None:
    page.goto("/healthz")
    outcome = page.evaluate("fetch('https://example.com/beacon').then(() => 'sent', () => 'refused')")
    assert outcome == "refused"
    assert watch.blocked == ["https://example.com/beacon"]


@pytest.mark.browser
def test_a_file_the_page_cannot_load_is_an_error(page: Page, watch: PageWatch) -> None:
    page.goto("/review/login")
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("document.body.append(Object.assign(new Image(), {src: '/review/static/missing.png'}))")
    assert len(watch.errors) == 1
    assert "404" in watch.errors[0]


@pytest.mark.browser
def test_a_csp_violation_is_an_error(page: Page, watch: PageWatch) -> None:
    from playwright.sync_api import Error as BrowserError

    page.goto("/review/login")  # its policy allows no inline script
    with (page.expect_console_message(lambda message: message.text.startswith("CSP violation")),
          pytest.raises(BrowserError, match="Content Security Policy")):
        page.add_script_tag(content="window.injected = true")
    assert page.evaluate("window.injected === undefined")
    assert any("CSP violation: script-src" in error for error in watch.errors)


def test_a_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _unavailable("no Chromium")


def test_a_missing_browser_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        _unavailable("no Chromium")
