"""Alerts: new hits raised by screening again after a list or rules change; reviewers close them with a decision."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.api.deps import IdempotencyDep, RequestIdDep, ReviewerDep, SessionDep, SettingsDep, StateDep
from service.api.errors import NotFound, problem_responses
from service.api.paging import decode_cursor, encode_cursor
from service.api.recording import commit_answer, replay
from service.api.routers.decisions import DecisionRequest, refusal_error
from service.api.routers.wire import utc
from service.api.routing import CheckedRoute
from service.store.alerts import AlertFilter, alert_decisions, get_alert, list_alerts
from service.store.decisions import DecisionKind, ReasonCode
from service.store.workflow_tables import AlertDecisionRow, AlertRow
from service.workflow.deciding import Choice, Refused, close_alert

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["alerts"])

AlertId = Annotated[str, Path(description="Alert id (UUIDv7).", max_length=36)]


class AlertDecision(BaseModel):
    """A reviewer's decision that closed an alert."""

    id: int
    alert_id: str
    decision: DecisionKind
    reason_code: ReasonCode
    note: str
    decided_at: datetime
    decided_by_key_id: str
    decided_by_role: str
    request_id: str


class Alert(BaseModel):
    """A new hit on a shipment still to leave or a monitored party, or a stricter verdict after a rules change."""

    id: str
    screening_id: str | None = Field(description="The screening screened again; null for a monitored party.")
    party_external_id: str | None = Field(description="The monitored party's ERP id; null for a screening.")
    reference: str | None
    party_role: str | None
    party_name: str | None
    party_country: str | None
    list: str | None = Field(description="The list of the new hit; null for a rules change.")
    entry_id: str | None
    listed_name: str | None
    score: float | None
    action: Literal["review", "block"]
    message: str
    cause: Literal["list_changed", "rules_changed"]
    created_at: datetime
    status: Literal["open", "closed"]
    closed_by: str | None = Field(description="`decision:<id>`, or `list_entry_removed` when the entry left its list.")
    closed_at: datetime | None
    decisions: builtins.list[AlertDecision] = Field(default_factory=builtins.list)


class AlertPage(BaseModel):
    """One page of alerts, newest first."""

    items: list[Alert]
    next_cursor: str | None


def alert_view(row: AlertRow, decisions: list[AlertDecisionRow] | None = None) -> Alert:
    """The wire shape of a stored alert."""
    return Alert(
        id=row.id, screening_id=row.screening_id, party_external_id=row.party_external_id, reference=row.reference,
        party_role=row.party_role, party_name=row.party_name, party_country=row.party_country,
        list=row.list_name, entry_id=row.entry_id,
        listed_name=row.listed_name, score=row.score, action=row.action,
        message=row.message, cause=row.cause, created_at=utc(row.created_at),
        status=row.status, closed_by=row.closed_by,
        closed_at=utc(row.closed_at) if row.closed_at else None,
        decisions=[decision_view(d) for d in decisions or []],
    )


def decision_view(row: AlertDecisionRow) -> AlertDecision:
    """The wire shape of a decision on an alert."""
    return AlertDecision(
        id=row.id or 0, alert_id=row.alert_id, decision=DecisionKind(row.decision),
        reason_code=ReasonCode(row.reason_code), note=row.note, decided_at=utc(row.decided_at),
        decided_by_key_id=row.decided_by_key_id, decided_by_role=row.decided_by_role, request_id=row.request_id,
    )


@router.get("/alerts", response_model=AlertPage, responses=problem_responses(401, 403, 422, 503),
            summary="Alerts, newest first")
def read_alerts(
    caller: ReviewerDep, session: SessionDep,
    status: Annotated[Literal["open", "closed"] | None, Query(description="Only this status.")] = None,
    list_name: Annotated[str | None, Query(alias="list", max_length=80, description="Only hits on this list.")] = None,
    since: Annotated[datetime | None, Query(description="Raised at or after (ISO 8601; UTC if no zone).")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> AlertPage:
    """Keyset pagination by id (UUIDv7, time-ordered), as for screenings."""
    moment = utc(since).astimezone(UTC) if since is not None else None
    rows = list_alerts(session, AlertFilter(status, list_name, moment), limit + 1, decode_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    return AlertPage(items=[alert_view(row) for row in page],
                     next_cursor=encode_cursor(page[-1].id) if more and page else None)


@router.get("/alerts/{alert_id}", response_model=Alert, responses=problem_responses(401, 403, 404, 422, 503),
            summary="One alert with its decisions")
def read_alert(alert_id: AlertId, caller: ReviewerDep, session: SessionDep) -> Alert:
    """The alert, and the decision that closed it if any."""
    row = get_alert(session, alert_id)
    if row is None:
        raise NotFound(f"No alert with id {alert_id!r}.")
    return alert_view(row, alert_decisions(session, alert_id))


@router.post("/alerts/{alert_id}/decisions", status_code=201, response_model=Alert,
             responses=problem_responses(401, 403, 404, 409, 413, 422, 503), summary="Close an alert with a decision")
def create_alert_decision(
    alert_id: AlertId, body: DecisionRequest, caller: ReviewerDep, session: SessionDep,
    idempotency: IdempotencyDep, request_id: RequestIdDep, settings: SettingsDep, state: StateDep,
) -> Response:
    """Same reason codes and roles as screening decisions: releasing a `block` alert needs the admin role.

    As for a screening, `false_positive_party` clears the party against the entry and
    `confirmed_denied_party` puts it on the own deny list.
    """
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    row = get_alert(session, alert_id)
    if row is None:
        raise NotFound(f"No alert with id {alert_id!r}.")
    try:
        close_alert(session, row, Choice(body.decision, body.reason_code, body.note), caller, request_id,
                    settings.clearance_expiry_days)
    except Refused as refused:
        raise refusal_error(refused) from None
    answer = alert_view(row, alert_decisions(session, alert_id)).model_dump_json().encode()
    response = commit_answer(session, caller, idempotency, 201, answer)
    state.standing.forget()  # this worker's next screening reads the standing decisions the decision may have added
    return response
