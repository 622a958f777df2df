"""The export date against the screening date: a past export date is a rules question, not a typo.

The rules applied are those in force on the export date. A shipment screened today with an export date
years back would get the rules of back then (a machining centre to Russia in 2021 was clear), while the
goods, if they leave now, fall under today's rules. Unless the screening is an explicit audit of a past
shipment (retrospective mode), an export date too far in the past is a review finding.
"""

from __future__ import annotations

from datetime import date

from service.engine.checks.text import iso
from service.engine.declaration import Declaration
from service.engine.verdict import Action, Category, Finding, outcome_of

EXPORT_DATE_PAST = "EXPORT-DATE-PAST"


def lies_in_past(declaration: Declaration, today: date, past_days: int) -> bool:
    """Whether the export date lies more than `past_days` before the screening date."""
    return (today - declaration.export_date).days > past_days


def backdating_findings(declaration: Declaration, today: date, leaving_today: list[Finding]) -> list[Finding]:
    """The review for a past export date; `leaving_today` are the rules' findings (parties aside) had the
    goods left today, summarised so the reviewer sees what a shipment leaving now would get."""
    days = (today - declaration.export_date).days
    outcome = outcome_of(leaving_today)
    rules = sorted({f.rule_id for f in leaving_today if f.action is not Action.INFO})
    today_says = f"{outcome.value}" + (f" ({', '.join(rules)})" if rules else "")
    message = (
        f"The export date {iso(declaration.export_date)} lies in the past ({days} days before the screening "
        f"date {iso(today)}): rules applied as of then; a shipment leaving now is screened as of today, and "
        f"as of today the rules say {today_says}, denied-party lists aside. Correct the export date to the day "
        "the goods leave, or screen in retrospective mode to audit a past shipment."
    )
    return [Finding(
        rule_id=EXPORT_DATE_PAST, category=Category.INCOMPLETE_DATA, action=Action.REVIEW, message=message,
        legal_basis=(
            "Foreign Trade Act Art. 13: the controls in force when the goods are exported apply; the export "
            "date is the day the goods leave"
        ),
        source="export-screen screening policy (docs/rules.md, export dates)",
        evidence={"export_date": iso(declaration.export_date), "screening_date": iso(today), "days_before": days,
                  "as_of_today": {"verdict": outcome.value, "rules": rules}},
    )]
