"""Denied parties: every named party of the declaration against the loaded denied-party lists.

The matching itself lives in service.engine.parties; this check only turns hits into findings. When no
party screener is available the check says so as a review finding: a verdict without party screening
must never read `clear`.
"""

from __future__ import annotations

from typing import Final, Protocol

from service.engine.declaration import Declaration
from service.engine.verdict import Action, Category, Finding, ListStamp


class PartyHit:
    """A denied-party list entry that matched a declared party's name.

    Immutable: the attributes are Final (mypy refuses an assignment). A plain class rather than a
    frozen dataclass, whose __init__ sets each of the eleven fields through object.__setattr__: at
    two or three hits per screened name that was a fifteenth of the party index's query time."""

    __slots__ = ("action", "details", "entry_id", "explanation", "legal_basis", "list_name", "listed_name",
                 "matched_name", "programs", "score", "source")

    def __init__(self, *, list_name: str, entry_id: str, listed_name: str, matched_name: str, score: float,
                 action: Action, explanation: str, programs: tuple[str, ...] = (), legal_basis: str = "",
                 source: str = "", details: dict[str, object] | None = None) -> None:
        self.list_name: Final = list_name
        self.entry_id: Final = entry_id
        self.listed_name: Final = listed_name  # the entry's primary name
        self.matched_name: Final = matched_name  # the name or alias that matched
        self.score: Final = score  # 0-100
        self.action: Final = action  # block at or above the block threshold, review in the grey band
        self.explanation: Final = explanation
        self.programs: Final = programs
        self.legal_basis: Final = legal_basis
        self.source: Final = source
        self.details: Final[dict[str, object]] = {} if details is None else details

    def _fields(self) -> tuple[object, ...]:
        return (self.list_name, self.entry_id, self.listed_name, self.matched_name, self.score, self.action,
                self.explanation, self.programs, self.legal_basis, self.source, self.details)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartyHit) and self._fields() == other._fields()  # (unhashable: details)

    def __repr__(self) -> str:
        return (f"PartyHit(list_name={self.list_name!r}, entry_id={self.entry_id!r}, "
                f"matched_name={self.matched_name!r}, score={self.score!r}, action={self.action!r})")


class PartyScreener(Protocol):
    """What the engine needs from a denied-party index."""

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        """Hits for a party name (best first), with the party's country as supporting evidence."""
        ...

    def stamps(self) -> list[ListStamp]:
        """The list snapshots the screener searches."""
        ...


NOT_SCREENED = "PARTIES-NOT-SCREENED"


def party_findings(declaration: Declaration, screener: PartyScreener | None) -> list[Finding]:
    """One finding per hit per party; a review finding if no screener was available."""
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
            findings.append(_hit_finding(role, party.name, hit))
    return findings


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
