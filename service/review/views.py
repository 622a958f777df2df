"""What the screening page shows, built from the stored row: the route with its hubs, the parties, and
each party finding with the screened and listed names side by side."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anyascii import anyascii

from service.engine.countries import country_name
from service.engine.parties.entry import ListEntry
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import HubRouteRule
from service.store.screening_parties import named_parties

_WORD = re.compile(r"\w+", re.UNICODE)
_URL = re.compile(r"https?://[^\s)\]>,;]+")


@dataclass(frozen=True)
class Stop:
    """One country on the route: where it stands (origin, transit, destination) and whether it is a hub."""

    country: str
    name: str
    leg: str
    hub: str | None = None  # the hub's name as the rulebook gives it


@dataclass(frozen=True)
class Segment:
    """A piece of a name, marked when the other name has the same word."""

    text: str
    matched: bool


@dataclass
class PartyFindingView:
    """A party finding: who was screened, what is listed, and the list entry as loaded now."""

    screened: list[Segment]
    listed: list[Segment]
    entry: ListEntry | None
    party: dict[str, Any] = field(default_factory=dict)


def hubs_of(rulebook: Rulebook | None) -> dict[str, str]:
    """Country -> hub name, from the rulebook's hub_route rules."""
    if rulebook is None:
        return {}
    return {hub.country: hub.name for rule in rulebook.of_kind(HubRouteRule) for hub in rule.hubs}


def route_of(declaration: dict[str, Any], hubs: dict[str, str]) -> list[Stop]:
    """Exporter's country, the transit countries in order, then the destination."""
    exporter = declaration.get("exporter") or {}
    legs = [("origin", str(exporter.get("country") or "TW"))]
    legs.extend(("transit", str(country)) for country in declaration.get("transit_countries") or [])
    legs.append(("destination", str(declaration.get("destination_country") or "")))
    return [Stop(country, country_name(country), leg, hubs.get(country)) for leg, country in legs if country]


def _key(word: str) -> str:
    return anyascii(word).casefold()


def highlighted(name: str, other: str) -> list[Segment]:
    """`name` cut into words and the text between, with the words `other` also has marked."""
    others = {_key(word) for word in _WORD.findall(other)}
    segments: list[Segment] = []
    position = 0
    for match in _WORD.finditer(name):
        if match.start() > position:
            segments.append(Segment(name[position:match.start()], False))
        segments.append(Segment(match.group(), _key(match.group()) in others))
        position = match.end()
    if position < len(name):
        segments.append(Segment(name[position:], False))
    return segments


def party_view(finding: dict[str, Any], declaration: dict[str, Any],
               entries: Mapping[tuple[str, str], ListEntry]) -> PartyFindingView | None:
    """The side-by-side view of a party finding, or None for any other finding."""
    evidence = finding.get("evidence") or {}
    if finding.get("category") != "denied_party" or "listed_name" not in evidence:
        return None
    party = dict(named_parties(declaration)).get(str(finding.get("party_role") or ""), {})
    screened = str(party.get("name") or "")
    listed = str(evidence.get("matched_name") or evidence["listed_name"])
    entry = entries.get((str(evidence.get("list")), str(evidence.get("entry_id"))))
    return PartyFindingView(highlighted(screened, listed), highlighted(listed, screened), entry, party)


def source_links(source: str) -> list[str]:
    """The URLs inside a finding's source text (a source names its documents with their addresses)."""
    return list(dict.fromkeys(_URL.findall(source)))
