"""Screening a monitored party (a customer or supplier of the ERP's master) on its own, outside a shipment.

The party's name and each alias are matched against the lists in force; the own deny list blocks, a
clearance in force turns a hit into information, as for a shipment. Without a party screener the answer
is `review`: a party that could not be screened is never `clear`.
"""

from __future__ import annotations

from typing import Any

from service.engine.checks.clearances import OWN_LIST, Standing, entry_digest, party_key
from service.engine.checks.parties import PartyHit
from service.engine.screen import ScreeningContext
from service.engine.verdict import Action


def screen_party(context: ScreeningContext, name: str, country: str | None, aliases: list[str]) -> dict[str, Any]:
    """{status, hits, lists}: status is the most severe hit's action, `clear` without one."""
    if context.parties is None:
        return {"status": "review", "hits": [], "lists": [],
                "message": "Denied-party screening was not performed (no list loaded)."}
    hits: list[dict[str, Any]] = []
    for query in dict.fromkeys([name, *aliases]):
        hits.extend(_hit(query, country, hit, context) for hit in context.parties.match(query, country))
        hits.extend(_own_list(query, country, context.standing))
    actions = {hit["action"] for hit in hits}
    status = "block" if "block" in actions else "review" if "review" in actions else "clear"
    return {"status": status, "hits": hits,
            "lists": [stamp.model_dump(mode="json") for stamp in context.parties.stamps()]}


def _hit(query: str, country: str | None, hit: PartyHit, context: ScreeningContext) -> dict[str, Any]:
    found: dict[str, Any] = {"name": query, "list": hit.list_name, "entry_id": hit.entry_id,
                             "listed_name": hit.listed_name, "matched_name": hit.matched_name,
                             "score": round(hit.score, 1), "action": hit.action.value, "explanation": hit.explanation}
    entry = context.entries.get((hit.list_name, hit.entry_id))
    digest = entry_digest(entry) if entry is not None else None
    for clearance in context.standing.clearances.get(party_key(query), ()):
        if ((clearance.list_name, clearance.entry_id, clearance.entry_hash, clearance.country)
                == (hit.list_name, hit.entry_id, digest, country)):
            found.update(action=Action.INFO.value, cleared_by=clearance.decision_id, hit_action=hit.action.value)
    return found


def _own_list(query: str, country: str | None, standing: Standing) -> list[dict[str, Any]]:
    return [{"name": query, "list": OWN_LIST, "entry_id": str(listed.id), "listed_name": listed.name,
             "matched_name": listed.name, "score": 100.0, "action": Action.BLOCK.value,
             "explanation": "on the company's own deny list", "decision_id": listed.decision_id}
            for listed in standing.denied.get(party_key(query), ())
            if listed.country is None or listed.country == country]
