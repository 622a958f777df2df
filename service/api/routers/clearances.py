"""Standing decisions: the party clearances and the own deny list that reviewers' decisions created."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from service.api.deps import AdminDep, RequestIdDep, ReviewerDep, SessionDep, StateDep
from service.api.errors import DecisionNotAllowed, NotFound, problem_responses
from service.api.routers.wire import utc
from service.api.routing import CheckedRoute
from service.store.clearances import list_clearances, list_denials, revoke_clearance, revoke_denial
from service.store.database import now
from service.store.workflow_tables import OwnDenialRow, PartyClearanceRow

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["standing decisions"])

RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Row id.")]
Status = Annotated[Literal["active", "lapsed"] | None, Query(
    description="`active`: in force; `lapsed`: revoked or expired (own deny list: revoked).")]
Limit = Annotated[int, Query(ge=1, le=500)]
Before = Annotated[int | None, Query(ge=1, le=2**31 - 1,
                                     description="Only rows with a smaller id (last id of the previous page).")]
Note = Annotated[str, Query(min_length=1, max_length=4000, description="Why it is revoked; recorded.")]


class ClearanceView(BaseModel):
    """A party cleared against one list entry, as its content stood when the reviewer decided."""

    id: int
    decision_id: int | None = Field(description="The screening decision (`release` for `false_positive_party`) "
                                    "that created it, or null.")
    alert_decision_id: int | None = Field(description="The alert decision that created it, or null.")
    screening_id: str | None
    party_role: str
    party_name: str
    country: str | None
    list: str
    entry_id: str
    entry_hash: str = Field(description="Digest of the entry's names, aliases, countries, addresses and programmes.")
    created_at: datetime
    created_by_key_id: str
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by_key_id: str | None
    active: bool = Field(description="Neither revoked nor expired (a changed entry lapses it at screening time).")


class DenialView(BaseModel):
    """A party on the company's own deny list: blocked in every screening whatever the official lists say."""

    id: int
    decision_id: int | None
    alert_decision_id: int | None
    screening_id: str | None
    party_name: str
    country: str | None
    created_at: datetime
    created_by_key_id: str
    revoked_at: datetime | None
    revoked_by_key_id: str | None
    active: bool


def clearance_view(row: PartyClearanceRow) -> ClearanceView:
    """The wire shape of a stored clearance."""
    revoked = utc(row.revoked_at) if row.revoked_at else None
    expires = utc(row.expires_at)
    return ClearanceView(
        id=row.id or 0, decision_id=row.decision_id, alert_decision_id=row.alert_decision_id,
        screening_id=row.screening_id, party_role=row.party_role,
        party_name=row.party_name, country=row.country, list=row.list_name, entry_id=row.entry_id,
        entry_hash=row.entry_hash, created_at=utc(row.created_at), created_by_key_id=row.created_by_key_id,
        expires_at=expires, revoked_at=revoked, revoked_by_key_id=row.revoked_by_key_id,
        active=revoked is None and expires > now(),
    )


def denial_view(row: OwnDenialRow) -> DenialView:
    """The wire shape of an own-list entry."""
    return DenialView(
        id=row.id or 0, decision_id=row.decision_id, alert_decision_id=row.alert_decision_id,
        screening_id=row.screening_id, party_name=row.party_name,
        country=row.country, created_at=utc(row.created_at), created_by_key_id=row.created_by_key_id,
        revoked_at=utc(row.revoked_at) if row.revoked_at else None, revoked_by_key_id=row.revoked_by_key_id,
        active=row.revoked_at is None,
    )


def _active(status: str | None) -> bool | None:
    return None if status is None else status == "active"


@router.get("/clearances", response_model=list[ClearanceView], responses=problem_responses(401, 403, 422, 503),
            summary="Party clearances, newest first")
def read_clearances(caller: ReviewerDep, session: SessionDep, status: Status = None, limit: Limit = 100,
                    before: Before = None) -> list[ClearanceView]:
    """Every clearance false-positive releases created, with whether it is still in force."""
    return [clearance_view(row) for row in list_clearances(session, active=_active(status), limit=limit,
                                                            after=before)]


@router.delete("/clearances/{clearance_id}", response_model=ClearanceView,
               responses=problem_responses(401, 403, 404, 409, 422, 503), summary="Revoke a clearance (admin)")
def delete_clearance(clearance_id: RowId, note: Note, caller: AdminDep, session: SessionDep,
                     request_id: RequestIdDep, state: StateDep) -> ClearanceView:
    """The party's next hit on that entry holds the shipment again; the revocation is recorded."""
    row = session.get(PartyClearanceRow, clearance_id)
    if row is None:
        raise NotFound(f"No clearance with id {clearance_id}.")
    if row.revoked_at is not None:
        raise DecisionNotAllowed(f"Clearance {clearance_id} was already revoked.")
    revoke_clearance(session, row, caller.key_id, request_id, note)
    session.commit()
    state.standing.forget()  # this worker's next screening reads the standing decisions again
    return clearance_view(row)


@router.get("/deny-list", response_model=list[DenialView], responses=problem_responses(401, 403, 422, 503),
            summary="The company's own deny list, newest first")
def read_denials(caller: ReviewerDep, session: SessionDep, status: Status = None, limit: Limit = 100,
                 before: Before = None) -> list[DenialView]:
    """Parties confirmed as denied by a `hold` for `confirmed_denied_party`."""
    return [denial_view(row) for row in list_denials(session, active=_active(status), limit=limit, after=before)]


@router.delete("/deny-list/{entry_id}", response_model=DenialView,
               responses=problem_responses(401, 403, 404, 409, 422, 503),
               summary="Take a party off the own deny list (admin)")
def delete_denial(entry_id: RowId, note: Note, caller: AdminDep, session: SessionDep,
                  request_id: RequestIdDep, state: StateDep) -> DenialView:
    """The party is screened against the official lists only from now on; the revocation is recorded."""
    row = session.get(OwnDenialRow, entry_id)
    if row is None:
        raise NotFound(f"No own deny list entry with id {entry_id}.")
    if row.revoked_at is not None:
        raise DecisionNotAllowed(f"Own deny list entry {entry_id} was already revoked.")
    revoke_denial(session, row, caller.key_id, request_id, note)
    session.commit()
    state.standing.forget()  # this worker's next screening reads the standing decisions again
    return denial_view(row)
