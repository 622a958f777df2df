"""/docs and /redoc name no other host: their scripts, styles and icon come from this package."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from service.api.app import create_app
from service.api.routers.api_docs import ASSETS_DIR
from service.settings import Settings

PAGES = ["/docs", "/redoc"]
REFERENCE = re.compile(r"""(?:src|href|url|spec-url)\s*[=:]\s*["']([^"']+)["']""")


@pytest_asyncio.fixture
async def docs(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lifespan: the reference pages need neither rules nor a database."""
    transport = httpx.ASGITransport(app=create_app(Settings(data_dir=tmp_path)))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.asyncio
@pytest.mark.parametrize("page", PAGES)
async def test_a_reference_page_names_no_other_host(docs: httpx.AsyncClient, page: str) -> None:
    answer = await docs.get(page)
    assert answer.status_code == 200
    assert "://" not in answer.text
    assert "//" not in "".join(REFERENCE.findall(answer.text))
    assert REFERENCE.findall(answer.text)


@pytest.mark.asyncio
@pytest.mark.parametrize("page", PAGES)
async def test_every_file_a_reference_page_loads_is_served(docs: httpx.AsyncClient, page: str) -> None:
    assets = [url for url in REFERENCE.findall((await docs.get(page)).text) if url.startswith("/docs/assets/")]
    assert len(assets) >= 2
    for url in assets:
        answer = await docs.get(url)
        assert answer.status_code == 200, url
        assert len(answer.content) > 500, url


@pytest.mark.asyncio
@pytest.mark.parametrize("page", PAGES)
async def test_a_reference_page_keeps_the_browser_on_this_host(docs: httpx.AsyncClient, page: str) -> None:
    policy = (await docs.get(page)).headers["content-security-policy"]
    directives = dict(directive.strip().split(" ", 1) for directive in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert "unsafe-inline" not in directives["script-src"]


@pytest.mark.asyncio
async def test_swagger_uis_inline_start_is_allowed_by_its_hash(docs: httpx.AsyncClient) -> None:
    answer = await docs.get("/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in answer.headers["content-security-policy"]


@pytest.mark.asyncio
async def test_the_pages_follow_the_root_path_behind_a_proxy(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=create_app(Settings(data_dir=tmp_path)), root_path="/screening")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        page = (await http.get("/docs")).text
    assert "/screening/docs/assets/swagger-ui/swagger-ui-bundle.js" in page
    assert "'/screening/openapi.json'" in page


def test_the_shipped_files_carry_their_licences() -> None:
    for part in ("swagger-ui", "redoc"):
        assert (ASSETS_DIR / part / "LICENSE").is_file()
    assert "Apache License" in (ASSETS_DIR / "swagger-ui" / "LICENSE").read_text()
    assert (ASSETS_DIR / "swagger-ui" / "NOTICE").is_file()


@pytest.mark.asyncio
async def test_the_reference_pages_are_not_api_operations(docs: httpx.AsyncClient) -> None:
    paths = (await docs.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]
