"""Screening again when a list changes: the parties of shipments still to leave, and the monitored
parties, against the added and changed entries only.

A small index is built over the delta, so the cost grows with the number of distinct parties and the
size of the change, not with the size of the lists or of the audit trail. A hit that a clearance in
force covers, or that an open alert already reports, raises nothing; every other hit becomes an alert.
Open alerts resting on an entry that left its list are closed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from service.engine.checks.clearances import PartyClearance, entry_digest, party_key
from service.engine.checks.parties import PartyHit, PartyScreener
from service.engine.parties.entry import ListEntry
from service.settings import Settings
from service.store.alerts import AlertCause, NewAlert, add_alerts, close_for_removed_entries, open_alert_keys
from service.store.clearances import clearances_for
from service.store.monitored import monitored_names
from service.store.screening_parties import watched_parties, watched_rows
from service.workflow.delta import EntryKey, ListDelta

logger = logging.getLogger("service.workflow")
IndexBuilder = Callable[[list[ListEntry]], PartyScreener]
Claim = Callable[[Session], bool]  # called before the commit; False: another worker did it, roll back
Writing = Callable[[], AbstractContextManager[object]]  # held while writing (the API's one SQLite writer)
Party = tuple[str, str | None]  # (name as screened, country)
PARTIES_PER_TASK = 2000  # distinct parties matched by one task on a cluster


@dataclass(frozen=True)
class Rescreened:
    """What a re-screening did: how many parties it screened, hits, alerts raised and closed, and how long."""

    changed_entries: int = 0
    removed_entries: int = 0
    parties: int = 0
    hits: int = 0
    alerts_raised: int = 0
    alerts_closed: int = 0
    claimed: bool = True  # False: another worker raised the alerts for this change
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase: parties, index, match, alerts


def rescreen_lists(engine: Engine, delta: ListDelta, build: IndexBuilder, today: date,
                   request_id: str | None = None, claim: Claim | None = None,
                   writing: Writing = nullcontext, settings: Settings | None = None) -> Rescreened:
    """Screen every watched party against the delta and record the alerts (one transaction, with `claim`).

    With a Dask scheduler in `settings`, the parties are matched on the cluster's workers: the delta is
    shipped once and each worker builds its index once; the alerts are written here.
    """
    started = time.perf_counter()
    entries = {(entry.source_list, entry.id): entry for entry in delta.changed}
    phases: dict[str, float] = {}
    clock = _Clock(phases)
    with Session(engine) as session:
        # Removals alone close alerts; only added or changed entries need anyone screened.
        parties = watched_parties(session, today) if delta.changed else []
        monitored = monitored_names(session) if delta.changed else []
        clock.lap("parties")
        everyone = [*parties, *((name, country) for _, name, country in monitored)]
        if settings is not None and settings.dask_scheduler and delta.changed:
            hits = _hits_on_cluster(delta.changed, everyone, settings)
            clock.lap("match")
        else:
            index = build(delta.changed) if delta.changed else None
            clock.lap("index")
            hits = _hits(index, everyone) if index else {}
            clock.lap("match")
        alerts = _alerts(session, hits, entries, monitored, today) if hits else []
        with writing():
            raised = add_alerts(session, alerts)
            closed = close_for_removed_entries(session, delta.removed, request_id)
            if claim is not None and not claim(session):
                session.rollback()
                return Rescreened(claimed=False)
            session.commit()
        clock.lap("alerts")
    outcome = Rescreened(len(delta.changed), len(delta.removed), len(set(parties)) + len(monitored),
                         sum(len(found) for found in hits.values()), len(raised), len(closed), True,
                         round(time.perf_counter() - started, 2), phases)
    logger.info("list change re-screened: %s", outcome)
    return outcome


class _Clock:
    """Seconds spent in each phase, for the log and the benchmark."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases, self.last = phases, time.perf_counter()

    def lap(self, phase: str) -> None:
        moment = time.perf_counter()
        self.phases[phase], self.last = round(moment - self.last, 2), moment


def _hits(index: PartyScreener, parties: Sequence[Party]) -> dict[Party, list[PartyHit]]:
    """The delta's hits for each distinct party (most parties have none)."""
    found: dict[Party, list[PartyHit]] = {}
    for party in dict.fromkeys(parties):
        hits = index.match(*party)
        if hits:
            found[party] = hits
    return found


@dataclass(frozen=True)
class DeltaIndex:
    """The added and changed entries and the settings to index them with, named by a content hash."""

    digest: str
    entries: list[ListEntry]
    settings: Settings


def delta_index(entries: list[ListEntry], settings: Settings) -> DeltaIndex:
    """The delta as shipped to a cluster (the database URL removed: a worker never needs it)."""
    shipped = settings.model_copy(update={"database_url": ""})
    digest = hashlib.sha256(shipped.model_dump_json(exclude={"database_url", "data_dir", "rules_dir",
                                                             "lists_dir"}).encode())
    for entry in entries:
        digest.update(f"{entry.source_list}\0{entry.id}\0{entry_digest(entry)}\n".encode())
    return DeltaIndex("sha256:" + digest.hexdigest(), entries, shipped)


def _hits_on_cluster(entries: list[ListEntry], parties: Sequence[Party],
                     settings: Settings) -> dict[Party, list[PartyHit]]:
    from service.batch.cluster import ClusterSession  # imports dask only when a cluster is used

    distinct = list(dict.fromkeys(parties))
    pages = [distinct[start:start + PARTIES_PER_TASK] for start in range(0, len(distinct), PARTIES_PER_TASK)]
    found: dict[Party, list[PartyHit]] = {}
    with ClusterSession(settings.dask_scheduler or "", settings.dask_timeout_seconds,
                        delta_index(entries, settings)) as session:
        for hits in session.map(hits_on_worker, pages):
            found.update(hits)
    return found


_DELTA: dict[str, PartyScreener] = {}  # per worker process: the index of the last delta it was sent
_DELTA_LOCK = threading.Lock()


def hits_on_worker(delta: DeltaIndex, parties: list[Party]) -> dict[Party, list[PartyHit]]:
    """Dask task: the delta's hits for these parties, with this worker's index of the delta (built once)."""
    from service.runtime import build_party_index

    with _DELTA_LOCK:
        index = _DELTA.get(delta.digest)
        if index is None:
            _DELTA.clear()
            index = _DELTA[delta.digest] = build_party_index(delta.settings, delta.entries, [])
    return _hits(index, parties)


def _alerts(session: Session, hits: dict[Party, list[PartyHit]], entries: dict[EntryKey, ListEntry],
            monitored: list[tuple[str, str, str | None]], today: date) -> list[NewAlert]:
    """One alert per watched shipment party (or monitored party) and new hit, unless cleared or open."""
    names = sorted({name for name, _ in hits})
    cleared = _clearances(session, names)
    already = open_alert_keys(session, sorted({(hit.list_name, hit.entry_id) for found in hits.values()
                                               for hit in found}))
    alerts = []
    for row in watched_rows(session, names, today):
        for hit in hits.get((row.name, row.country), []):
            listed_on = entries[(hit.list_name, hit.entry_id)].listed_on
            if ((row.screening_id, None, hit.list_name, hit.entry_id) in already
                    or _is_cleared(cleared, row.name, row.country, hit, entries)
                    or (listed_on is not None and row.export_date < listed_on)):
                continue
            alerts.append(_alert(hit, row.role, row.name, row.country, entries, screening_id=row.screening_id,
                                 reference=row.reference))
    for external_id, name, country in monitored:
        for hit in hits.get((name, country), []):
            if ((None, external_id, hit.list_name, hit.entry_id) not in already
                    and not _is_cleared(cleared, name, country, hit, entries)):
                alerts.append(_alert(hit, "monitored", name, country, entries, party_external_id=external_id))
                already.add((None, external_id, hit.list_name, hit.entry_id))
    return alerts


def _clearances(session: Session, names: list[str]) -> dict[str, list[PartyClearance]]:
    grouped: dict[str, list[PartyClearance]] = {}
    for clearance in clearances_for(session, {party_key(name) for name in names}):
        grouped.setdefault(clearance.name_key, []).append(clearance)
    return grouped


def _is_cleared(cleared: dict[str, list[PartyClearance]], name: str, country: str | None, hit: PartyHit,
                entries: dict[EntryKey, ListEntry]) -> bool:
    """A clearance in force for this party against the entry exactly as it now reads."""
    digest = entry_digest(entries[(hit.list_name, hit.entry_id)])
    return any(c.list_name == hit.list_name and c.entry_id == hit.entry_id and c.entry_hash == digest
               and c.country == country for c in cleared.get(party_key(name), []))


def _alert(hit: PartyHit, role: str, name: str, country: str | None, entries: dict[EntryKey, ListEntry],
           **where: str) -> NewAlert:
    verb = "matches" if hit.action.value == "block" else "resembles"
    message = (f'After a list change, the {role.replace("_", " ")} "{name}" {verb} "{hit.matched_name}" on '
               f"{hit.list_name} (entry {hit.entry_id}, score {hit.score:.0f}): {hit.explanation}.")
    return NewAlert(cause=AlertCause.LIST_CHANGED, action=hit.action.value, message=message, party_role=role,
                    party_name=name, party_country=country, list_name=hit.list_name, entry_id=hit.entry_id,
                    entry_hash=entry_digest(entries[(hit.list_name, hit.entry_id)]), listed_name=hit.listed_name,
                    score=round(hit.score, 1), **where)
