"""The reviewers' standing decisions added to the screening context for one request or one file batch.

`POST /v1/screenings` takes them from a copy each API process keeps in memory (`StandingBook`), not from
two queries per request. The copy carries the number of the `standing_version` row it was read at;
database triggers move that number on with every change to a clearance or an own-list entry, whoever
makes it (any worker, any replica, a script). The audit writer reads the number in the transaction that
records the screening and refuses to commit a screening made with an older copy: the copy is read again
and the declaration screened again (service/api/audit_writer.py). So no screening is recorded or
answered with standing decisions older than the last change committed before its own record.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from service.engine.checks.clearances import DeniedParty, PartyClearance, Standing, party_key
from service.engine.declaration import Declaration
from service.engine.screen import ScreeningContext
from service.store.clearances import StandingRows, all_standing, standing_for, standing_in_force
from service.store.database import now

logger = logging.getLogger("service.api")


def with_standing(session: Session, context: ScreeningContext, declarations: list[Declaration]) -> ScreeningContext:
    """The context with the clearances in force and the own deny list for these declarations' parties."""
    standing = standing_for(session, declarations)
    return dataclasses.replace(context, standing=standing) if standing else context


def with_all_standing(session: Session, context: ScreeningContext) -> ScreeningContext:
    """The context with every clearance in force and the whole own deny list (for a file batch)."""
    standing = all_standing(session)
    return dataclasses.replace(context, standing=standing) if standing else context


@dataclass(frozen=True)
class StandingCopy:
    """The standing decisions as read at one version, by normalised party name."""

    version: int
    clearances: dict[str, tuple[tuple[PartyClearance, datetime], ...]] = field(default_factory=dict)
    denied: dict[str, tuple[DeniedParty, ...]] = field(default_factory=dict)

    def for_names(self, names: Iterable[str], at: datetime) -> Standing:
        """What a screening of these party names applies: clearances not expired at `at`, own-list entries."""
        keys = {party_key(name) for name in names}
        cleared = {key: in_force for key in keys
                   if (in_force := tuple(clearance for clearance, expires in self.clearances.get(key, ())
                                         if expires > at))}
        denied = {key: self.denied[key] for key in keys if key in self.denied}
        return Standing(cleared, denied)

    def apply(self, context: ScreeningContext, declaration: Declaration) -> ScreeningContext:
        """The context for screening `declaration` with this copy's decisions on its parties."""
        standing = self.for_names((party.name for _role, party in declaration.named_parties()), now())
        return dataclasses.replace(context, standing=standing) if standing else context


def standing_copy(rows: StandingRows) -> StandingCopy:
    """The rows grouped by normalised name."""
    cleared: dict[str, list[tuple[PartyClearance, datetime]]] = {}
    for clearance, expires in rows.clearances:
        cleared.setdefault(clearance.name_key, []).append((clearance, expires))
    denied: dict[str, list[DeniedParty]] = {}
    for party in rows.denied:
        denied.setdefault(party.name_key, []).append(party)
    return StandingCopy(rows.version, {key: tuple(found) for key, found in cleared.items()},
                        {key: tuple(found) for key, found in denied.items()})


class StandingBook:
    """This process's copy of the standing decisions; read again when the audit writer finds it outdated."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._copy: StandingCopy | None = None
        self._reading = threading.Lock()

    def current(self) -> StandingCopy | None:
        """The copy to screen with, or None when it must be read first (`read`, in a thread)."""
        return self._copy

    def forget(self) -> None:
        """Drop the copy: this process has just changed a standing decision (read again on next use)."""
        self._copy = None

    def outdated(self, version: int) -> None:
        """The database is at `version`: drop a copy of another version (it is read again on next use)."""
        copy = self._copy
        if copy is not None and copy.version != version:
            self._copy = None

    def read(self) -> StandingCopy:
        """The copy, read from the database unless a current one is there (one reader at a time)."""
        with self._reading:
            copy = self._copy
            if copy is None:
                with Session(self.engine) as session:
                    copy = standing_copy(standing_in_force(session))
                self._copy = copy
                logger.info("standing decisions read at version %d", copy.version)
            return copy
