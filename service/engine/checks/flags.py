"""Red flags of diversion: each a small rule from BIS/FinCEN guidance, each a review at most."""

from __future__ import annotations

from decimal import Decimal

from service.engine.checks.goods import Control
from service.engine.checks.routes import hubs_on_route
from service.engine.checks.text import fill, find_keyword, finding
from service.engine.countries import country_name
from service.engine.declaration import Declaration, Item
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import (
    CountryMismatchRule,
    EndUseKeywordsRule,
    HubRouteRule,
    MissingEndUserRule,
    PartyKeywordsRule,
    UnitValueRule,
    ValueBand,
)
from service.engine.verdict import Finding


def forwarder_findings(declaration: Declaration, rulebook: Rulebook, controlled: list[Control]) -> list[Finding]:
    """A forwarder, logistics or trading company as consignee or end user of controlled goods."""
    has_controlled = bool(controlled)
    roles = {"consignee": declaration.consignee, "end_user": declaration.end_user}
    findings = []
    for rule in rulebook.of_kind(PartyKeywordsRule):
        if rule.controlled_goods_only and not has_controlled:
            continue
        for role in rule.roles:
            party = roles.get(role)
            keyword = find_keyword(party.name, rule.keywords) if party is not None else None
            if party is not None and keyword:
                message = fill(rule.message, role=role.replace("_", " "), name=party.name, keyword=keyword)
                findings.append(finding(rule, message, party_role=role,
                                        evidence={"name": party.name, "keyword": keyword}))
    return findings


def mismatch_findings(declaration: Declaration, rulebook: Rulebook) -> list[Finding]:
    """The consignee sits in another country than the destination."""
    consignee, destination = declaration.consignee.country, declaration.destination_country
    if consignee == destination:
        return []
    return [
        finding(rule, fill(rule.message, country=consignee, value=country_name(destination)),
                party_role="consignee", evidence={"consignee_country": consignee, "destination_country": destination})
        for rule in rulebook.of_kind(CountryMismatchRule)
    ]


def missing_end_user_findings(declaration: Declaration, rulebook: Rulebook,
                              controlled: list[Control]) -> list[Finding]:
    """Controlled goods to a hub with no end user declared."""
    if declaration.end_user is not None or not controlled:
        return []
    findings = []
    for rule in rulebook.of_kind(MissingEndUserRule):
        hub_rule = rulebook.by_id(rule.hubs_from)
        assert isinstance(hub_rule, HubRouteRule)  # checked when the rulebook was loaded
        hubs = hubs_on_route(declaration, hub_rule)
        if hubs:
            message = fill(rule.message, hub=hubs[0].country, hub_name=hubs[0].name)
            findings.append(finding(rule, message, party_role="end_user",
                                    evidence={"hubs": [hub.country for hub in hubs]}))
    return findings


def end_use_findings(declaration: Declaration, rulebook: Rulebook) -> list[Finding]:
    """End-use text that names military or defence use."""
    if not declaration.end_use:
        return []
    findings = []
    for rule in rulebook.of_kind(EndUseKeywordsRule):
        keyword = find_keyword(declaration.end_use, rule.keywords)
        if keyword:
            findings.append(finding(rule, fill(rule.message, keyword=keyword),
                                    evidence={"end_use": declaration.end_use, "keyword": keyword}))
    return findings


def _band(item: Item, rule: UnitValueRule) -> ValueBand | None:
    return next((band for band in rule.bands if item.hs_code.startswith(band.hs_prefix)), None)


def _outside(value: Decimal, currency: str, band: ValueBand, rule: UnitValueRule) -> bool:
    converted = float(value) / rule.rates[currency]
    return converted < band.low / rule.factor or converted > band.high * rule.factor


def unit_value_findings(declaration: Declaration, rulebook: Rulebook) -> list[Finding]:
    """Zero or negative unit values, and unit values far outside the band for the goods."""
    findings = []
    for rule in rulebook.of_kind(UnitValueRule):
        for item in declaration.items:
            if item.unit_value is None:
                continue
            band = _band(item, rule)
            currency = item.currency or rule.currency
            if item.unit_value <= 0:
                message = f"Line {item.line}: unit value {item.unit_value} is zero or negative; confirm the price."
            elif band is not None and currency in rule.rates and _outside(item.unit_value, currency, band, rule):
                message = fill(rule.message, line=item.line, value=item.unit_value, currency=currency,
                               low=f"{band.low:,.0f}", high=f"{band.high:,.0f}", description=band.description)
            else:
                continue
            evidence = {"unit_value": str(item.unit_value), "currency": currency,
                        "band": band.model_dump() if band else None, "factor": rule.factor}
            findings.append(finding(rule, message, item_line=item.line, evidence=evidence))
    return findings
