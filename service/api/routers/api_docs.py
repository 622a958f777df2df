"""The API's reference pages, /docs (Swagger UI) and /redoc, served with their scripts from this package.

FastAPI's own pages load Swagger UI and Redoc from a CDN, so on a network without internet they stay
blank. The files ship under `service/api/static/docs/` (npm's swagger-ui-dist and redoc, with their
licences) and are served below /docs/assets, so the pages name no other host. Their Content-Security-Policy
keeps the browser on this host too: Redoc's menu shows the Redocly logo from Redocly's CDN, which the
policy refuses (the menu then shows the text alone).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from service.api.routing import CheckedRoute

ASSETS_DIR = Path(__file__).resolve().parents[1] / "static" / "docs"
ASSETS_URL = "/docs/assets"
# Swagger UI would otherwise ask an outside validator about the schema; nothing here may leave the network
SWAGGER_PARAMETERS: dict[str, Any] = {"validatorUrl": None}

# Swagger UI and Redoc set inline styles and Redoc searches in a worker made from a blob; nothing comes from
# another host, and the one inline script (Swagger UI's start) is allowed by its hash alone.
POLICY = ("default-src 'self'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)


def install_api_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc and the files they load (the app is made with docs_url=redoc_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    app.include_router(router)


def _under_root(request: Request, path: str) -> str:
    """`path` below the app's root path (set when the service runs behind a proxy prefix)."""
    root: str = request.scope.get("root_path", "")
    return f"{root}{path}"


def with_policy(page: HTMLResponse) -> HTMLResponse:
    """The page with a Content-Security-Policy that allows only this host and the page's own inline scripts."""
    scripts = "".join(f" 'sha256-{_digest(script)}'" for script in INLINE_SCRIPT.findall(bytes(page.body).decode()))
    page.headers["Content-Security-Policy"] = POLICY.format(scripts=scripts)
    return page


def _digest(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on this service's OpenAPI document."""
    return with_policy(get_swagger_ui_html(
        openapi_url=_under_root(request, request.app.openapi_url),
        title=f"{request.app.title} - API reference",
        swagger_js_url=_under_root(request, f"{ASSETS_URL}/swagger-ui/swagger-ui-bundle.js"),
        swagger_css_url=_under_root(request, f"{ASSETS_URL}/swagger-ui/swagger-ui.css"),
        swagger_favicon_url=_under_root(request, f"{ASSETS_URL}/swagger-ui/favicon-32x32.png"),
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    ))


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """Redoc on this service's OpenAPI document, without Google's web fonts."""
    return with_policy(get_redoc_html(
        openapi_url=_under_root(request, request.app.openapi_url),
        title=f"{request.app.title} - API reference",
        redoc_js_url=_under_root(request, f"{ASSETS_URL}/redoc/redoc.standalone.js"),
        redoc_favicon_url=_under_root(request, f"{ASSETS_URL}/swagger-ui/favicon-32x32.png"),
        with_google_fonts=False,
    ))
