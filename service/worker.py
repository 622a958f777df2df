"""`export-screen worker`: the background work of the service without HTTP, so that the bulk tier scales
apart from the API tier.

A worker opens the same database and data directory as the API replicas, loads the same rules and lists
(and follows their reloads), and runs what service.api.background lists: batch jobs, re-screening after a
change, webhook deliveries, janitors and scheduled list updates. Run the API with
EXPORT_SCREEN_BACKGROUND=false (`serve --no-background`) and as many workers as the bulk work needs; each
piece of work is done by one of them (docs/operations.md, "Scale-out").
"""

from __future__ import annotations

import logging
import threading

import uvicorn

from service.api.app import health_app, start_service
from service.api.background import Worker, background_work
from service.api.reloading import ReloadWatcher
from service.api.state import ServiceState
from service.settings import Settings
from service.store.database import WalCheckpointer, is_sqlite

logger = logging.getLogger("service.worker")


class Probes:
    """/healthz, /readyz and /metrics on a port of their own, served from a thread (uvicorn)."""

    def __init__(self, state: ServiceState, host: str, port: int) -> None:
        config = uvicorn.Config(health_app(state), host=host, port=port, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="worker-probes", daemon=True)

    def start(self) -> None:
        """Listen."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening."""
        self.server.should_exit = True
        self._thread.join(timeout=10)


def run_worker(settings: Settings, stop: threading.Event, probes: tuple[str, int] | None = None) -> None:
    """Run the background work until `stop` is set, then end it (a job in flight is taken over elsewhere).
    `probes`: the host and port of the health and metrics endpoints (none without)."""
    settings = settings.model_copy(update={"background": True})  # a worker is its background work
    state = start_service(settings)
    workers: list[Worker] = [ReloadWatcher(state, settings.reload_poll_seconds)]
    if is_sqlite(state.engine):
        workers.append(WalCheckpointer(state.engine))
    workers += background_work(state)
    if probes is not None:
        workers.append(Probes(state, *probes))
    for worker in workers:
        worker.start()
    logger.info("worker started: %s", "ready" if state.context else f"not ready: {state.context_error}")
    try:
        stop.wait()
    finally:
        for worker in reversed(workers):
            worker.stop()
        state.engine.dispose()
        logger.info("worker stopped")
