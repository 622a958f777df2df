"""SHTC export permits: under Foreign Trade Act Art. 13 a strategic high-tech commodity needs an export
permit for every destination, not only Russia and Belarus.

A line whose control number is a multilateral-regime entry (Wassenaar, MTCR, NSG, Australia Group) and
that declares no permit number is a review; with a permit number the finding is info and records the
number. Lines blocked for Russia/Belarus stay blocked: a permit there is denied in principle, so this
check leaves them to the block.
"""

from __future__ import annotations

from service.engine.checks.goods import Control, going_to
from service.engine.checks.text import fill, finding, iso
from service.engine.declaration import Declaration, Item
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import ShtcPermitRule
from service.engine.verdict import Action, Finding


def permit_findings(declaration: Declaration, rulebook: Rulebook, controls: list[Control]) -> list[Finding]:
    """One finding per line with a permit-requiring control number that is not blocked already."""
    findings: list[Finding] = []
    numbered = [item for item in declaration.items if item.eccn]  # most lines carry none: nothing to do
    if not numbered:
        return findings
    blocked: set[int | None] | None = None
    for rule in rulebook.of_kind(ShtcPermitRule):
        if not rule.in_force(declaration.destination_country, declaration.export_date):
            continue
        for item in numbered:
            eccn = item.parsed_eccn
            if eccn is None or eccn.kind not in rule.classes:
                continue
            if blocked is None:
                targets = going_to(declaration, rulebook)
                blocked = {c.item.line for c in controls if c.action is Action.BLOCK and c.country in targets}
            if item.line not in blocked:
                findings.append(_finding(rule, item, declaration))
    return findings


def _finding(rule: ShtcPermitRule, item: Item, declaration: Declaration) -> Finding:
    permitted = item.permit_number is not None
    template = rule.permitted_message if permitted else rule.message
    message = fill(template, line=item.line, code=item.hs_code, eccn=item.eccn or "", permit=item.permit_number or "",
                   country=declaration.destination_country, date=iso(declaration.export_date))
    evidence = {"hs_code": item.hs_code, "eccn": item.eccn, "permit_number": item.permit_number,
                "destination_country": declaration.destination_country}
    action = rule.permitted_action if permitted else rule.action
    return finding(rule, message, action=action, item_line=item.line, evidence=evidence)
