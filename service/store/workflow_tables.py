"""The tables of the review workflow: standing decisions, alerts, monitored parties, and what was recorded.

Created by migration 0009. Rows that record an act (an alert, a decision on it, a workflow event) are
appended and never changed; a clearance, an own-list entry or a monitored party is revoked or deleted by
stamping it, and the act is recorded in `workflow_events`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlmodel import Field, SQLModel


def _moment(nullable: bool = False) -> Any:
    default = None if nullable else ...
    return Field(default=default, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _text(length: int, nullable: bool = False) -> Any:
    default = None if nullable else ...
    return Field(default=default, sa_column=Column(String(length), nullable=nullable))


class ScreeningParty(SQLModel, table=True):
    """One named party of a recorded screening, kept apart so a list change finds whom to screen again."""

    __tablename__ = "screening_parties"
    __table_args__ = (
        Index("ix_screening_parties_export_date", "export_date"),
        Index("ix_screening_parties_name", "name"),
        Index("ix_screening_parties_screening_id", "screening_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    screening_id: str = Field(sa_column=Column(String(36), ForeignKey("screenings.id"), nullable=False))
    reference: str = _text(200)
    role: str = _text(40)
    name: str = _text(500)
    country: str | None = _text(2, nullable=True)
    export_date: date = Field(sa_column=Column(Date, nullable=False))


class PartyClearanceRow(SQLModel, table=True):
    """A party cleared against one list entry (as its content stood) by a false-positive release."""

    __tablename__ = "party_clearances"
    __table_args__ = (Index("ix_party_clearances_name_key", "name_key"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    # Exactly one of the two: the screening decision or the alert decision that cleared the party.
    decision_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("decisions.id"),
                                                                   nullable=True))
    alert_decision_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("alert_decisions.id"),
                                                                         nullable=True))
    screening_id: str | None = _text(36, nullable=True)
    party_role: str = _text(40)
    party_name: str = _text(500)
    name_key: str = _text(500)
    country: str | None = _text(2, nullable=True)
    list_name: str = _text(80)
    entry_id: str = _text(200)
    entry_hash: str = _text(80)
    created_at: datetime = _moment()
    created_by_key_id: str = _text(32)
    expires_at: datetime = _moment()
    revoked_at: datetime | None = _moment(nullable=True)
    revoked_by_key_id: str | None = _text(32, nullable=True)


class OwnDenialRow(SQLModel, table=True):
    """A party on the company's own deny list, put there by a confirmed-denied-party hold."""

    __tablename__ = "own_deny_list"
    __table_args__ = (Index("ix_own_deny_list_name_key", "name_key"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    decision_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("decisions.id"),
                                                                   nullable=True))
    alert_decision_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("alert_decisions.id"),
                                                                         nullable=True))
    screening_id: str | None = _text(36, nullable=True)
    party_name: str = _text(500)
    name_key: str = _text(500)
    country: str | None = _text(2, nullable=True)
    created_at: datetime = _moment()
    created_by_key_id: str = _text(32)
    revoked_at: datetime | None = _moment(nullable=True)
    revoked_by_key_id: str | None = _text(32, nullable=True)


class StandingVersionRow(SQLModel, table=True):
    """One row whose number changes whenever a clearance or an own-list entry does (database triggers,
    migration 0016), so each API process can keep the standing decisions in memory and notice a change
    with one trivial read."""

    __tablename__ = "standing_version"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))


class AlertRow(SQLModel, table=True):
    """A new hit (or a stricter verdict) found by screening a shipment or a monitored party again."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_status", "status", "id"),
        Index("ix_alerts_entry", "list_name", "entry_id"),
        Index("ix_alerts_screening_id", "screening_id"),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # UUIDv7: sorts by creation time
    created_at: datetime = _moment()
    cause: str = _text(16)
    screening_id: str | None = _text(36, nullable=True)
    party_external_id: str | None = _text(200, nullable=True)
    reference: str | None = _text(200, nullable=True)
    party_role: str | None = _text(40, nullable=True)
    party_name: str | None = _text(500, nullable=True)
    party_country: str | None = _text(2, nullable=True)
    list_name: str | None = _text(80, nullable=True)
    entry_id: str | None = _text(200, nullable=True)
    entry_hash: str | None = _text(80, nullable=True)  # the entry's content as the hit saw it
    listed_name: str | None = _text(500, nullable=True)
    score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    action: str = _text(8)
    message: str = Field(sa_column=Column(Text, nullable=False))
    status: str = _text(8)
    closed_by: str | None = _text(40, nullable=True)
    closed_at: datetime | None = _moment(nullable=True)


class AlertDecisionRow(SQLModel, table=True):
    """A reviewer's decision closing an alert; appended, never changed."""

    __tablename__ = "alert_decisions"
    __table_args__ = (Index("ix_alert_decisions_alert_id", "alert_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    alert_id: str = Field(sa_column=Column(String(36), ForeignKey("alerts.id"), nullable=False))
    decision: str = _text(8)
    reason_code: str = _text(40)
    note: str = Field(sa_column=Column(Text, nullable=False))
    decided_at: datetime = _moment()
    decided_by_key_id: str = _text(32)
    decided_by_role: str = _text(16)
    request_id: str = _text(128)


class MonitoredPartyRow(SQLModel, table=True):
    """A customer or supplier from the ERP's master data, screened again on every list change."""

    __tablename__ = "monitored_parties"

    external_id: str = Field(sa_column=Column(String(200), primary_key=True))
    name: str = _text(500)
    country: str | None = _text(2, nullable=True)
    aliases: list[str] = Field(sa_column=Column(JSON, nullable=False))
    addresses: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _moment()
    updated_at: datetime = _moment()
    updated_by_key_id: str = _text(32)
    last_screened_at: datetime | None = _moment(nullable=True)
    last_result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    deleted_at: datetime | None = _moment(nullable=True)


class WorkflowEvent(SQLModel, table=True):
    """What happened in the review workflow, appended in the transaction of the change itself."""

    __tablename__ = "workflow_events"
    __table_args__ = (Index("ix_workflow_events_subject", "subject_type", "subject_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # UUIDv7
    at: datetime = _moment()
    kind: str = _text(40)
    subject_type: str = _text(40)
    subject_id: str = _text(200)
    key_id: str | None = _text(32, nullable=True)
    request_id: str | None = _text(128, nullable=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


SCREENING_PARTIES: Table = ScreeningParty.__table__  # type: ignore[attr-defined]
ALERTS: Table = AlertRow.__table__  # type: ignore[attr-defined]
WORKFLOW_EVENTS: Table = WorkflowEvent.__table__  # type: ignore[attr-defined]


class ListEntryState(SQLModel, table=True):
    """The digest of each list entry as the watched parties were last screened against it.

    A load of the lists compares itself with these rows, so a change is noticed whether it arrives by a
    reload or by a restart, and by exactly one worker.
    """

    __tablename__ = "list_entry_states"

    list_name: str = Field(sa_column=Column(String(80), primary_key=True))
    entry_id: str = Field(sa_column=Column(String(200), primary_key=True))
    entry_hash: str = _text(80)


class ListBaseline(SQLModel, table=True):
    """One row: the list versions and the rulebook the watched shipments were last screened against."""

    __tablename__ = "list_baseline"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    lists_fingerprint: str = _text(64)
    rulebook_version: str = _text(80)
    updated_at: datetime = _moment()


LIST_ENTRY_STATES: Table = ListEntryState.__table__  # type: ignore[attr-defined]
