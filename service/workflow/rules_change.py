"""Screening again when a new rulebook comes into force: the shipments whose export date is today or later.

Each is screened with the new rules (and the lists and standing decisions of now); a verdict stricter
than the recorded one raises an alert naming the findings that made it stricter.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from service.engine.checks.clearances import Standing
from service.engine.declaration import Declaration
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import SEVERITY, Action, Outcome
from service.settings import Settings
from service.store.alerts import AlertCause, NewAlert, add_alerts
from service.store.clearances import all_standing
from service.store.screening_parties import leaving_screenings

if TYPE_CHECKING:
    from service.batch.bundle import ContextBundle

logger = logging.getLogger("service.workflow")
PAGE = 1000


@dataclass(frozen=True)
class Recorded:
    """What a rules change compares: a recorded screening's declaration, verdict and rule ids."""

    id: str
    reference: str
    declaration: dict[str, Any]
    verdict: str
    rule_ids: frozenset[str]


def rescreen_rules(engine: Engine, context: ScreeningContext, today: date,
                   claim: Callable[[Session], bool] | None = None,
                   writing: Callable[[], AbstractContextManager[object]] = nullcontext,
                   settings: Settings | None = None) -> int | None:
    """Screen every shipment still to leave with `context`; the number of alerts raised (one transaction,
    with `claim`: None if it returned False, another worker having done it).

    With a Dask scheduler in `settings`, pages of shipments are screened on the cluster's workers, which
    load the rules and lists of `settings` once (service.batch.bundle); the alerts are written here.
    """
    with Session(engine) as session:
        context = dataclasses.replace(context, standing=all_standing(session), retrospective=False)
        pages = _pages(session, today)
        if settings is not None and settings.dask_scheduler:
            alerts = _alerts_on_cluster(pages, context.standing, settings)
        else:
            alerts = [alert for page in pages for alert in stricter_alerts(page, context)]
        with writing():
            raised = len(add_alerts(session, alerts))
            if claim is not None and not claim(session):
                session.rollback()
                return None
            session.commit()
    logger.info("rules change re-screened shipments still to leave: %d alerts", raised)
    return raised


def _pages(session: Session, today: date) -> Iterator[list[Recorded]]:
    """The shipments still to leave, a page at a time, in id order."""
    after = None
    while page := leaving_screenings(session, today, PAGE, after):
        yield [Recorded(row.id, row.reference, row.declaration, row.verdict,
                        frozenset(str(f.get("rule_id")) for f in row.findings)) for row in page]
        after = page[-1].id


def stricter_alerts(page: list[Recorded], context: ScreeningContext) -> list[NewAlert]:
    """The alerts of one page: a shipment whose verdict the new rules make stricter."""
    return [alert for row in page if (alert := _stricter(row, context)) is not None]


def _alerts_on_cluster(pages: Iterator[list[Recorded]], standing: Standing, settings: Settings) -> list[NewAlert]:
    from service.batch.bundle import bundle_context
    from service.batch.cluster import ClusterSession  # imports dask only when a cluster is used

    with ClusterSession(settings.dask_scheduler or "", settings.dask_timeout_seconds, bundle_context(settings),
                        standing) as session:
        return [alert for alerts in session.map(stricter_alerts_on_worker, pages) for alert in alerts]


def stricter_alerts_on_worker(bundle: ContextBundle, standing: Standing, page: list[Recorded]) -> list[NewAlert]:
    """Dask task: stricter_alerts with this worker's context for the bundle and the coordinator's standing."""
    from service.batch.bundle import LOADED

    context = dataclasses.replace(LOADED.context_for(bundle), standing=standing, retrospective=False)
    return stricter_alerts(page, context)


def _stricter(row: Recorded, context: ScreeningContext) -> NewAlert | None:
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
    new = sorted({f.rule_id for f in verdict.findings if f.action is not Action.INFO and f.rule_id not in row.rule_ids})
    message = (f"Under the rulebook now in force ({context.rulebook.version}) the shipment is "
               f"{verdict.verdict.value}, not {row.verdict}: {', '.join(new) or 'stricter findings'}.")
    return NewAlert(cause=AlertCause.RULES_CHANGED, action=verdict.verdict.value, screening_id=row.id,
                    reference=row.reference, message=message)


def _rank(outcome: Outcome) -> int:
    """Lower is stricter, as in SEVERITY (clear ranks after info)."""
    return {Outcome.BLOCK: SEVERITY[Action.BLOCK], Outcome.REVIEW: SEVERITY[Action.REVIEW]}.get(outcome, 3)
