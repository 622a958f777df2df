"""Transshipment: controlled goods routed to or via diversion hubs, and routes through Russia/Belarus."""

from __future__ import annotations

from service.engine.checks.goods import Control, worst_by_line
from service.engine.checks.text import fill, finding, iso
from service.engine.declaration import Declaration
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import ControlledTransitRule, Hub, HubRouteRule
from service.engine.verdict import Action, Finding


def route_countries(declaration: Declaration) -> list[str]:
    """Where the goods go or pass, in route order: transit countries, destination, then party countries."""
    countries = [*declaration.transit_countries, declaration.destination_country, declaration.consignee.country]
    if declaration.end_user is not None:
        countries.append(declaration.end_user.country)
    countries.extend(party.country for party in declaration.parties)
    return list(dict.fromkeys(countries))


def hubs_on_route(declaration: Declaration, rule: HubRouteRule) -> list[Hub]:
    """The rule's hubs that the shipment goes to or via."""
    by_country = {hub.country: hub for hub in rule.hubs}
    return [by_country[c] for c in route_countries(declaration) if c in by_country]


def controlled_lines(controls: list[Control]) -> list[Control]:
    """Items on (block) or possibly on (review) the Russia/Belarus list on the export date."""
    worst = worst_by_line(controls)
    return [worst[line] for line in sorted(worst) if worst[line].action is not Action.INFO]


def parties_in(declaration: Declaration, countries: frozenset[str]) -> list[tuple[str, str, str]]:
    """(role, name, country) of the end user and further parties located in `countries`."""
    found = []
    if declaration.end_user is not None and declaration.end_user.country in countries:
        found.append(("end_user", declaration.end_user.name, declaration.end_user.country))
    found.extend((p.role.value, p.name, p.country) for p in declaration.parties if p.country in countries)
    return found


def hub_findings(declaration: Declaration, rulebook: Rulebook, lines: list[Control]) -> list[Finding]:
    """Controlled goods (`lines`, from controlled_lines) to or via a hub: review, with the affidavit where
    Taiwan requires it; block if a party sits in a controlled country."""
    if not lines:
        return []
    controlled = rulebook.controlled_countries()
    findings = []
    for rule in rulebook.of_kind(HubRouteRule):
        for hub in hubs_on_route(declaration, rule):
            findings.append(_hub_finding(declaration, rule, hub, lines, parties_in(declaration, controlled)))
    return findings


def _hub_finding(declaration: Declaration, rule: HubRouteRule, hub: Hub, lines: list[Control],
                 parties: list[tuple[str, str, str]]) -> Finding:
    day = declaration.export_date
    message = fill(rule.message, line=", ".join(str(c.item.line) for c in lines),
                   code=", ".join(c.item.hs_code for c in lines), hub=hub.country, hub_name=hub.name,
                   hubs="; ".join(hub.named_by), date=iso(day))
    if hub.affidavit and day >= rule.affidavit_since:
        message += " " + fill(rule.affidavit_message, affidavit_since=iso(rule.affidavit_since))
    action = rule.action
    if parties:
        action = rule.party_in_controlled_country_action
        named = "; ".join(f"{role} {name} ({country})" for role, name, country in parties)
        message += f" A party of the shipment is in Russia/Belarus ({named}): the goods would reach the control region."
    evidence = {"hub": hub.country, "named_by": hub.named_by, "affidavit_required": hub.affidavit
                and day >= rule.affidavit_since, "lines": [c.item.line for c in lines],
                "controls": [c.rule.id for c in lines], "parties_in_controlled_country": [p[0] for p in parties]}
    return finding(rule, message, action=action, evidence=evidence)


def transit_findings(declaration: Declaration, rulebook: Rulebook, controlled: list[Control]) -> list[Finding]:
    """A route through a controlled country is at least a review."""
    findings = []
    lines = [c.item.line for c in controlled]
    for rule in rulebook.of_kind(ControlledTransitRule):
        for country in dict.fromkeys(declaration.transit_countries):
            if rule.in_force(country, declaration.export_date):
                message = fill(rule.message, country=country, date=iso(declaration.export_date))
                if lines:
                    message += f" Lines {', '.join(map(str, lines))} are on (or may be on) its control list."
                findings.append(finding(rule, message, action=Action.REVIEW,
                                        evidence={"transit_country": country, "controlled_lines": lines}))
    return findings
