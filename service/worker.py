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

from service.api.app import start_service
from service.api.background import Worker, background_work
from service.api.reloading import ReloadWatcher
from service.settings import Settings
from service.store.database import WalCheckpointer, is_sqlite

logger = logging.getLogger("service.worker")


def run_worker(settings: Settings, stop: threading.Event) -> None:
    """Run the background work until `stop` is set, then end it (a job in flight is taken over elsewhere)."""
    settings = settings.model_copy(update={"background": True})  # a worker is its background work
    state = start_service(settings)
    workers: list[Worker] = [ReloadWatcher(state, settings.reload_poll_seconds)]
    if is_sqlite(state.engine):
        workers.append(WalCheckpointer(state.engine))
    workers += background_work(state)
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
