"""Review decisions: release or confirm the hold of a `review`/`block` screening; append-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.api.deps import CallerDep, IdempotencyDep, RequestIdDep, ReviewerDep, SessionDep, SettingsDep, StateDep
from service.api.errors import DecisionNotAllowed, Forbidden, InvalidRequest, NotFound, problem_responses
from service.api.recording import commit_answer, replay
from service.api.routers.wire import DecisionRecord, decision_record
from service.api.routing import CheckedRoute
from service.engine.verdict import Outcome
from service.store.clearances import add_standing
from service.store.decisions import DecisionKind, ReasonCode, add_decision, decisions_of, reason_fits
from service.store.keys import Role
from service.store.screenings import get_screening

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["decisions"])

ScreeningId = Annotated[str, Path(description="Screening id (UUIDv7).", max_length=36)]


class DecisionRequest(BaseModel):
    """A reviewer's decision on a held screening."""

    decision: DecisionKind = Field(description="`release` lets the shipment go; `hold` confirms it must not.")
    reason_code: ReasonCode = Field(description="Why; must fit the decision (see docs/api.md).")
    note: str = Field(min_length=1, max_length=4000, description="What was checked, in the reviewer's words.")


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
    if screening.verdict == Outcome.CLEAR:
        raise DecisionNotAllowed("The screening was clear; only review and block verdicts take decisions.")
    if screening.verdict == Outcome.BLOCK and body.decision is DecisionKind.RELEASE and caller.role is not Role.ADMIN:
        raise Forbidden("Releasing a blocked screening needs the admin role.")
    if not reason_fits(body.decision, body.reason_code):
        reason, decision = body.reason_code.value, body.decision.value
        raise InvalidRequest(
            f"Reason {reason!r} does not justify a {decision}.",
            [{"field": "reason_code", "value": reason, "message": f"not a {decision} reason"}],
        )
    row = add_decision(
        session, screening_id=screening.id, decision=body.decision, reason_code=body.reason_code, note=body.note,
        decided_by_key_id=caller.key_id, decided_by_role=caller.role.value, request_id=request_id,
    )
    session.flush()  # assigns the decision's id before the answer is written
    # A false-positive release clears the parties; a confirmed denied party goes on the own deny list.
    standing = add_standing(session, row, screening, settings.clearance_expiry_days)
    answer = decision_record(row).model_dump_json().encode()
    response = commit_answer(session, caller, idempotency, 201, answer)
    if standing:
        state.standing.forget()  # this worker's next screening reads the new standing decisions
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
