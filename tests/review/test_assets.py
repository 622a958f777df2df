"""The pages' files: no asset from another host, no inline script or style, a policy that allows neither."""

from __future__ import annotations

import re
from pathlib import Path

from service.review import STATIC_DIR
from service.review.headers import CONTENT_SECURITY_POLICY

TEMPLATES = Path(STATIC_DIR).parent / "templates"


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY


def test_no_template_or_asset_names_another_host() -> None:
    files = [*TEMPLATES.glob("*.html"), *Path(STATIC_DIR).iterdir()]
    assert len(files) > 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path.name
        assert "@import" not in text and "url(" not in text, path.name


def test_no_template_has_inline_script_or_style() -> None:
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path.name
        assert "<style" not in text and "style=" not in text and not re.search(r"\son[a-z]+=", text), path.name
