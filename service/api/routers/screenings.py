"""Screenings: screen and record one declaration or a batch; read the audit trail."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from service.api.audit_writer import StandingChanged
from service.api.deps import (
    IDEMPOTENCY_KEY_LENGTH,
    CallerDep,
    ContextDep,
    IdempotencyDep,
    IdempotentRequest,
    RequestIdDep,
    Retrospective,
    ScreenerDep,
    SessionDep,
    SettingsDep,
    StateDep,
    get_context,
    get_idempotency,
    get_state,
    in_mode,
)
from service.api.errors import BatchTooLarge, FieldError, NotFound, StoreUnavailable, problem_responses, request_id_of
from service.api.filters import ScreeningFilterDep
from service.api.paging import decode_cursor, encode_cursor
from service.api.recording import commit_answer, replay
from service.api.routers.wire import (
    ScreeningPage,
    ScreeningRecord,
    ScreeningResult,
    screening_record,
    screening_summary,
)
from service.api.routing import CheckedRoute, checks_items_itself, may_hold_nul, nul_errors, with_direct_handler
from service.api.standing import with_standing
from service.api.state import ServiceState
from service.engine.declaration import Declaration
from service.engine.errors import field_errors
from service.engine.screen import ScreeningContext, screen
from service.stamps import ScreeningStamp
from service.store.decisions import decisions_of
from service.store.keys import Caller, Role
from service.store.screenings import (
    NewScreening,
    add_screenings,
    get_screening,
    list_screenings,
    new_screening,
)

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["screenings"])

ScreeningId = Annotated[str, Path(description="Screening id (UUIDv7).", max_length=36)]


def _screen(
    context: ScreeningContext, stamp: ScreeningStamp, declaration: Declaration, caller: Caller, request_id: str,
    idempotency: IdempotentRequest | None = None,
) -> tuple[NewScreening, dict[str, Any]]:
    """Screen and build the audit row and the answer (a ScreeningResult as JSON data), without touching
    the database yet."""
    verdict = screen(declaration, context)
    row = new_screening(
        declaration=declaration.model_dump(mode="json"), verdict=verdict, stamp=stamp, caller_key_id=caller.key_id,
        request_id=request_id, idempotency_key=idempotency.key if idempotency else None,
        body_hash=idempotency.request_hash if idempotency else None,
    )
    # The verdict was dumped once for the audit row; the answer reuses that dump rather than validating
    # and dumping a ScreeningResult again (a test pins that both agree with the schema).
    return row, {**row.answered, "id": row.id, "screened_at": row.screened_at,
                 "software_version": row.values["software_version"], "thresholds": row.values["thresholds"]}


# A declaration this small is screened on the event loop (about a millisecond): a hop to a pool thread
# and back costs nearly as much. A larger one goes to a thread, so it does not hold up other requests.
INLINE_PARTIES, INLINE_ITEMS = 5, 20


async def screen_directly(request: Request) -> Response | None:
    """The usual screening request, answered without FastAPI's parameter and dependency solving (about a
    tenth of a millisecond a request): a JSON body that validates, no query, a caller the gate let through
    with the screener role, any Idempotency-Key within its limits. Anything else is None, and
    `create_screening` answers it with the usual refusals."""
    caller = request.scope.get("state", {}).get("caller")
    if request.scope["query_string"] or not isinstance(caller, Caller) or not caller.role.includes(Role.SCREENER):
        return None
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != "application/json":
        return None
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= IDEMPOTENCY_KEY_LENGTH:
        return None
    body = await request.body()
    if may_hold_nul(body):
        return None
    try:
        declaration = Declaration.model_validate_json(body)
    except ValidationError:
        return None
    return await _screen_and_record(request, declaration, caller, await get_idempotency(request, key), False)


@router.post(
    "/screenings", status_code=201, response_model=ScreeningResult,
    responses=problem_responses(401, 403, 409, 413, 422, 503),
    summary="Screen one declaration and record it",
)
@with_direct_handler(screen_directly)
async def create_screening(
    declaration: Declaration, request: Request, caller: ScreenerDep, idempotency: IdempotencyDep,
    retrospective: Retrospective = False,
) -> Response:
    """Screen the declaration, record input and verdict, then answer 201 (503 if it cannot be recorded)."""
    return await _screen_and_record(request, declaration, caller, idempotency, retrospective)


async def _screen_and_record(request: Request, declaration: Declaration, caller: Caller,
                             idempotency: IdempotentRequest | None, retrospective: bool) -> Response:
    # The state, the context and the request id are taken here rather than as dependencies: FastAPI spends
    # tens of microseconds on each dependency of each request, and this is the service's busiest route.
    state = await get_state(request)
    context, request_id = await get_context(state), request_id_of(request)
    if state.audit is None:
        raise StoreUnavailable("The audit writer is not running; nothing was screened. Retry later.")
    if idempotency is not None:
        stored = await run_in_threadpool(_stored_answer, state, caller, idempotency)
        if stored is not None:
            return stored
    context = in_mode(context, retrospective)
    with state.audit.screening() as arrival:  # (the audit writer waits for this answer, see `screening`)
        for _attempt in range(STANDING_ATTEMPTS):
            standing = state.standing.current()
            if standing is None:  # the first screening, or the decisions changed: read them (off the event loop)
                standing = await run_in_threadpool(state.standing.read)
            screening = standing.apply(context, declaration)
            if len(declaration.parties) <= INLINE_PARTIES and len(declaration.items) <= INLINE_ITEMS:
                row, result = _screen(screening, state.stamp, declaration, caller, request_id, idempotency)
            else:
                row, result = await run_in_threadpool(_screen, screening, state.stamp, declaration, caller,
                                                      request_id, idempotency)
            body = orjson.dumps(result, option=orjson.OPT_UTC_Z)
            try:
                return await state.audit.record([row], caller, idempotency, 201, body, standing=standing.version,
                                                arrival=arrival)
            except StandingChanged:  # a clearance or the own deny list changed meanwhile: nothing was recorded
                continue
    raise StoreUnavailable("The standing decisions kept changing while the declaration was screened; nothing "
                           "was recorded. Retry.")


# Screenings again after the standing decisions changed under them, before giving up (each change is a
# reviewer's decision: several within one screening's few milliseconds are not expected).
STANDING_ATTEMPTS = 3


def _stored_answer(state: ServiceState, caller: Caller, idempotency: IdempotentRequest) -> Response | None:
    """The stored answer to a repeated Idempotency-Key (409 if it came with another request)."""
    with Session(state.engine) as session:
        return replay(session, caller, idempotency)


class BatchItem(BaseModel):
    """The outcome for one declaration of a batch, at the same position as in the request."""

    index: int = Field(description="0-based position in the request array.")
    status: Literal["screened", "invalid"]
    screening: ScreeningResult | None = None
    errors: list[FieldError] = Field(default_factory=list, description="Why the declaration is invalid.")


class BatchResult(BaseModel):
    """One entry per declaration sent, in input order."""

    results: list[BatchItem]


# The body is validated item by item (an invalid declaration gets its own entry), so FastAPI sees plain
# objects; the schema still tells clients that each item is a Declaration.
_BATCH_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "array", "items": {"$ref": "#/components/schemas/Declaration"},
    "description": "Declarations, each as for POST /v1/screenings; at most EXPORT_SCREEN_MAX_BATCH_SIZE.",
}}}}}


@router.post(
    "/screenings:batch", response_model=BatchResult, responses=problem_responses(401, 403, 409, 413, 422, 503),
    summary="Screen and record several declarations", openapi_extra=_BATCH_BODY,
)
@checks_items_itself
def create_batch(
    declarations: Annotated[list[dict[str, Any]], Body(description="Declarations (each as for POST /v1/screenings).")],
    caller: ScreenerDep, context: ContextDep, session: SessionDep, settings: SettingsDep, state: StateDep,
    idempotency: IdempotencyDep, request_id: RequestIdDep, retrospective: Retrospective = False,
) -> Response:
    """Each valid declaration is screened and recorded; an invalid one gets its own error entry."""
    if len(declarations) > settings.max_batch_size:
        raise BatchTooLarge(
            f"The batch has {len(declarations)} declarations; at most {settings.max_batch_size} are accepted "
            "per request. Split it, or use the CSV batch interface."
        )
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    results: list[BatchItem | None] = []
    valid: list[tuple[int, Declaration]] = []
    for index, raw in enumerate(declarations):
        refused = nul_errors(raw)
        if refused:
            results.append(BatchItem(index=index, status="invalid",
                                     errors=[FieldError.model_validate(entry) for entry in refused]))
            continue
        try:
            valid.append((index, Declaration.model_validate(raw)))
            results.append(None)
        except ValidationError as exc:
            errors = [FieldError.model_validate(entry) for entry in field_errors(exc)]
            results.append(BatchItem(index=index, status="invalid", errors=errors))
    rows = []
    context = with_standing(session, in_mode(context, retrospective), [declaration for _, declaration in valid])
    for index, declaration in valid:
        row, result = _screen(context, state.stamp, declaration, caller, request_id)
        rows.append(row)
        results[index] = BatchItem(index=index, status="screened", screening=ScreeningResult.model_validate(result))
    body = BatchResult(results=[item for item in results if item is not None]).model_dump_json().encode()
    with state.writing():
        add_screenings(session, rows)
        return commit_answer(session, caller, idempotency, 200, body)


@router.get(
    "/screenings/{screening_id}", response_model=ScreeningRecord, responses=problem_responses(401, 404, 422, 503),
    summary="One recorded screening with its decisions",
)
def read_screening(screening_id: ScreeningId, caller: CallerDep, session: SessionDep) -> ScreeningRecord:
    """The stored record: input, verdict, findings, rulebook and list versions, caller, decisions."""
    row = get_screening(session, screening_id)
    if row is None:
        raise NotFound(f"No screening with id {screening_id!r}.")
    return screening_record(row, decisions_of(session, [row.id])[row.id])


@router.get(
    "/screenings", response_model=ScreeningPage, responses=problem_responses(401, 422, 503),
    summary="Recorded screenings, newest first",
)
def list_screening_page(
    caller: CallerDep, session: SessionDep, where: ScreeningFilterDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> ScreeningPage:
    """Keyset pagination by id (UUIDv7, time-ordered), so pages stay stable while screenings arrive."""
    rows = list_screenings(session, where, limit + 1, decode_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    history = decisions_of(session, [row.id for row in page])
    return ScreeningPage(
        items=[screening_summary(row, history[row.id]) for row in page],
        next_cursor=encode_cursor(page[-1].id) if more and page else None,
    )

