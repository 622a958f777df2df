"""`export-screen serve`: run the HTTP API with uvicorn (migrates the database at start by default)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from service.api.app import create_app
from service.api.protocols import http_protocol
from service.settings import get_settings


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes (one per core is typical).")] = 1,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log each request.")] = True,
) -> None:
    """Serve the API; refuses to start if the database cannot be opened or migrated."""
    if workers == 1:
        uvicorn.run(create_app(get_settings()), host=host, port=port, access_log=access_log, log_level="info",
                    http=http_protocol())
        return
    # Several processes need an import string; each worker builds its own app from the same settings.
    uvicorn.run("service.cli.serve:app_from_environment", factory=True, host=host, port=port, workers=workers,
                access_log=access_log, log_level="info", http=http_protocol())


def app_from_environment() -> object:
    """The app for uvicorn's worker processes (settings from the environment)."""
    return create_app(get_settings())
