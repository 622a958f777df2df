"""The rest of the reviewer's day: monitored parties, batch jobs and their results, the lists in use, and
the audit export. Each page calls the API's own handler with the signed-in caller, so what a role may
see is decided in one place."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from service.api.deps import SessionDep, StateDep
from service.api.errors import ApiError
from service.api.routers.audit import export_screenings
from service.api.routers.batches import list_batches, read_batch_result
from service.api.routers.monitored import read_monitored_parties
from service.api.routing import CheckedRoute
from service.review.auth import PageError, SignedInDep
from service.review.filters import UUID_PATTERN
from service.review.pages import render
from service.store.screenings import ScreeningFilter

router = APIRouter(route_class=CheckedRoute, prefix="/review", include_in_schema=False)
JobId = Annotated[str, Path(max_length=36)]


def _shown(error: ApiError) -> PageError:
    return PageError(error.status, error.title, error.detail)


@router.get("/parties")
def parties_page(request: Request, signed: SignedInDep, session: SessionDep) -> Response:
    """The monitored parties (the ERP's master data), with their latest screening."""
    after = request.query_params.get("after")
    if after is not None and len(after) > 200:
        raise PageError(400, "Bad page position", f"after {after[:40]!r}...: at most 200 characters.")
    page = read_monitored_parties(signed.caller, session, 100, after)
    return render(request, "parties.html", page=page)


@router.get("/batches")
def batches_page(request: Request, signed: SignedInDep, session: SessionDep) -> Response:
    """Batch jobs, newest first, with their progress; a screener sees its own."""
    cursor = request.query_params.get("after")
    try:
        page = list_batches(signed.caller, session, None, 50, cursor)
    except ApiError as error:
        raise _shown(error) from None
    return render(request, "batches.html", page=page)


@router.get("/batches/{job_id}/result")
def batch_result(job_id: JobId, signed: SignedInDep, session: SessionDep, state: StateDep) -> Response:
    """The result file of a complete job, as the API sends it."""
    if not UUID_PATTERN.match(job_id):
        raise PageError(404, "Not found", f"No batch job with id {job_id!r}.")
    try:
        return read_batch_result(job_id, signed.caller, session, state)
    except ApiError as error:
        raise _shown(error) from None


@router.get("/lists")
def lists_page(request: Request, signed: SignedInDep, state: StateDep) -> Response:
    """The rulebook and the lists screenings use now: versions, sizes and ages."""
    context = state.context
    now = datetime.now(UTC)
    ages = list(context.lists or ()) if context is not None else []
    stamps = {stamp.name: stamp for stamp in context.parties.stamps()} if context and context.parties else {}
    return render(request, "lists.html", context=context, error=state.context_error, ages=ages, stamps=stamps,
                  now=now)


@router.get("/audit.csv")
def audit_export(request: Request, signed: SignedInDep, state: StateDep) -> Response:
    """The audit export (every screening and decision of the period) as the API streams it."""
    bounds: dict[str, datetime] = {}
    for name, shift in (("from", 0), ("to", 1)):
        given = request.query_params.get(name)
        if given:
            try:
                day = datetime.fromisoformat(given).date()
            except ValueError:
                raise PageError(400, "Bad date", f"{name} {given!r}: must be a date as YYYY-MM-DD.") from None
            bounds[name] = datetime.combine(day + timedelta(days=shift), time(), UTC)
    try:
        return export_screenings(signed.caller, state, ScreeningFilter(since=bounds.get("from"),
                                                                       until=bounds.get("to")))
    except ApiError as error:
        raise _shown(error) from None
