"""`export-screen serve`: run the HTTP API with uvicorn (migrates the database at start by default)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from service.api.app import create_app
from service.api.pinning import worker_cores, worker_count
from service.api.protocols import http_protocol
from service.api.workers import PortSharingWorkers
from service.cli.output import EXIT_FATAL, fail
from service.logs import uvicorn_log_config
from service.metrics import MULTIPROCESS_DIR
from service.settings import Settings, Workers, data_location, get_settings
from service.store.database import make_engine, upgrade


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[str | None, typer.Option(
        "--workers", metavar="N|auto",
        help="Worker processes: a number, or auto, one per core this process may run on (at most 8); "
             "default EXPORT_SCREEN_WORKERS, or auto.")] = None,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log each request.")] = True,
    background: Annotated[bool | None, typer.Option(
        "--background/--no-background",
        help="Run batch jobs, webhooks, janitors and re-screening here too (default: EXPORT_SCREEN_BACKGROUND); "
             "--no-background when `export-screen worker` does them.")] = None,
) -> None:
    """Serve the API; refuses to start if the database cannot be opened or migrated."""
    if background is not None:  # through the environment: worker processes build their settings from it
        os.environ["EXPORT_SCREEN_BACKGROUND"] = "true" if background else "false"
    settings = get_settings()
    count = worker_count(settings.workers if workers is None else parse_workers(workers))
    typer.echo(f"export-screen: {data_location(settings)}; {count} worker{'s' if count > 1 else ''}", err=True)
    if settings.migrate_on_start:
        migrate_or_fail(settings)  # once, here, before any worker starts (the workers then find the schema at head)
    # one line per request comes from the service's own access log (route, status, duration, request and
    # key ids; never the raw URL), so uvicorn's is off
    log_config = uvicorn_log_config(settings.log_format, settings.log_level, access_log)
    if count == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config, access_log=False,
                    http=http_protocol())
        return
    # Several processes need an import string; each worker builds its own app from the same settings, and
    # counts its metrics into files that a scrape of any worker adds up.
    shared = _share_metrics(settings)
    try:
        config = uvicorn.Config("service.cli.serve:app_from_environment", factory=True, host=host, port=port,
                                workers=count, log_config=log_config, access_log=False, http=http_protocol())
        cores = worker_cores(settings.pin_workers, count)  # (service/api/pinning.py)
        status = PortSharingWorkers(config, cores).run()  # (a socket per worker: service/api/workers.py)
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)
    if status:
        raise typer.Exit(status)


def parse_workers(value: str) -> Workers:
    """--workers: a number of at least 1, or auto."""
    if value == "auto":
        return "auto"
    number = int(value) if value.isascii() and value.isdigit() else 0
    if number < 1:
        raise typer.BadParameter(f"{value!r}: give a number of workers (1 or more), or auto",
                                 param_hint="'--workers'")
    return number


def _share_metrics(settings: Settings) -> Path | None:
    """A fresh directory for the workers' metric files (set before they start: they read it on import);
    None if the environment names one already."""
    if os.environ.get(MULTIPROCESS_DIR):
        return None
    # this `serve`'s own directory: replicas on other hosts (or ports) may share the data directory
    directory = settings.data_dir / "metrics" / f"{socket.gethostname()}-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR] = str(directory)
    return directory


def migrate_or_fail(settings: Settings) -> None:
    """Bring the database to this version's schema, or end the command (exit 3)."""
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        fail(f"the database cannot be opened or migrated, so nothing is served: {exc}", EXIT_FATAL)
    finally:
        engine.dispose()


def app_from_environment() -> object:
    """The app for uvicorn's worker processes (settings from the environment)."""
    return create_app(get_settings())
