"""Screening again when a new rulebook comes into force: the shipments whose export date is today or later.

Each is screened with the new rules (and the lists and standing decisions of now); a verdict stricter
than the recorded one raises an alert naming the findings that made it stricter.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from service.engine.declaration import Declaration
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import SEVERITY, Action, Outcome
from service.store.alerts import AlertCause, NewAlert, add_alerts
from service.store.clearances import all_standing
from service.store.screening_parties import leaving_screenings
from service.store.tables import Screening

logger = logging.getLogger("service.workflow")
PAGE = 1000


def rescreen_rules(engine: Engine, context: ScreeningContext, today: date,
                   claim: Callable[[Session], bool] | None = None,
                   writing: Callable[[], AbstractContextManager[object]] = nullcontext) -> int | None:
    """Screen every shipment still to leave with `context`; the number of alerts raised (one transaction,
    with `claim`: None if it returned False, another worker having done it)."""
    alerts: list[NewAlert] = []
    after = None
    with Session(engine) as session:
        context = dataclasses.replace(context, standing=all_standing(session), retrospective=False)
        while page := leaving_screenings(session, today, PAGE, after):
            alerts.extend(alert for row in page if (alert := _stricter(row, context)) is not None)
            after = page[-1].id
        with writing():
            raised = len(add_alerts(session, alerts))
            if claim is not None and not claim(session):
                session.rollback()
                return None
            session.commit()
    logger.info("rules change re-screened shipments still to leave: %d alerts", raised)
    return raised


def _stricter(row: Screening, context: ScreeningContext) -> NewAlert | None:
    """An alert if the new rules give a stricter verdict than the recorded one."""
    try:
        declaration = Declaration.model_validate(row.declaration)
    except ValidationError:  # recorded under older rules that no longer accept it: a reviewer must look
        return NewAlert(cause=AlertCause.RULES_CHANGED, action=Action.REVIEW.value, screening_id=row.id,
                        reference=row.reference, message="The recorded declaration no longer validates under the "
                        "rules now in force; screen the shipment again before it leaves.")
    verdict = screen(declaration, context)
    if _rank(verdict.verdict) >= _rank(Outcome(row.verdict)):
        return None
    before = {finding.get("rule_id") for finding in row.findings}
    new = sorted({f.rule_id for f in verdict.findings if f.action is not Action.INFO and f.rule_id not in before})
    message = (f"Under the rulebook now in force ({context.rulebook.version}) the shipment is "
               f"{verdict.verdict.value}, not {row.verdict}: {', '.join(new) or 'stricter findings'}.")
    return NewAlert(cause=AlertCause.RULES_CHANGED, action=verdict.verdict.value, screening_id=row.id,
                    reference=row.reference, message=message)


def _rank(outcome: Outcome) -> int:
    """Lower is stricter, as in SEVERITY (clear ranks after info)."""
    return {Outcome.BLOCK: SEVERITY[Action.BLOCK], Outcome.REVIEW: SEVERITY[Action.REVIEW]}.get(outcome, 3)
