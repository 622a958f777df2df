"""create_app(settings): the FastAPI app, its lifespan (database, migrations, rules and lists) and routes.

Nothing connects or loads at import time. If the rules or lists cannot be loaded, the app still starts
so that /readyz can say why, but every screening answers 503: never a verdict without rules.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.audit_writer import AuditWriter
from service.api.background import Worker, background_work
from service.api.deps import key_lookup
from service.api.errors import install_error_handler
from service.api.gate import GateMiddleware, redact_access_log
from service.api.middleware import AccessLogMiddleware, BodyLimitMiddleware, RequestIdMiddleware
from service.api.openapi import build_openapi, install_webhooks
from service.api.protocols import OPEN_CONNECTIONS
from service.api.reloading import ReloadWatcher
from service.api.routers import (
    alerts,
    audit,
    batches,
    clearances,
    decisions,
    health,
    monitored,
    party_match,
    rules,
    screenings,
    webhooks,
)
from service.api.routers.api_docs import install_api_docs
from service.api.state import ContextLoader, ServiceState
from service.api.tracing import instrument
from service.review import install_review
from service.runtime import load_context, settle_memory
from service.settings import Settings
from service.store.database import AuditCheckpoints, is_sqlite_file, make_engine, upgrade
from service.workflow.catch_up import catch_up

logger = logging.getLogger("service.api")
T = TypeVar("T")


def create_app(settings: Settings, load: ContextLoader = load_context,
               webhook_transport: httpx.BaseTransport | None = None) -> FastAPI:
    """The app for `settings`; the lifespan does the loading (with `load`, replaceable in tests) and runs
    the webhook dispatcher (sending through `webhook_transport`, replaceable in tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_access_log()
        state = await run_in_threadpool(start_service, settings, load)
        app.state.service = state
        audit_engine, checkpoints = _audit_engine(state)
        state.checkpoints = checkpoints
        state.audit = AuditWriter(lambda: Session(audit_engine, expire_on_commit=False), state.writing,
                                  state.standing, OPEN_CONNECTIONS.count,
                                  checkpoints.committed if checkpoints is not None else lambda _connection: None)
        watcher = ReloadWatcher(state, settings.reload_poll_seconds)
        # (stopped in reverse: the writer commits what it holds before the last checkpoint)
        workers: list[Worker] = [*([checkpoints] if checkpoints is not None else []), state.audit, watcher]
        workers += background_work(state, webhook_transport)  # none with EXPORT_SCREEN_BACKGROUND=false
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in reversed(workers):
                await run_in_threadpool(worker.stop)
            if audit_engine is not state.engine:
                audit_engine.dispose()
            state.engine.dispose()

    app = FastAPI(
        title="export-screen",
        version="1",
        summary="Export-control screening for Taiwanese exporters, with a durable audit trail.",
        lifespan=lifespan,
        docs_url=None,  # served from this package by install_api_docs, not from a CDN
        redoc_url=None,
    )
    install_error_handler(app)
    install_api_docs(app)
    # (screenings first: a request is matched against the routes in order, and nearly all are screenings)
    for module in (screenings, health, audit, decisions, clearances, alerts, monitored, rules, batches, webhooks,
                   party_match):
        app.include_router(module.router)
    # Outermost first: the request id exists before the size limit may refuse the request.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes,
                       uploads={"/v1/batches": settings.max_upload_bytes},
                       body_grace=settings.body_grace_seconds, body_min_rate=settings.body_min_bytes_per_second)
    # before the body is read: the caller (and its rate) is checked from the headers alone
    app.add_middleware(GateMiddleware, lookup=lambda: _running(app, key_lookup),
                       cached=lambda: _running(app, lambda state: state.cached_caller),
                       remember=lambda: _running(app, lambda state: state.remember_caller),
                       rate_limit_per_minute=settings.rate_limit_per_minute)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    install_review(app)  # the reviewers' pages under /review (outermost: every answer there gets its headers)
    if settings.tracing_enabled:
        instrument(app)
    install_webhooks(app)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app


def health_app(state: ServiceState) -> FastAPI:
    """The probes alone (/healthz, /readyz, /metrics) for a process that runs `state` without the API: a worker."""
    app = FastAPI(title="export-screen worker", version="1", openapi_url=None, docs_url=None, redoc_url=None)
    install_error_handler(app)
    app.include_router(health.router)
    app.state.service = state
    return app


def _audit_engine(state: ServiceState) -> tuple[Engine, AuditCheckpoints | None]:
    """The engine the audit writer commits through, and its checkpoints: for a SQLite file an engine of
    its own whose commits do not checkpoint, the checkpoints being taken mostly beside the writers
    (AuditCheckpoints); otherwise the service's engine."""
    if not is_sqlite_file(state.engine):
        return state.engine, None
    engine = make_engine(state.settings.database_url, checkpoint_pages=0)
    return engine, AuditCheckpoints(engine)


def _running(app: FastAPI, part: Callable[[ServiceState], T]) -> T | None:
    """A part of the running service's state, or None before the lifespan has started it."""
    state = getattr(app.state, "service", None)
    return part(state) if isinstance(state, ServiceState) else None


def start_service(settings: Settings, load: ContextLoader = load_context) -> ServiceState:
    """Open the database (migrating it if configured) and load rules and lists; a DB failure stops start-up."""
    engine = make_engine(settings.database_url)
    if settings.migrate_on_start:
        upgrade(engine)
    state = ServiceState(settings=settings, engine=engine, load=load)
    try:
        state.context = load(settings)
    except Exception as exc:  # fail closed: no context means every screening answers 503
        state.context_error = str(exc)
        logger.error("rules or lists could not be loaded; screening is refused: %s", exc)
    if state.context is not None and settings.background:  # lists or rules changed while the service was down:
        catch_up(engine, settings, state.context, writing=state.writing)  # screen again now (once: see catch_up)
    try:  # the first screening need not wait for it; if it fails here, that screening reads it (or 503)
        state.standing.read()
    except SQLAlchemyError as exc:
        logger.warning("the standing decisions could not be read at start: %s", type(exc).__name__)
    settle_memory()
    return state
