"""Liveness and readiness; open, without an API key."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from service.api.deps import StateDep
from service.api.errors import NotFound, NotReady, problem_responses
from service.api.metrics import CONTENT_TYPE, ServiceCollector, exposition
from service.api.routing import CheckedRoute
from service.engine.checks.coverage import ListAge
from service.lists.schedule import UpdateStatus, read_status
from service.store.database import SQLITE_BUSY_MS

router = APIRouter(route_class=CheckedRoute, tags=["health"])
PROBE_WAIT_MS = 200  # how long the readiness write probe waits for SQLite's writer


class Health(BaseModel):
    """The process answers."""

    status: str


class ListState(BaseModel):
    """One loaded list: how big and how old, against its expected update interval."""

    name: str
    entries: int
    official: bool = Field(description="A stored snapshot of a published list (false: a bundled curated file).")
    imported_at: datetime | None = Field(description="When the snapshot was taken (null for bundled files).")
    age_days: float | None = Field(description="Days since then.")
    max_age_days: float | None = Field(description="Expected update interval; older means verdicts are review.")
    out_of_date: bool


class Readiness(BaseModel):
    """Everything a screening needs is in place."""

    status: str
    rulebook_version: str
    lists: int
    list_details: list[ListState] = Field(description="Each loaded list's size and age (empty if unknown).")
    official_lists: bool | None = Field(description="Whether any official list is loaded (null if unknown).")
    database: str
    list_reload_error: str | None = Field(
        default=None, description="Why the lists last stored could not be loaded (null when ready: a process that "
                                  "cannot load them is not ready).")
    list_update: UpdateStatus = Field(
        default_factory=UpdateStatus, description="The last list update: attempt, success and error.")


@router.get("/healthz", response_model=Health, summary="Alive")
async def healthz() -> Health:
    """The process is up (it may still not be ready to screen)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503), summary="Ready to screen")
def readyz(state: StateDep) -> Readiness:
    """Rules and lists loaded and the database answering; 503 otherwise."""
    context = state.context
    if context is None:
        raise NotReady(f"Rules or lists are not loaded: {state.context_error or 'unknown reason'}")
    try:
        with Session(state.engine) as session:
            session.connection().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise NotReady(f"The database does not answer ({type(exc).__name__}).") from None
    why = refusal_to_write(state.engine)
    if why is not None:
        raise NotReady(f"The database answers but does not accept writes ({why}): no audit record could be kept.")
    lists = len(context.parties.stamps()) if context.parties is not None else 0
    now = context.clock()
    details = [_list_state(entry, now) for entry in context.lists or ()]
    return Readiness(status="ready", rulebook_version=context.rulebook.version, lists=lists, list_details=details,
                     official_lists=None if context.lists is None else any(entry.official for entry in context.lists),
                     database=state.engine.url.get_backend_name(), list_reload_error=state.list_reload_error,
                     list_update=read_status(state.settings.data_dir))


@router.get("/metrics", include_in_schema=False)
def metrics(state: StateDep) -> Response:
    """Prometheus text (service/metrics.py); open like /readyz: expose it to the monitoring network only."""
    if not state.settings.metrics_enabled:
        raise NotFound("Metrics are switched off (EXPORT_SCREEN_METRICS_ENABLED=false).")
    return Response(exposition(ServiceCollector(state.engine, lambda: state.context)), media_type=CONTENT_TYPE)


def refusal_to_write(engine: Engine) -> str | None:
    """Why the database would refuse the audit trail's writes (None: it accepts them). A database that
    answers reads can still refuse every write (a read-only file, a replica, a read-only transaction
    default), and then every screening fails: so a write that changes nothing is tried and rolled back.
    On SQLite it waits for the writer at most a moment: a busy writer is a working database."""
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as connection:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={PROBE_WAIT_MS}")
            try:
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            finally:
                connection.rollback()
                if sqlite:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    except OperationalError as exc:
        if sqlite and "locked" in str(exc.orig):
            return None  # another writer holds the lock: writes are happening
        return f"{type(exc).__name__}: {str(exc.orig).splitlines()[0][:200]}"
    except SQLAlchemyError as exc:
        return f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc)).splitlines()[0][:200]}"
    return None


def _list_state(entry: ListAge, now: datetime) -> ListState:
    age = entry.age(now)
    return ListState(
        name=entry.name, entries=entry.entries, official=entry.official, imported_at=entry.imported_at,
        age_days=None if age is None else round(age.total_seconds() / 86_400, 2),
        max_age_days=None if entry.max_age is None else entry.max_age.total_seconds() / 86_400,
        out_of_date=entry.out_of_date(now),
    )
