"""The background work of a process: what an API replica runs beside its requests, and all a worker runs.

Each piece is a thread (service.periodic.Periodic) that shares its work with every other process on the
same database: batch jobs are claimed under a lease, webhook deliveries with per-row conditional updates,
and the janitors and scheduled list updates take an advisory lock on PostgreSQL (service.store.leases).
With EXPORT_SCREEN_BACKGROUND=false an API process runs none of them, and `export-screen worker` does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

import httpx

from service.api.batch_claims import BatchClaimer
from service.api.batch_files import BatchFileJanitor
from service.api.routers.batches import jobs_dir
from service.api.state import ServiceState
from service.lists.schedule import list_update_scheduler
from service.store.idempotency import AnswerJanitor
from service.webhooks.dispatcher import WebhookDispatcher


class Worker(Protocol):
    """A background thread that can be started and stopped."""

    def start(self) -> None:
        """Begin."""

    def stop(self) -> None:
        """End after the current round."""


def background_work(state: ServiceState, webhook_transport: httpx.BaseTransport | None = None) -> list[Worker]:
    """The background workers of this process, not started (none if its settings turn background work off)."""
    settings = state.settings
    if not settings.background:
        return []
    workers: list[Worker] = []
    if settings.webhook_poll_seconds > 0:
        workers.append(WebhookDispatcher(state.engine, settings, transport=webhook_transport, writing=state.writing))
    if settings.idempotency_retention_hours > 0:
        workers.append(AnswerJanitor(state.engine, timedelta(hours=settings.idempotency_retention_hours),
                                     writing=state.writing))
    if settings.batch_retention_hours > 0:
        workers.append(BatchFileJanitor(state.engine, jobs_dir(state), timedelta(hours=settings.batch_retention_hours),
                                        writing=state.writing))
    updater = list_update_scheduler(settings, state.engine)  # None unless a list update interval is set
    if updater is not None:
        workers.append(updater)
    state.batch_claimer = BatchClaimer(state)
    workers.append(state.batch_claimer)
    return workers
