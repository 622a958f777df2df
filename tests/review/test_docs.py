"""docs/review.md, the reviewer's guide: every page, the session setting, the screenshots and the hooks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from service.review.routes import alerts, login, queue, records, screening
from service.store.decisions import ReasonCode

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "docs" / "review.md").read_text(encoding="utf-8")
TEMPLATES = REPO / "service" / "review" / "templates"
PAGES = sorted({route.path for module in (login, queue, screening, alerts, records)
                for route in module.router.routes if isinstance(route, APIRoute) and "GET" in route.methods})


@pytest.mark.parametrize("path", [path for path in PAGES if "{" not in path and path != "/review"])
def test_every_page_is_in_the_guide(path: str) -> None:
    assert f"`{path}" in GUIDE


@pytest.mark.parametrize("shot", ["login", "queue", "screening", "decision", "alerts"])
def test_the_guide_shows_the_screenshots(shot: str) -> None:
    assert f"(review/{shot}.png)" in GUIDE


@pytest.mark.parametrize("reason", list(ReasonCode))
def test_every_reason_code_is_in_the_guide(reason: ReasonCode) -> None:
    assert f"`{reason.value}`" in GUIDE


def test_the_session_setting_is_in_the_guide() -> None:
    assert "EXPORT_SCREEN_REVIEW_SESSION_HOURS" in GUIDE


def test_every_test_hook_of_the_templates_is_in_the_page_reference() -> None:
    reference = GUIDE[GUIDE.index("## Page reference"):]
    hooks = {hook for path in TEMPLATES.glob("*.html")
             for hook in re.findall(r'data-testid="([a-z-]+)"', path.read_text(encoding="utf-8"))}
    assert len(hooks) > 30
    assert sorted(hook for hook in hooks if f"`{hook}`" not in reference) == []
