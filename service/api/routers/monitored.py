"""Monitored parties: the ERP's customers and suppliers, screened when registered and on every list change."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.api.deps import CallerDep, ContextDep, RequestIdDep, ScreenerDep, SessionDep, StateDep
from service.api.errors import NotFound, problem_responses
from service.api.routers.wire import utc
from service.api.routing import CheckedRoute
from service.engine.declaration import CountryCode
from service.engine.party_names import PartyName
from service.store.clearances import standing_for_names
from service.store.monitored import delete_party, get_party, list_parties, put_party
from service.store.workflow_tables import MonitoredPartyRow
from service.workflow.monitoring import screen_party

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["monitored parties"])

ExternalId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\s/]+$",
                                 description="The party's id in the ERP (customer or supplier number).")]


class PartyRequest(BaseModel):
    """A customer or supplier as the ERP's master data holds it."""

    name: PartyName
    country: CountryCode | None = Field(default=None, description="Country (ISO alpha-2 or name).")
    aliases: list[PartyName] = Field(default_factory=list, max_length=50, description="Other names it trades under.")
    addresses: list[Annotated[str, Field(max_length=1000)]] = Field(default_factory=list, max_length=20)


class PartyScreening(BaseModel):
    """The party's latest screening: the most severe hit decides."""

    status: str = Field(description="clear, review or block.")
    hits: list[dict[str, Any]]
    lists: list[dict[str, Any]]
    screened_at: datetime | None


class MonitoredParty(BaseModel):
    """A registered party and its latest screening."""

    external_id: str
    name: str
    country: str | None
    aliases: list[str]
    addresses: list[str]
    created_at: datetime
    updated_at: datetime
    screening: PartyScreening


class MonitoredPartyPage(BaseModel):
    """One page of registered parties, by external id."""

    items: list[MonitoredParty]
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last.")


def party_view(row: MonitoredPartyRow) -> MonitoredParty:
    """The wire shape of a registered party."""
    result = row.last_result or {}
    return MonitoredParty(
        external_id=row.external_id, name=row.name, country=row.country, aliases=row.aliases,
        addresses=row.addresses, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
        screening=PartyScreening(status=result.get("status", "review"), hits=result.get("hits", []),
                                 lists=result.get("lists", []),
                                 screened_at=utc(row.last_screened_at) if row.last_screened_at else None),
    )


@router.put("/parties/{external_id}", response_model=MonitoredParty,
            responses={201: {"model": MonitoredParty, "description": "Registered"},
                       **problem_responses(401, 403, 413, 422, 503)},
            summary="Register or update a monitored party and screen it")
def put_monitored_party(
    external_id: ExternalId, body: PartyRequest, caller: ScreenerDep, context: ContextDep, session: SessionDep,
    state: StateDep, request_id: RequestIdDep,
) -> Response:
    """201 when new, 200 when updated; the answer carries the screening of its name and aliases."""
    standing = standing_for_names(session, [body.name, *body.aliases])
    result = screen_party(dataclasses.replace(context, standing=standing), body.name, body.country, body.aliases)
    with state.writing():
        row, created = put_party(session, external_id, body.model_dump(mode="json"), result, caller.key_id,
                                 request_id)
        session.commit()
    return Response(party_view(row).model_dump_json(), status_code=201 if created else 200,
                    media_type="application/json")


@router.get("/parties", response_model=MonitoredPartyPage, responses=problem_responses(401, 422, 503),
            summary="Registered parties")
def read_monitored_parties(
    caller: CallerDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=200, description="`next_after` of the previous page.")] = None,
) -> MonitoredPartyPage:
    """Every registered party with its latest screening, ordered by external id."""
    rows = list_parties(session, limit + 1, after)
    page = rows[:limit]
    return MonitoredPartyPage(items=[party_view(row) for row in page],
                              next_after=page[-1].external_id if len(rows) > limit and page else None)


@router.get("/parties/{external_id}", response_model=MonitoredParty, responses=problem_responses(401, 404, 422, 503),
            summary="One registered party")
def read_monitored_party(external_id: ExternalId, caller: CallerDep, session: SessionDep) -> MonitoredParty:
    """The party and its latest screening."""
    row = get_party(session, external_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"No monitored party {external_id!r}.")
    return party_view(row)


@router.delete("/parties/{external_id}", status_code=204, responses=problem_responses(401, 403, 404, 422, 503),
               summary="Stop monitoring a party")
def delete_monitored_party(external_id: ExternalId, caller: ScreenerDep, session: SessionDep, state: StateDep,
                           request_id: RequestIdDep) -> Response:
    """The party is no longer screened on list changes; the deletion is recorded."""
    row = get_party(session, external_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"No monitored party {external_id!r}.")
    with state.writing():
        delete_party(session, row, caller.key_id, request_id)
        session.commit()
    return Response(status_code=204)
