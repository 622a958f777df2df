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


def test_a_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _unavailable("no Chromium")


def test_a_missing_browser_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        _unavailable("no Chromium")
