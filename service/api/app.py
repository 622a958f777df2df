"""create_app(settings): the FastAPI app, its lifespan (database, migrations, rules and lists) and routes.

Nothing connects or loads at import time. If the rules or lists cannot be loaded, the app still starts
so that /readyz can say why, but every screening answers 503: never a verdict without rules.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from sqlmodel import Session

from service.api.audit_writer import AuditWriter
from service.api.batch_files import BatchFileJanitor
from service.api.errors import PROBLEM_MEDIA_TYPE, install_error_handler
from service.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from service.api.reloading import ReloadWatcher
from service.api.routers import batches, decisions, health, rules, screenings, webhooks
from service.api.routers.batches import jobs_dir
from service.api.state import ContextLoader, ServiceState
from service.runtime import load_context, settle_memory
from service.settings import Settings
from service.store.database import WalCheckpointer, is_sqlite, make_engine, upgrade
from service.store.idempotency import AnswerJanitor
from service.webhooks.dispatcher import WebhookDispatcher

logger = logging.getLogger("service.api")


def create_app(settings: Settings, load: ContextLoader = load_context,
               webhook_transport: httpx.BaseTransport | None = None) -> FastAPI:
    """The app for `settings`; the lifespan does the loading (with `load`, replaceable in tests) and runs
    the webhook dispatcher (sending through `webhook_transport`, replaceable in tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await run_in_threadpool(start_service, settings, load)
        app.state.service = state
        state.audit = AuditWriter(lambda: Session(state.engine, expire_on_commit=False), state.writing)
        checkpointer = WalCheckpointer(state.engine) if is_sqlite(state.engine) else None
        watcher = ReloadWatcher(state, settings.reload_poll_seconds)
        dispatcher = (WebhookDispatcher(state.engine, settings, transport=webhook_transport, writing=state.writing)
                      if settings.webhook_poll_seconds > 0 else None)
        janitor = (AnswerJanitor(state.engine, timedelta(hours=settings.idempotency_retention_hours),
                                 writing=state.writing)
                   if settings.idempotency_retention_hours > 0 else None)
        files = (BatchFileJanitor(state.engine, jobs_dir(state), timedelta(hours=settings.batch_retention_hours),
                                  writing=state.writing)
                 if settings.batch_retention_hours > 0 else None)
        for worker in (state.audit, checkpointer, watcher, dispatcher, janitor, files):
            if worker:
                worker.start()
        try:
            yield
        finally:
            for worker in (state.audit, files, janitor, dispatcher, watcher, checkpointer):
                if worker:
                    await run_in_threadpool(worker.stop)
            state.engine.dispose()

    app = FastAPI(
        title="export-screen",
        version="1",
        summary="Export-control screening for Taiwanese exporters, with a durable audit trail.",
        lifespan=lifespan,
    )
    install_error_handler(app)
    for module in (health, screenings, decisions, rules, batches, webhooks):
        app.include_router(module.router)
    # Outermost first: the request id exists before the size limit may refuse the request.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes,
                       uploads={"/v1/batches": settings.max_upload_bytes})
    app.add_middleware(RequestIdMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def start_service(settings: Settings, load: ContextLoader = load_context) -> ServiceState:
    """Open the database (migrating it if configured) and load rules and lists; a DB failure stops start-up."""
    engine = make_engine(settings.database_url, background_checkpoints=True)
    if settings.migrate_on_start:
        upgrade(engine)
    state = ServiceState(settings=settings, engine=engine, load=load)
    try:
        state.context = load(settings)
    except Exception as exc:  # fail closed: no context means every screening answers 503
        state.context_error = str(exc)
        logger.error("rules or lists could not be loaded; screening is refused: %s", exc)
    settle_memory()
    return state



def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, with every 4xx/5xx answer described as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    request_id = {"X-Request-ID": {"description": "The request's id: the client's X-Request-ID if acceptable, "
                                   "else a new one.", "required": True, "schema": {"type": "string"}}}
    for operation in (op for path in schema["paths"].values() for op in path.values()):
        for status, response in operation.get("responses", {}).items():
            response.setdefault("headers", {}).update(request_id)
            if status[0] in "45":
                response["content"] = {PROBLEM_MEDIA_TYPE: problem}
                response["description"] = response.get("description") or "Problem (RFC 9457)"
    app.openapi_schema = schema
    return schema
