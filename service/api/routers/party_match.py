"""Screen a name alone (onboarding a customer): `POST /v1/parties:match`, recorded in its own audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from service.api.deps import ContextDep, IdempotencyDep, RequestIdDep, ScreenerDep, SessionDep, StateDep
from service.api.errors import RulesUnavailable, problem_responses
from service.api.recording import commit_answer, replay
from service.api.routing import CheckedRoute
from service.engine.checks.coverage import coverage_findings
from service.engine.checks.parties import PartyHit
from service.engine.declaration import CountryCode
from service.engine.parties.entry import EntryKind
from service.engine.party_names import PartyName
from service.engine.screen import ScreeningContext
from service.engine.verdict import Action, Finding, ListStamp, Outcome
from service.stamps import Thresholds
from service.store.party_matches import add_party_match

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["parties"])


class NameQuery(BaseModel):
    """A party name to screen on its own, e.g. before a customer is onboarded."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PartyName
    country: CountryCode | None = Field(default=None, description="The party's country (supporting evidence).")
    kind: EntryKind | None = Field(
        default=None, description="What the name is (organisation, person, ...): recorded and answered; it never "
        "hides a hit, since a firm may carry a listed person's name.",
    )


class NameHit(BaseModel):
    """A listed name that matched, with the same fields as `export-screen parties match`."""

    model_config = ConfigDict(populate_by_name=True)

    list_name: str = Field(alias="list", description="The list's snapshot name, e.g. ofac-sdn.")
    entry_id: str
    listed_name: str = Field(description="The entry's primary name.")
    matched_name: str = Field(description="The name or alias that matched.")
    score: float = Field(ge=0, le=100)
    action: Action = Field(description="block at or above the block threshold, review in the grey band.")
    explanation: str
    listed_kind: str | None = Field(default=None, description="What the entry names (organisation, person, ...).")
    programs: list[str] = Field(default_factory=list)
    listed_from: date | None = Field(
        default=None, description="The day the listing applies from, where the list gives it (still a hit before).",
    )


class NameMatchResult(BaseModel):
    """The hits for one name, best first, with the lists and settings used; recorded under `id`."""

    id: str = Field(description="Id of the recorded name match (UUIDv7).")
    matched_at: datetime
    query: str = Field(description="The name as screened (invisible characters cleaned).")
    country: str | None
    kind: EntryKind | None
    outcome: Outcome = Field(description="block or review if a hit (or an out-of-date list) asks for it, else clear.")
    hits: list[NameHit]
    notes: list[Finding] = Field(description="What the lists could not cover (no official list, a list out of date).")
    lists: list[ListStamp]
    software_version: str
    thresholds: Thresholds


@router.post(
    "/parties:match", response_model=NameMatchResult, responses=problem_responses(401, 403, 409, 413, 422, 503),
    summary="Screen one party name against the denied-party lists and record it",
)
def match_name(
    query: NameQuery, caller: ScreenerDep, context: ContextDep, session: SessionDep, state: StateDep,
    idempotency: IdempotencyDep, request_id: RequestIdDep,
) -> Response:
    """The hits for the name, recorded before the answer is sent (503 if the record cannot be written)."""
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    hits = [_hit_data(hit, context) for hit in _matches(context, query)]
    notes = [note.model_dump(mode="json") for note in coverage_findings(context.lists, context.clock())]
    outcome = _outcome(hits, notes)
    lists = [stamp.model_dump(mode="json") for stamp in context.parties.stamps()] if context.parties else []
    kind = query.kind.value if query.kind else None
    row = add_party_match(
        session, name=query.name, country=query.country, kind=kind, outcome=outcome.value, hits=hits,
        notes=notes, lists=lists, stamp=state.stamp, caller_key_id=caller.key_id, request_id=request_id,
    )
    body = orjson.dumps({
        "id": row.id, "matched_at": row.matched_at, "query": row.name, "country": row.country, "kind": kind,
        "outcome": outcome.value, "hits": hits, "notes": notes, "lists": lists,
        "software_version": row.software_version, "thresholds": row.thresholds,
    }, option=orjson.OPT_UTC_Z)
    with state.writing():
        return commit_answer(session, caller, idempotency, 200, body)


def _matches(context: ScreeningContext, query: NameQuery) -> list[PartyHit]:
    """The screener's hits; without a screener nothing could be checked, so nothing is answered (503)."""
    if context.parties is None:
        raise RulesUnavailable("No denied-party list is loaded: the name cannot be screened.")
    return context.parties.match(query.name, query.country)


def _hit_data(hit: PartyHit, context: ScreeningContext) -> dict[str, Any]:
    """A hit as answered and recorded (JSON data)."""
    since = context.listed_from.get((hit.list_name, hit.entry_id))
    kind = hit.details.get("kind")
    return {
        "list": hit.list_name, "entry_id": hit.entry_id, "listed_name": hit.listed_name,
        "matched_name": hit.matched_name, "score": round(hit.score, 1), "action": hit.action.value,
        "explanation": hit.explanation, "listed_kind": kind if isinstance(kind, str) else None,
        "programs": list(hit.programs), "listed_from": since.isoformat() if since else None,
    }


def _outcome(hits: list[dict[str, Any]], notes: list[dict[str, Any]]) -> Outcome:
    """The most severe of the hits and the coverage notes, as for a declaration's verdict."""
    actions = {Action(hit["action"]) for hit in hits} | {Action(note["action"]) for note in notes}
    if Action.BLOCK in actions:
        return Outcome.BLOCK
    return Outcome.REVIEW if Action.REVIEW in actions else Outcome.CLEAR
