"""`export-screen worker`: batch jobs, re-screening, webhooks and janitors without serving HTTP."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from service.cli.serve import migrate_or_fail
from service.logs import configure_logging
from service.settings import data_location, get_settings
from service.signals import SignalRelay
from service.worker import run_worker


def worker_command(
    host: Annotated[str, typer.Option("--host", help="Interface of the probes port.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(
        "--port", help="Serve /healthz, /readyz and /metrics on this port (default: no port).")] = None,
) -> None:
    """Run the service's background work (no API) until SIGTERM or Ctrl-C; share the API's database and
    data directory."""
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    typer.echo(f"export-screen worker: {data_location(settings)}", err=True)
    if settings.migrate_on_start:
        migrate_or_fail(settings)
    stop = threading.Event()

    def ask_to_stop(_signal: int) -> None:
        stop.set()

    # (set in the relay's thread: a handler setting it could wait for ever on the lock the main thread
    # holds inside stop.wait)
    relay = SignalRelay({signal.SIGTERM: ask_to_stop, signal.SIGINT: ask_to_stop}, name="worker-signals")
    relay.start()
    try:
        run_worker(settings, stop, (host, port) if port is not None else None)
    finally:
        relay.stop()
