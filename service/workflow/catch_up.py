"""After the lists or the rules in force change, by a reload or a restart: screen again what may still leave.

The database keeps what the watched shipments were last screened against (each entry's digest, the list
versions, the rulebook version). Every load compares itself with that baseline. The first load only
records it. A change is screened again once: processes on PostgreSQL take their turn under an advisory
lock, so the first does the work and the others find the baseline moved; and whatever the database, the
worker whose conditional update of the baseline succeeds commits the alerts with it, any other worker's
transaction is rolled back.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.batch.screening import ClusterUnavailable, ContextUnavailable
from service.engine.checks.clearances import entry_digest
from service.engine.screen import ScreeningContext
from service.runtime import build_party_index
from service.settings import Settings
from service.store.leases import lock_key, singleton
from service.store.list_states import (
    claim_lists,
    claim_rules,
    create_baseline,
    read_baseline,
    save_states,
    stored_states,
)
from service.store.workflow_events import record
from service.workflow.delta import delta_from_states
from service.workflow.rescreen import Rescreened, Writing, rescreen_lists
from service.workflow.rules_change import rescreen_rules

logger = logging.getLogger("service.workflow")
CATCH_UP_LOCK = lock_key("export-screen:catch-up")


@dataclass(frozen=True)
class CaughtUp:
    """What the catch-up did: the list re-screening, and the alerts of a rules change (None: not this worker)."""

    lists: Rescreened | None
    rules_alerts: int | None


def lists_fingerprint(context: ScreeningContext) -> str:
    """One value for the list versions in force (name and content hash of each)."""
    stamps = sorted(f"{stamp.name}:{stamp.version}" for stamp in context.parties.stamps()) if context.parties else []
    return hashlib.sha256("\n".join(stamps).encode()).hexdigest()


def catch_up(engine: Engine, settings: Settings, context: ScreeningContext, request_id: str | None = None,
             writing: Writing = nullcontext) -> CaughtUp | None:
    """Screen again what changed since the baseline; None if nothing did (or this is the first load).

    A failure (the database, or the Dask cluster that re-screens on a rules change) is logged and recorded;
    the new lists and rules stay in force, and the next load tries again (the baseline only moves with the
    alerts).
    """
    if context.parties is None:  # nothing is screened, so there is nothing to compare
        return None
    try:
        # one process at a time (replicas starting together); the next finds the baseline moved: nothing to do
        with singleton(engine, CATCH_UP_LOCK, wait=True):
            return _catch_up(engine, settings, context, request_id, writing)
    except (SQLAlchemyError, ValueError, ClusterUnavailable, ContextUnavailable) as exc:
        logger.error("re-screening after a change of lists or rules failed: %s", exc)
        _record_failure(engine, str(exc), request_id)
        return None


def _catch_up(engine: Engine, settings: Settings, context: ScreeningContext, request_id: str | None,
              writing: Writing) -> CaughtUp | None:
    fingerprint, rules = lists_fingerprint(context), context.rulebook.version
    with Session(engine) as session:
        baseline = read_baseline(session)
        old_fingerprint, old_rules = (baseline.lists_fingerprint, baseline.rulebook_version) if baseline else ("", "")
    if baseline is not None and (old_fingerprint, old_rules) == (fingerprint, rules):
        return None
    digests = {key: entry_digest(entry) for key, entry in context.entries.items()}
    if baseline is None:
        _first_baseline(engine, digests, fingerprint, rules)
        return None
    today = context.today()
    rules_alerts = None
    if old_rules != rules:
        rules_alerts = rescreen_rules(engine, context, today, lambda s: claim_rules(s, old_rules, rules), writing,
                                      settings)
    lists = None
    if old_fingerprint != fingerprint:
        with Session(engine) as session:
            stored = stored_states(session)
        delta = delta_from_states(stored, context.entries, digests)
        changed = {(entry.source_list, entry.id): digests[(entry.source_list, entry.id)] for entry in delta.changed}

        def claim(session: Session) -> bool:
            save_states(session, changed, delta.removed)
            return claim_lists(session, old_fingerprint, fingerprint)

        lists = rescreen_lists(engine, delta, lambda entries: build_party_index(settings, entries, []), today,
                               request_id, claim, writing, settings)
    _record_done(engine, lists, rules_alerts, request_id)
    return CaughtUp(lists, rules_alerts)


def _first_baseline(engine: Engine, digests: dict[tuple[str, str], str], fingerprint: str, rules: str) -> None:
    """Record what the first load holds; there is nothing earlier to compare it with."""
    with Session(engine) as session:
        save_states(session, digests, [])
        if create_baseline(session, fingerprint, rules):
            session.commit()
            logger.info("list baseline recorded: %d entries", len(digests))
        else:
            session.rollback()


def _record_done(engine: Engine, lists: Rescreened | None, rules_alerts: int | None, request_id: str | None) -> None:
    data = {"rules_alerts": rules_alerts, **({key: value for key, value in lists.__dict__.items()} if lists else {})}
    with Session(engine) as session:
        record(session, "rescreen.done", "lists", "baseline", request_id=request_id, data=data)
        session.commit()


def _record_failure(engine: Engine, error: str, request_id: str | None) -> None:
    try:
        with Session(engine) as session:
            record(session, "rescreen.failed", "lists", "baseline", request_id=request_id,
                   data={"error": error[:2000]})
            session.commit()
    except SQLAlchemyError:
        logger.error("the failed re-screening could not be recorded either")
