"""Denied parties: every named party of the declaration against the loaded denied-party lists.

The matching itself lives in service.engine.parties; this check only turns hits into findings. When no
party screener is available the check says so as a review finding: a verdict without party screening
must never read `clear`.

A listing applies from its date where that date was reviewed (the curated lists carry one per entry):
a hit on a party listed after the export date is an `info` finding, shown but not deciding the verdict.
An entry without a date applies at all dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from service.engine.declaration import Declaration
from service.engine.parties.hit import PartyHit as PartyHit  # (made by the index, compiled with it)
from service.engine.verdict import Action, Category, Finding, ListStamp


class PartyScreener(Protocol):
    """What the engine needs from a denied-party index."""

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        """Hits for a party name (best first), with the party's country as supporting evidence."""
        ...

    def stamps(self) -> list[ListStamp]:
        """The list snapshots the screener searches."""
        ...


NOT_SCREENED = "PARTIES-NOT-SCREENED"


def party_findings(
    declaration: Declaration, screener: PartyScreener | None, listed_from: Mapping[tuple[str, str], date] | None = None
) -> list[Finding]:
    """One finding per hit per party; a review finding if no screener was available.

    `listed_from` maps (list, entry id) to the day the listing applies from.
    """
    if screener is None:
        return [
            Finding(
                rule_id=NOT_SCREENED, category=Category.INCOMPLETE_DATA, action=Action.REVIEW,
                message=(
                    "Denied-party screening was not performed (no list loaded); "
                    "screen the parties before shipping."
                ),
                legal_basis="Foreign Trade Act Art. 13 (Entity List); internal compliance programme",
                source="export-screen configuration", evidence={},
            )
        ]
    findings = []
    for role, party in declaration.named_parties():
        for hit in screener.match(party.name, party.country):
            since = (listed_from or {}).get((hit.list_name, hit.entry_id))
            if since is not None and declaration.export_date < since:
                findings.append(_not_yet_listed(role, party.name, hit, since, declaration.export_date))
            else:
                findings.append(_hit_finding(role, party.name, hit))
    return findings


def _not_yet_listed(role: str, name: str, hit: PartyHit, since: date, export_date: date) -> Finding:
    """A hit on a listing that applies only from after the export date: shown, not deciding."""
    listed = _hit_finding(role, name, hit)
    message = (f"{listed.message} The listing applies from {since.isoformat()}, after the export date "
               f"{export_date.isoformat()}: it does not apply to this shipment.")
    return listed.model_copy(update={"action": Action.INFO, "message": message,
                                     "evidence": {**listed.evidence, "listed_from": since.isoformat(),
                                                  "hit_action": hit.action.value}})


def _hit_finding(role: str, name: str, hit: PartyHit) -> Finding:
    verb = "matches" if hit.action is Action.BLOCK else "resembles"
    message = (
        f'The {role.replace("_", " ")} "{name}" {verb} "{hit.matched_name}" on {hit.list_name} '
        f"(entry {hit.entry_id}, score {hit.score:.0f}): {hit.explanation}."
    )
    if hit.action is Action.REVIEW:
        message += " Compare addresses and identifiers to rule the hit in or out."
    evidence = {"list": hit.list_name, "entry_id": hit.entry_id, "listed_name": hit.listed_name,
                "matched_name": hit.matched_name, "score": round(hit.score, 1), "programs": list(hit.programs),
                **hit.details}
    return Finding(
        rule_id=f"DENIED-PARTY-{hit.list_name.upper()}"[:80],
        category=Category.DENIED_PARTY, action=hit.action, message=message,
        legal_basis=hit.legal_basis
        or "Foreign Trade Act Art. 13 (Entity List); sanctions list of the issuing authority",
        source=hit.source or hit.list_name, party_role=role, evidence=evidence,
    )
