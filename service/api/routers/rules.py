"""The rulebook in force, the list snapshots in use, and reloading both without a restart."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.api.deps import AdminDep, CallerDep, ContextDep, IdempotencyDep, RequestIdDep, SessionDep, StateDep
from service.api.errors import InvalidRequest, RulesInvalid, RulesUnavailable, problem_responses
from service.api.recording import commit_answer, replay
from service.api.reloading import swap_context
from service.api.routing import CheckedRoute
from service.engine.countries import UnknownCountryError, normalise_country
from service.engine.rulebook.lock import RulebookLockError
from service.engine.verdict import ListStamp
from service.lists.load import ListIntegrityError
from service.store.reloads import add_reload
from service.workflow.catch_up import catch_up

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["rules and lists"])
logger = logging.getLogger("service.api")


class RulesInForce(BaseModel):
    """The loaded rulebook and, for a country and date, the rules in force there and then."""

    version: str = Field(description="Content hash of the loaded rule files.")
    files: list[str]
    country: str | None = Field(description="Alpha-2 code asked for, or null for every rule.")
    date: date
    rules: list[dict[str, Any]] = Field(description="Each rule as in its rule file.")


class ListsInUse(BaseModel):
    """The denied-party list snapshots screenings currently use."""

    parties_screened: bool = Field(description="False if no list is loaded (every verdict is then at least review).")
    lists: list[ListStamp]


class Reloaded(BaseModel):
    """The rulebook and lists now in force after a reload."""

    previous_version: str | None
    version: str
    lists: list[ListStamp]


def _taipei_today() -> date:
    return datetime.now(ZoneInfo("Asia/Taipei")).date()


@router.get("/rules", response_model=RulesInForce, responses=problem_responses(401, 422, 503),
            summary="Rulebook version and the rules in force")
async def read_rules(
    caller: CallerDep, context: ContextDep,
    country: Annotated[str | None, Query(max_length=60, description="Country (code or name).")] = None,
    on: Annotated[date | None, Query(alias="date", description="Date (default today in Taipei).")] = None,
) -> RulesInForce:
    """Without `country`, every rule; with it, only those in force for that country on `date`."""
    rulebook = context.rulebook
    day = on or _taipei_today()
    alpha2 = None
    if country is not None:
        try:
            alpha2 = normalise_country(country)
        except UnknownCountryError as exc:
            raise InvalidRequest(str(exc), [{"field": "country", "value": country, "message": str(exc)}]) from None
    rules = rulebook.in_force(alpha2, day) if alpha2 else rulebook.rules
    return RulesInForce(
        version=rulebook.version, files=rulebook.files, country=alpha2, date=day,
        rules=[rule.model_dump(mode="json", by_alias=True) for rule in rules],
    )


@router.get("/lists", response_model=ListsInUse, responses=problem_responses(401, 503),
            summary="Denied-party list snapshots in use")
async def read_lists(caller: CallerDep, context: ContextDep) -> ListsInUse:
    """Name, version (content hash) and size of each list the screener searches."""
    if context.parties is None:
        return ListsInUse(parties_screened=False, lists=[])
    return ListsInUse(parties_screened=True, lists=context.parties.stamps())


@router.post("/rules:reload", response_model=Reloaded, responses=problem_responses(401, 403, 409, 413, 422, 503),
             summary="Reload rules and lists (admin)")
def reload_rules(caller: AdminDep, state: StateDep, session: SessionDep, idempotency: IdempotencyDep,
                 request_id: RequestIdDep) -> Response:
    """Load and validate first; record the reload, then swap; on any failure the old rulebook keeps serving.

    Other worker processes see the recorded reload and follow within `reload_poll_seconds`. This worker then
    screens the shipments still to leave and the monitored parties again (docs/workflow.md).
    """
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    with state.reload_lock:
        previous = state.context.rulebook.version if state.context else None
        try:
            context = state.load(state.settings)
        except (RulebookLockError, ListIntegrityError) as exc:  # not the approved rules or lists: never swapped in
            logger.error("rules reload refused, the files are not the approved ones: %s", exc)
            raise RulesUnavailable(f"{exc}; the previously approved rulebook and lists keep serving") from None
        except Exception as exc:  # any failure leaves the old context in force
            logger.error("rules reload refused: %s", exc)
            raise RulesInvalid(f"{exc}") from None
        stamps = context.parties.stamps() if context.parties is not None else []
        generation = add_reload(session, key_id=caller.key_id, rulebook_version=context.rulebook.version,
                                lists=[stamp.model_dump(mode="json") for stamp in stamps])
        answer = Reloaded(previous_version=previous, version=context.rulebook.version, lists=stamps)
        response = commit_answer(session, caller, idempotency, 200, answer.model_dump_json().encode())
        swap_context(state, context, generation)  # only once the reload is on record
        # New or changed entries and new rules are checked against shipments still to leave now, before
        # the answer: when the admin sees 200, the alerts exist.
        catch_up(state.engine, state.settings, context, request_id, state.writing)
    logger.info("rules reloaded: %s -> %s", previous, context.rulebook.version)
    return response
