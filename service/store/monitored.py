"""Monitored parties: the ERP's customer and supplier master, screened again on every list change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from service.store.database import now
from service.store.workflow_events import record
from service.store.workflow_tables import MonitoredPartyRow


def monitored_names(session: Session) -> list[tuple[str, str, str | None]]:
    """(external id, name, country) for every registered party's name and each of its aliases."""
    query = select(MonitoredPartyRow).where(col(MonitoredPartyRow.deleted_at).is_(None))
    names = []
    for row in session.exec(query).all():
        for name in dict.fromkeys([row.name, *row.aliases]):
            names.append((row.external_id, name, row.country))
    return names


def get_party(session: Session, external_id: str) -> MonitoredPartyRow | None:
    """A registered party (deleted ones too)."""
    return session.get(MonitoredPartyRow, external_id)


def list_parties(session: Session, limit: int, after: str | None) -> list[MonitoredPartyRow]:
    """Registered parties by external id."""
    query = select(MonitoredPartyRow).where(col(MonitoredPartyRow.deleted_at).is_(None))
    if after is not None:
        query = query.where(col(MonitoredPartyRow.external_id) > after)
    return list(session.exec(query.order_by(col(MonitoredPartyRow.external_id)).limit(limit)).all())


def put_party(session: Session, external_id: str, fields: dict[str, Any], result: dict[str, Any], key_id: str,
              request_id: str | None) -> tuple[MonitoredPartyRow, bool]:
    """Register or update a party with its latest screening result; True if it was new. Recorded."""
    row = session.get(MonitoredPartyRow, external_id)
    moment = now()
    created = row is None or row.deleted_at is not None
    if row is None:
        row = MonitoredPartyRow(external_id=external_id, created_at=moment, **fields, updated_at=moment,
                                updated_by_key_id=key_id, last_screened_at=moment, last_result=result)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at, row.updated_by_key_id, row.deleted_at = moment, key_id, None
        row.last_screened_at, row.last_result = moment, result
    session.add(row)
    record(session, "party.registered" if created else "party.updated", "party", external_id, key_id=key_id,
           request_id=request_id, data=fields)
    return row, created


def delete_party(session: Session, row: MonitoredPartyRow, key_id: str, request_id: str | None) -> None:
    """Stop monitoring a party (the row stays, stamped); recorded."""
    row.deleted_at = now()
    session.add(row)
    record(session, "party.deleted", "party", row.external_id, key_id=key_id, request_id=request_id, data={})
