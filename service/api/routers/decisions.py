"""Review decisions: release or confirm the hold of a `review`/`block` screening; append-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.api.deps import CallerDep, IdempotencyDep, RequestIdDep, ReviewerDep, SessionDep, SettingsDep, StateDep
from service.api.errors import ApiError, DecisionNotAllowed, Forbidden, InvalidRequest, NotFound, problem_responses
from service.api.recording import commit_answer, replay
from service.api.routers.wire import DecisionRecord, decision_record
from service.api.routing import CheckedRoute
from service.store.decisions import DecisionKind, ReasonCode, decisions_of
from service.store.screenings import get_screening
from service.workflow.deciding import Choice, Refusal, Refused, decide_screening

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["decisions"])

ScreeningId = Annotated[str, Path(description="Screening id (UUIDv7).", max_length=36)]


class DecisionRequest(BaseModel):
    """A reviewer's decision on a held screening."""

    decision: DecisionKind = Field(description="`release` lets the shipment go; `hold` confirms it must not.")
    reason_code: ReasonCode = Field(description="Why; must fit the decision (see docs/api.md).")
    note: str = Field(min_length=1, max_length=4000, description="What was checked, in the reviewer's words.")


def refusal_error(refused: Refused) -> ApiError:
    """The API's answer to a refused decision (409, 403, or 422 naming the reason code)."""
    if refused.refusal is Refusal.NOT_HELD:
        return DecisionNotAllowed(refused.message)
    if refused.refusal is Refusal.NEEDS_ADMIN:
        return Forbidden(refused.message)
    return InvalidRequest(refused.message, [{"field": "reason_code", "value": refused.reason_code,
                                             "message": f"not a {refused.decision} reason"}])


@router.post(
    "/screenings/{screening_id}/decisions", status_code=201, response_model=DecisionRecord,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503),
    summary="Release or hold a screened shipment",
)
def create_decision(
    screening_id: ScreeningId, body: DecisionRequest, caller: ReviewerDep, session: SessionDep,
    idempotency: IdempotencyDep, request_id: RequestIdDep, settings: SettingsDep, state: StateDep,
) -> Response:
    """Append a decision; the verdict itself never changes. Releasing a `block` needs the admin role.

    A `release` for `false_positive_party` clears each held party against the entry it matched; a `hold`
    for `confirmed_denied_party` puts each held party on the own deny list (docs/workflow.md).
    """
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    screening = get_screening(session, screening_id)
    if screening is None:
        raise NotFound(f"No screening with id {screening_id!r}.")
    try:
        row = decide_screening(session, screening, Choice(body.decision, body.reason_code, body.note), caller,
                               request_id, settings.clearance_expiry_days)
    except Refused as refused:
        raise refusal_error(refused) from None
    answer = decision_record(row).model_dump_json().encode()
    response = commit_answer(session, caller, idempotency, 201, answer)
    state.standing.forget()  # this worker's next screening reads the standing decisions the decision may have added
    return response


@router.get(
    "/screenings/{screening_id}/decisions", response_model=list[DecisionRecord],
    responses=problem_responses(401, 404, 422, 503), summary="A screening's decision history, oldest first",
)
def list_decisions(screening_id: ScreeningId, caller: CallerDep, session: SessionDep) -> list[DecisionRecord]:
    """Every decision ever taken on the screening."""
    if get_screening(session, screening_id) is None:
        raise NotFound(f"No screening with id {screening_id!r}.")
    return [decision_record(row) for row in decisions_of(session, [screening_id])[screening_id]]
