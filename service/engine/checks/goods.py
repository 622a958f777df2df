"""Controlled goods: items matched against the Russia/Belarus rules by control number and HS code.

The goods are assessed against every controlled country on the export date, whatever the destination,
because the transshipment and red-flag checks need to know what would be controlled if the goods
travelled on to Russia or Belarus. Findings are raised only for the countries the shipment goes to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from service.engine.checks.text import fill, finding, iso
from service.engine.codes import Eccn, parse_eccn
from service.engine.declaration import Declaration, Item
from service.engine.rulebook import HsMatch, Rulebook
from service.engine.rulebook.models import EccnClassRule, HsCodesRule, HsEntry
from service.engine.verdict import SEVERITY, Action, Finding


@dataclass(frozen=True, slots=True)
class Control:
    """One item caught by one goods rule for one controlled country."""

    item: Item
    rule: EccnClassRule | HsCodesRule
    country: str
    action: Action
    listed: str  # the listed code or ECCN class that matched
    description: str
    coarse: bool = False
    entry: HsEntry | None = None  # the listed HS code, with its own verification level


@lru_cache(maxsize=4096)
def _eccn(code: str) -> Eccn:
    return parse_eccn(code)


def _eccn_controls(item: Item, rules: list[EccnClassRule], countries: list[str], day: date) -> list[Control]:
    if not item.eccn:
        return []
    eccn = _eccn(item.eccn)
    rules = [r for r in rules if eccn.kind in r.classes and eccn.category in r.categories]
    description = f"{eccn.kind.value} entry, category {eccn.category}"
    return [
        Control(item, rule, country, rule.action, eccn.code, description)
        for country in countries
        for rule in rules
        if rule.in_force(country, day)
    ]


def _hs_controls(item: Item, matches: tuple[HsMatch, ...], country: str, day: date) -> list[Control]:
    in_force = [m for m in matches if m.rule.in_force(country, day) and not (m.rule.requires_no_eccn and item.eccn)]
    matched = {m.rule.id for m in in_force}
    return [
        Control(item, m.rule, country, m.rule.coarse_action if m.coarse else m.rule.action,
                m.entry.code, m.entry.description, m.coarse, m.entry)
        for m in in_force
        if not matched.intersection(m.rule.superseded_by)
    ]


def assess(declaration: Declaration, rulebook: Rulebook) -> list[Control]:
    """Every control on every item for every controlled country, in item, country and rule order."""
    day = declaration.export_date
    countries = sorted(rulebook.controlled_countries())
    eccn_rules = rulebook.of_kind(EccnClassRule)
    controls: list[Control] = []
    for item in declaration.items:
        controls.extend(_eccn_controls(item, eccn_rules, countries, day))
        matches = rulebook.hs_matches(item.hs_code)
        if matches:
            for country in countries:
                controls.extend(_hs_controls(item, matches, country, day))
    return controls


def worst_by_line(controls: list[Control]) -> dict[int, Control]:
    """The most severe control of each item line (block before review before info)."""
    worst: dict[int, Control] = {}
    for control in controls:
        line = control.item.line or 0
        if line not in worst or SEVERITY[control.action] < SEVERITY[worst[line].action]:
            worst[line] = control
    return worst


def going_to(declaration: Declaration, rulebook: Rulebook) -> list[str]:
    """Controlled countries the shipment goes to: destination, consignee, end user or any party."""
    return sorted(declaration.destination_side_countries() & rulebook.controlled_countries())


def goods_findings(declaration: Declaration, rulebook: Rulebook, controls: list[Control]) -> list[Finding]:
    """Findings for items controlled for a country the shipment goes to (one per rule, item and code)."""
    targets = going_to(declaration, rulebook)
    seen: set[tuple[str, int | None, str]] = set()
    findings: list[Finding] = []
    for control in controls:
        key = (control.rule.id, control.item.line, control.listed)
        if control.country not in targets or key in seen:
            continue
        seen.add(key)
        findings.append(_finding(control, declaration.export_date, targets))
    return findings


def _finding(control: Control, day: date, targets: list[str]) -> Finding:
    rule, item = control.rule, control.item
    template = rule.message
    if control.coarse and isinstance(rule, HsCodesRule):
        template = rule.coarse_message or (
            "Line {line}: HS {code} is too coarse to rule out controlled code {rule_code} ({description}) "
            "for {country_name}; declare the full code."
        )
    message = fill(template, line=item.line, code=item.hs_code, rule_code=control.listed,
                   description=control.description, eccn=item.eccn or "", country=control.country, date=iso(day))
    evidence = {"hs_code": item.hs_code, "eccn": item.eccn, "listed": control.listed,
                "coarse": control.coarse, "countries": targets, "export_date": iso(day)}
    if control.entry is not None:  # e.g. a CHPL code verified as a CHPL code, not as one of Taiwan's 45
        evidence["listed_verification"] = control.entry.verification.value
        evidence["listed_note"] = control.entry.note
    return finding(rule, message, action=control.action, item_line=item.line, evidence=evidence)
