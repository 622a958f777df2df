"""Decisions that stick: a reviewer's party clearance and the company's own deny list, applied as data.

A clearance says "this party, as screened, is not that list entry": a later hit of the same party
(same normalised name and country) on the same, unchanged entry is shown as `info` and does not decide
the verdict. It lapses by itself when the entry's content changes, because the entry's digest then
differs from the one the reviewer saw. The own deny list blocks a party a reviewer confirmed as denied,
whatever the official lists say. The shell looks both up and passes them in; nothing here reads a store.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import orjson

from service.engine.declaration import Declaration
from service.engine.parties.entry import ListEntry
from service.engine.verdict import Action, Category, Finding

OWN_LIST = "own-deny-list"
OWN_LIST_RULE = "DENIED-PARTY-OWN-LIST"
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class PartyClearance:
    """A party cleared against one list entry as it stood when the reviewer looked at it."""

    decision_id: int
    decided_on: date
    reviewer: str
    name_key: str
    country: str | None
    list_name: str
    entry_id: str
    entry_hash: str
    decided_in: str = "screening"  # or "alert": which kind of decision `decision_id` names


@dataclass(frozen=True)
class DeniedParty:
    """A party on the company's own deny list (a reviewer confirmed it as a denied party)."""

    id: int
    name: str
    name_key: str
    country: str | None
    decision_id: int | None
    decided_in: str = "screening"


@dataclass(frozen=True)
class Standing:
    """The standing decisions a screening applies, by normalised party name (built once, read per party)."""

    clearances: Mapping[str, tuple[PartyClearance, ...]] = field(default_factory=dict)
    denied: Mapping[str, tuple[DeniedParty, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.clearances or self.denied)


def standing_of(clearances: Iterable[PartyClearance], denied: Iterable[DeniedParty]) -> Standing:
    """Clearances and own-list entries grouped by normalised name."""
    cleared: dict[str, list[PartyClearance]] = {}
    for clearance in clearances:
        cleared.setdefault(clearance.name_key, []).append(clearance)
    listed: dict[str, list[DeniedParty]] = {}
    for party in denied:
        listed.setdefault(party.name_key, []).append(party)
    return Standing({key: tuple(rows) for key, rows in cleared.items()},
                    {key: tuple(rows) for key, rows in listed.items()})


NO_STANDING = Standing()


def party_key(name: str) -> str:
    """The name as clearances and the own deny list compare it: case, width, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def entry_digest(entry: ListEntry) -> str:
    """A hash of what a reviewer judged: names, aliases, countries, addresses and programmes."""
    content = [entry.name, sorted(entry.aliases), sorted(entry.countries), sorted(entry.addresses),
               sorted(entry.programs)]
    return "sha256:" + hashlib.sha256(orjson.dumps(content)).hexdigest()[:32]


def with_entry_hashes(findings: list[Finding], entries: Mapping[tuple[str, str], ListEntry]) -> list[Finding]:
    """Party findings carry the digest of the entry they rest on, so a decision can clear exactly that."""
    marked = []
    for finding in findings:
        key = _entry_key(finding)
        entry = entries.get(key) if key is not None else None
        if entry is not None:
            finding = finding.model_copy(update={"evidence": {**finding.evidence, "entry_hash": entry_digest(entry)}})
        marked.append(finding)
    return marked


def apply_clearances(findings: list[Finding], declaration: Declaration, standing: Standing) -> list[Finding]:
    """Party findings covered by a clearance become `info`, naming the decision that cleared them."""
    if not standing.clearances:
        return findings
    parties = {role: party for role, party in declaration.named_parties()}
    result = []
    for finding in findings:
        party = parties.get(finding.party_role or "")
        covering = _covering(finding, party.name, party.country, standing) if party is not None else None
        result.append(_cleared(finding, covering) if covering is not None else finding)
    return result


def own_list_findings(declaration: Declaration, standing: Standing) -> list[Finding]:
    """A block for each declared party on the company's own deny list."""
    if not standing.denied:
        return []
    findings = []
    for role, party in declaration.named_parties():
        for listed in standing.denied.get(party_key(party.name), ()):
            if listed.country is None or listed.country == party.country:
                findings.append(_own_list_finding(role, party.name, listed))
    return findings


def _entry_key(finding: Finding) -> tuple[str, str] | None:
    if finding.category is not Category.DENIED_PARTY or "entry_id" not in finding.evidence:
        return None
    return str(finding.evidence.get("list")), str(finding.evidence["entry_id"])


def _covering(finding: Finding, name: str, country: str | None, standing: Standing) -> PartyClearance | None:
    """The clearance for this party and this unchanged entry, if any; only review and block findings."""
    key = _entry_key(finding)
    if key is None or finding.action is Action.INFO or finding.rule_id == OWN_LIST_RULE:
        return None
    entry_hash = finding.evidence.get("entry_hash")
    for clearance in standing.clearances.get(party_key(name), ()):
        if ((clearance.list_name, clearance.entry_id) == key and clearance.entry_hash == entry_hash
                and clearance.country == country):
            return clearance
    return None


def _cleared(finding: Finding, clearance: PartyClearance) -> Finding:
    decision = "decision" if clearance.decided_in == "screening" else "alert decision"
    message = (f"Cleared by {decision} {clearance.decision_id} of {clearance.decided_on.isoformat()} "
               f"(reviewer {clearance.reviewer}): {finding.message}")
    evidence = {**finding.evidence, "cleared_by": clearance.decision_id, "hit_action": finding.action.value}
    if clearance.decided_in != "screening":
        evidence["cleared_in"] = clearance.decided_in
    return finding.model_copy(update={"action": Action.INFO, "message": message, "evidence": evidence})


def _own_list_finding(role: str, name: str, listed: DeniedParty) -> Finding:
    kind = "decision" if listed.decided_in == "screening" else "alert decision"
    decided = f" by {kind} {listed.decision_id}" if listed.decision_id is not None else ""
    message = (f'The {role.replace("_", " ")} "{name}" is on the company\'s own deny list (entry {listed.id}, '
               f"confirmed as a denied party{decided}): the shipment must not go.")
    return Finding(
        rule_id=OWN_LIST_RULE, category=Category.DENIED_PARTY, action=Action.BLOCK, message=message,
        legal_basis="Internal compliance programme: a party confirmed as denied by a reviewer",
        source=OWN_LIST, party_role=role,
        evidence={"list": OWN_LIST, "entry_id": str(listed.id), "listed_name": listed.name,
                  "decision_id": listed.decision_id, "decided_in": listed.decided_in},
    )
