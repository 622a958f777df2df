"""Goods going to Russia/Belarus without a control number, from the HS chapters where dual-use items
concentrate (machinery, electronics, aircraft, instruments, arms, the named chemicals).

Since Russia (2022-03-01) and Belarus (2022-05-06) became SHTC control regions, every SHTC item going
there needs a permit; a laptop, a phone or a coordinate-measuring machine may be one. An item without a
control number cannot be judged by the control-number rules, so it is a review: classify before
shipping. An explicit "on no list" classification (EAR99, NLR, ...) is the exporter's declaration: it is
respected, and recorded as a finding so the audit trail shows who classified what.
"""

from __future__ import annotations

from service.engine.checks.goods import Control, going_to
from service.engine.checks.text import fill, finding, iso
from service.engine.codes import EccnKind
from service.engine.declaration import Declaration, Item
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import UnclassifiedGoodsRule
from service.engine.verdict import Action, Finding


def classification_findings(declaration: Declaration, rulebook: Rulebook, controls: list[Control]) -> list[Finding]:
    """Per covered item and controlled country it goes to: review if unclassified, the declared
    classification recorded otherwise; items another goods rule caught for that country are skipped."""
    day = declaration.export_date
    caught = {(c.item.line, c.country) for c in controls if c.action is not Action.INFO}
    findings = []
    for rule in rulebook.of_kind(UnclassifiedGoodsRule):
        covered = [item for item in declaration.items if rule.covers(item.hs_code)]
        if not covered:
            continue
        countries = [c for c in going_to(declaration, rulebook) if rule.in_force(c, day)]
        for item in covered:
            for country in countries:
                if (item.line, country) not in caught and (found := _finding(rule, item, country, declaration)):
                    findings.append(found)
    return findings


def _finding(rule: UnclassifiedGoodsRule, item: Item, country: str, declaration: Declaration) -> Finding | None:
    eccn = item.parsed_eccn
    if eccn is not None and eccn.kind is not EccnKind.NOT_LISTED:
        return None  # a declared control number: the control-number rules judge it
    template = rule.message if eccn is None else rule.classified_message
    message = fill(template, line=item.line, code=item.hs_code, eccn=item.eccn or "", country=country,
                   date=iso(declaration.export_date))
    evidence = {"hs_code": item.hs_code, "classification": item.eccn, "country": country,
                "export_date": iso(declaration.export_date)}
    action = rule.action if eccn is None else rule.classified_action
    return finding(rule, message, action=action, item_line=item.line, evidence=evidence)
