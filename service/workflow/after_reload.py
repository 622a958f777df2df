"""What a reload that put new lists or rules in force sets off: the re-screenings, and their record."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.engine.screen import ScreeningContext
from service.runtime import build_party_index
from service.settings import Settings
from service.store.workflow_events import record
from service.workflow.delta import list_delta
from service.workflow.rescreen import Rescreened, rescreen_lists
from service.workflow.rules_change import rescreen_rules

logger = logging.getLogger("service.workflow")


@dataclass(frozen=True)
class AfterReload:
    """The list re-screening's outcome and the alerts a rules change raised."""

    lists: Rescreened
    rules_alerts: int


def after_reload(engine: Engine, settings: Settings, previous: ScreeningContext | None, current: ScreeningContext,
                 request_id: str | None = None) -> AfterReload | None:
    """Re-screen against what changed from `previous` to `current`; None if it could not be done.

    A failure is logged and recorded (the reload itself stands: the new lists and rules are in force).
    """
    if previous is None:  # nothing was in force before, so there is no delta to take
        return None
    today = current.today()
    try:
        delta = list_delta(previous.entries, current.entries)
        lists = rescreen_lists(engine, delta, lambda entries: build_party_index(settings, entries, []), today,
                               request_id)
        rules = (rescreen_rules(engine, current, today, request_id)
                 if previous.rulebook.version != current.rulebook.version else 0)
    except (SQLAlchemyError, ValueError) as exc:
        logger.error("re-screening after the reload failed: %s", exc)
        _record_failure(engine, str(exc), request_id)
        return None
    if lists.changed_entries or lists.removed_entries or rules:
        with Session(engine) as session:
            record(session, "rescreen.done", "reload", request_id or "-", request_id=request_id,
                   data={**lists.__dict__, "rules_alerts": rules})
            session.commit()
    return AfterReload(lists, rules)


def _record_failure(engine: Engine, error: str, request_id: str | None) -> None:
    try:
        with Session(engine) as session:
            record(session, "rescreen.failed", "reload", request_id or "-", request_id=request_id,
                   data={"error": error[:2000]})
            session.commit()
    except SQLAlchemyError:
        logger.error("the failed re-screening could not be recorded either")
