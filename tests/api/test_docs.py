"""docs/api.md stays true: every endpoint, problem code, reason code, command and API setting is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.api import errors
from service.api.app import create_app
from service.cli import database, keys
from service.settings import Settings
from service.store.decisions import ReasonCode

DOC = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
ROUTES = [
    (method.upper(), path)
    for path, operations in create_app(Settings()).openapi()["paths"].items()
    for method in operations
]


def _ours(path: str) -> bool:
    # The CSV batch endpoints (`:csv`, `/v1/batches`) are documented in docs/batch.md by their owner.
    return path.startswith(("/v1", "/healthz", "/readyz")) and ":csv" not in path and "/batches" not in path


@pytest.mark.parametrize(("method", "path"), [route for route in ROUTES if _ours(route[1])])
def test_every_endpoint_is_documented(method: str, path: str) -> None:
    documented = re.sub(r"\{[a-z_]+_id\}", "{id}", path)  # /v1/screenings/{screening_id} -> .../{id}
    assert f"`{method} {documented}" in DOC


@pytest.mark.parametrize("error", [cls for cls in vars(errors).values()
                                   if isinstance(cls, type) and issubclass(cls, errors.ApiError)])
def test_every_problem_code_is_documented(error: type[errors.ApiError]) -> None:
    assert f"`{error.code}`" in DOC


@pytest.mark.parametrize("reason", list(ReasonCode))
def test_every_reason_code_is_documented(reason: ReasonCode) -> None:
    assert f"| `{reason.value}` |" in DOC


@pytest.mark.parametrize("command", [
    "export-screen serve", "export-screen worker", "--no-background",
    *(f"export-screen keys {c.name}" for c in keys.app.registered_commands),
    *(f"export-screen db {c.name}" for c in database.app.registered_commands),
])
def test_every_api_command_is_documented(command: str) -> None:
    assert command in DOC


@pytest.mark.parametrize("setting", ["DATABASE_URL", "EXPORT_SCREEN_MAX_REQUEST_BYTES",
                                     "EXPORT_SCREEN_MAX_BATCH_SIZE", "EXPORT_SCREEN_MIGRATE_ON_START",
                                     "EXPORT_SCREEN_RELOAD_POLL_SECONDS", "EXPORT_SCREEN_WEBHOOK_TIMEOUT",
                                     "EXPORT_SCREEN_WEBHOOK_MAX_ATTEMPTS", "EXPORT_SCREEN_WEBHOOK_BACKOFF_SECONDS",
                                     "EXPORT_SCREEN_WEBHOOK_POLL_SECONDS"])
def test_every_api_setting_is_documented(setting: str) -> None:
    assert setting in DOC
    assert setting.removeprefix("EXPORT_SCREEN_").lower() in Settings.model_fields
