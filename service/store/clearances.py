"""Standing decisions: party clearances and the company's own deny list, written by decisions.

A `release` for `false_positive_party` clears each party the screening held against the exact list
entry (by its content digest); a `hold` for `confirmed_denied_party` puts each held party on the own
deny list. Both are read back for every later screening of the same party names. Revocations stamp the
row and are recorded in the workflow events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from service.engine.checks.clearances import (
    OWN_LIST,
    DeniedParty,
    PartyClearance,
    Standing,
    party_key,
    standing_of,
)
from service.engine.declaration import Declaration
from service.store.database import as_utc, now
from service.store.decisions import DecisionKind, ReasonCode
from service.store.screening_parties import named_parties
from service.store.tables import Decision, Screening
from service.store.workflow_events import record
from service.store.workflow_tables import (
    AlertDecisionRow,
    AlertRow,
    OwnDenialRow,
    PartyClearanceRow,
    StandingVersionRow,
)

HELD = ("review", "block")


def held_parties(screening: Screening) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(party, finding) for each list hit that held the screening (not the info ones, not the own list)."""
    parties = dict(named_parties(screening.declaration))
    held = []
    for finding in screening.findings:
        evidence = finding.get("evidence") or {}
        party = parties.get(finding.get("party_role") or "")
        if (finding.get("category") == "denied_party" and finding.get("action") in HELD and party is not None
                and "entry_id" in evidence and evidence.get("list") != OWN_LIST):
            held.append((party, finding))
    return held


def add_standing(session: Session, decision: Decision, screening: Screening, expiry_days: int) -> list[str]:
    """The clearances or own-list entries a decision implies (in the caller's transaction); what was added."""
    if decision.decision == DecisionKind.RELEASE and decision.reason_code == ReasonCode.FALSE_POSITIVE_PARTY:
        made = _made_by(decision, screening)
        return [f"clearance {row_id}" for row_id in _clear(session, made, held_parties(screening), expiry_days)]
    if decision.decision == DecisionKind.HOLD and decision.reason_code == ReasonCode.CONFIRMED_DENIED_PARTY:
        parties = [party for party, _finding in held_parties(screening)]
        return [f"own deny list {row_id}" for row_id in _deny(session, _made_by(decision, screening), parties)]
    return []


def add_alert_standing(session: Session, decision: AlertDecisionRow, alert: AlertRow, expiry_days: int) -> list[str]:
    """As `add_standing`, for a decision closing a list-change alert (a rules-change alert names no party)."""
    if alert.party_name is None or alert.list_name is None or alert.entry_id is None:
        return []
    made = _Made(alert_decision_id=decision.id, screening_id=alert.screening_id, decided_at=decision.decided_at,
                 key_id=decision.decided_by_key_id, request_id=decision.request_id)
    party = {"name": alert.party_name, "country": alert.party_country}
    if decision.decision == DecisionKind.RELEASE and decision.reason_code == ReasonCode.FALSE_POSITIVE_PARTY:
        if not alert.entry_hash:
            return []
        hit = {"party_role": alert.party_role or "party", "evidence": {
            "list": alert.list_name, "entry_id": alert.entry_id, "entry_hash": alert.entry_hash}}
        return [f"clearance {row_id}" for row_id in _clear(session, made, [(party, hit)], expiry_days)]
    if decision.decision == DecisionKind.HOLD and decision.reason_code == ReasonCode.CONFIRMED_DENIED_PARTY:
        return [f"own deny list {row_id}" for row_id in _deny(session, made, [party])]
    return []


@dataclass(frozen=True)
class _Made:
    """Which decision a clearance or own-list entry comes from, and when and by whom it was taken."""

    decided_at: datetime
    key_id: str
    request_id: str
    screening_id: str | None
    decision_id: int | None = None
    alert_decision_id: int | None = None


def _made_by(decision: Decision, screening: Screening) -> _Made:
    return _Made(decision_id=decision.id, screening_id=screening.id, decided_at=decision.decided_at,
                 key_id=decision.decided_by_key_id, request_id=decision.request_id)


def _clear(session: Session, made: _Made, held: list[tuple[dict[str, Any], dict[str, Any]]],
           expiry_days: int) -> list[int]:
    added = []
    for party, finding in held:
        evidence = finding["evidence"]
        if not evidence.get("entry_hash"):  # an entry this service could not fingerprint is never cleared
            continue
        row = PartyClearanceRow(
            decision_id=made.decision_id, alert_decision_id=made.alert_decision_id, screening_id=made.screening_id,
            party_role=finding["party_role"], party_name=str(party["name"]), name_key=party_key(str(party["name"])),
            country=party.get("country"), list_name=str(evidence["list"]), entry_id=str(evidence["entry_id"]),
            entry_hash=str(evidence["entry_hash"]), created_at=made.decided_at, created_by_key_id=made.key_id,
            expires_at=made.decided_at + timedelta(days=expiry_days),
        )
        session.add(row)
        session.flush()
        record(session, "clearance.created", "clearance", row.id or 0, key_id=made.key_id,
               request_id=made.request_id, data=clearance_data(row))
        added.append(row.id or 0)
    return added


def _deny(session: Session, made: _Made, parties: list[dict[str, Any]]) -> list[int]:
    added: list[int] = []
    seen: set[tuple[str, str | None]] = set()
    for party in parties:
        key, country = party_key(str(party["name"])), party.get("country")
        if (key, country) in seen or _denials(session, [key], country=country):
            continue
        seen.add((key, country))
        row = OwnDenialRow(decision_id=made.decision_id, alert_decision_id=made.alert_decision_id,
                           screening_id=made.screening_id, party_name=str(party["name"]), name_key=key,
                           country=country, created_at=made.decided_at, created_by_key_id=made.key_id)
        session.add(row)
        session.flush()
        record(session, "own_deny_list.added", "own_deny_list", row.id or 0, key_id=made.key_id,
               request_id=made.request_id, data=denial_data(row))
        added.append(row.id or 0)
    return added


def standing_for(session: Session, declarations: Iterable[Declaration], at: datetime | None = None) -> Standing:
    """The clearances in force and the own-list entries for the declarations' party names (one lookup)."""
    return standing_for_names(session, [party.name for declaration in declarations
                                        for _role, party in declaration.named_parties()], at)


def standing_for_names(session: Session, names: Iterable[str], at: datetime | None = None) -> Standing:
    """The clearances in force and the own-list entries for these party names."""
    keys = sorted({party_key(name) for name in names})
    return standing_of(clearances_for(session, keys, at), [denied_party(row) for row in _denials(session, keys)])


def all_standing(session: Session) -> Standing:
    """Every clearance in force and every own-list entry (for a file batch, whose names are not known yet)."""
    cleared = session.exec(select(PartyClearanceRow).where(col(PartyClearanceRow.revoked_at).is_(None))
                           .where(col(PartyClearanceRow.expires_at) > now())).all()
    denied = session.exec(select(OwnDenialRow).where(col(OwnDenialRow.revoked_at).is_(None))).all()
    return standing_of([party_clearance(row) for row in cleared], [denied_party(row) for row in denied])


def standing_version(session: Session) -> int:
    """The number triggers move on with every change to a clearance or an own-list entry (0 if unset)."""
    # the driver's own statement on the session's connection: the audit writer reads it with every commit
    version = session.connection().exec_driver_sql(_VERSION).scalar()
    return int(version or 0)


_VERSION = f"SELECT version FROM {StandingVersionRow.__tablename__} WHERE id = 1"


@dataclass(frozen=True)
class StandingRows:
    """Every clearance not revoked (with its expiry) and every own-list entry not revoked, at `version`."""

    version: int
    clearances: tuple[tuple[PartyClearance, datetime], ...]
    denied: tuple[DeniedParty, ...]


def standing_in_force(session: Session) -> StandingRows:
    """All the standing decisions, for a process to keep in memory; the version is read first, so the
    rows are at least as new as the version they are kept under (a change in between reloads them)."""
    version = standing_version(session)
    cleared = session.exec(select(PartyClearanceRow).where(col(PartyClearanceRow.revoked_at).is_(None))).all()
    denied = session.exec(select(OwnDenialRow).where(col(OwnDenialRow.revoked_at).is_(None))).all()
    return StandingRows(version, tuple((party_clearance(row), as_utc(row.expires_at)) for row in cleared),
                        tuple(denied_party(row) for row in denied))


def clearances_for(session: Session, name_keys: Iterable[str], at: datetime | None = None,
                   ) -> tuple[PartyClearance, ...]:
    """Clearances in force (not revoked, not expired) for these normalised names."""
    keys = list(name_keys)
    if not keys:
        return ()
    query = (select(PartyClearanceRow).where(col(PartyClearanceRow.name_key).in_(keys))
             .where(col(PartyClearanceRow.revoked_at).is_(None))
             .where(col(PartyClearanceRow.expires_at) > (at or now())))
    return tuple(party_clearance(row) for row in session.exec(query).all())


def _denials(session: Session, name_keys: list[str], country: str | None = None) -> list[OwnDenialRow]:
    if not name_keys:
        return []
    query = (select(OwnDenialRow).where(col(OwnDenialRow.name_key).in_(name_keys))
             .where(col(OwnDenialRow.revoked_at).is_(None)))
    if country is not None:
        query = query.where(OwnDenialRow.country == country)
    return list(session.exec(query).all())


def party_clearance(row: PartyClearanceRow) -> PartyClearance:
    """The engine's view of a stored clearance."""
    in_alert = row.alert_decision_id is not None
    return PartyClearance(decision_id=(row.alert_decision_id if in_alert else row.decision_id) or 0,
                          decided_on=row.created_at.date(), reviewer=row.created_by_key_id, name_key=row.name_key,
                          country=row.country, list_name=row.list_name, entry_id=row.entry_id,
                          entry_hash=row.entry_hash, decided_in="alert" if in_alert else "screening")


def denied_party(row: OwnDenialRow) -> DeniedParty:
    """The engine's view of an own-list entry."""
    in_alert = row.alert_decision_id is not None
    return DeniedParty(id=row.id or 0, name=row.party_name, name_key=row.name_key, country=row.country,
                       decision_id=row.alert_decision_id if in_alert else row.decision_id,
                       decided_in="alert" if in_alert else "screening")


def list_clearances(session: Session, *, active: bool | None, limit: int, after: int | None,
                    ) -> list[PartyClearanceRow]:
    """Clearances, newest first; `active` True: in force only, False: revoked or expired only."""
    query = select(PartyClearanceRow)
    moment = now()
    if active is True:
        query = query.where(col(PartyClearanceRow.revoked_at).is_(None)).where(
            col(PartyClearanceRow.expires_at) > moment)
    elif active is False:
        query = query.where((col(PartyClearanceRow.revoked_at).is_not(None))
                            | (col(PartyClearanceRow.expires_at) <= moment))
    if after is not None:
        query = query.where(col(PartyClearanceRow.id) < after)
    return list(session.exec(query.order_by(col(PartyClearanceRow.id).desc()).limit(limit)).all())


def list_denials(session: Session, *, active: bool | None, limit: int, after: int | None) -> list[OwnDenialRow]:
    """Own deny list entries, newest first."""
    query = select(OwnDenialRow)
    if active is True:
        query = query.where(col(OwnDenialRow.revoked_at).is_(None))
    elif active is False:
        query = query.where(col(OwnDenialRow.revoked_at).is_not(None))
    if after is not None:
        query = query.where(col(OwnDenialRow.id) < after)
    return list(session.exec(query.order_by(col(OwnDenialRow.id).desc()).limit(limit)).all())


def revoke_clearance(session: Session, row: PartyClearanceRow, key_id: str, request_id: str, note: str) -> None:
    """Stamp the clearance revoked and record who did it and why."""
    row.revoked_at, row.revoked_by_key_id = now(), key_id
    session.add(row)
    record(session, "clearance.revoked", "clearance", row.id or 0, key_id=key_id, request_id=request_id,
           data={**clearance_data(row), "note": note})


def revoke_denial(session: Session, row: OwnDenialRow, key_id: str, request_id: str, note: str) -> None:
    """Take a party off the own deny list and record who did it and why."""
    row.revoked_at, row.revoked_by_key_id = now(), key_id
    session.add(row)
    record(session, "own_deny_list.revoked", "own_deny_list", row.id or 0, key_id=key_id, request_id=request_id,
           data={**denial_data(row), "note": note})


def clearance_data(row: PartyClearanceRow) -> dict[str, Any]:
    """A clearance as recorded in the workflow events."""
    return {"decision_id": row.decision_id, "alert_decision_id": row.alert_decision_id,
            "screening_id": row.screening_id, "party_name": row.party_name, "country": row.country,
            "list": row.list_name, "entry_id": row.entry_id, "entry_hash": row.entry_hash}


def denial_data(row: OwnDenialRow) -> dict[str, Any]:
    """An own-list entry as recorded in the workflow events."""
    return {"decision_id": row.decision_id, "alert_decision_id": row.alert_decision_id,
            "screening_id": row.screening_id, "party_name": row.party_name, "country": row.country}

