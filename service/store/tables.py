"""The database tables (sqlmodel). The schema itself is created by the alembic migrations in `migrations/`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, false
from sqlmodel import Field, SQLModel


def _json() -> Any:
    return Field(sa_column=Column(JSON, nullable=False))


def _moment(**kwargs: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False, **kwargs))


class ApiKey(SQLModel, table=True):
    """An API key: only the sha256 of the secret is stored, never the secret itself."""

    __tablename__ = "api_keys"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = _moment()
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class Screening(SQLModel, table=True):
    """One screening as it was answered: input, verdict, rules and lists used, and who asked."""

    __tablename__ = "screenings"
    __table_args__ = (
        Index("ix_screenings_reference", "reference"),
        Index("ix_screenings_verdict", "verdict"),
        Index("ix_screenings_screened_at", "screened_at"),
    )

    # UUIDv7: its text form sorts by creation time, so `ORDER BY id DESC` is newest first.
    id: str = Field(sa_column=Column(String(36), primary_key=True))
    screened_at: datetime = _moment()
    reference: str = Field(sa_column=Column(String(200), nullable=False))
    verdict: str = Field(sa_column=Column(String(8), nullable=False))
    risk_score: int = Field(sa_column=Column(Integer, nullable=False))
    rulebook_version: str = Field(sa_column=Column(String(80), nullable=False))
    as_of: date
    # An audit of a past shipment (rules as of its export date, no review for a past export date).
    retrospective: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    lists: list[dict[str, Any]] = _json()
    declaration: dict[str, Any] = _json()
    findings: list[dict[str, Any]] = _json()
    # The verdict exactly as answered, but for its findings and lists: they are stored once, in their
    # own columns (rows recorded before hold them here too). `answered_verdict` puts them back.
    result: dict[str, Any] = _json()
    caller_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    request_id: str = Field(sa_column=Column(String(128), nullable=False))
    # the X-Request-ID the client sent, if any: never taken as the service's request id
    client_request_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    idempotency_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    body_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # The software version and the verdict-changing settings in force (service/stamps.py); null on rows
    # recorded before they were stamped.
    software_version: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    thresholds: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    def answered_verdict(self) -> dict[str, Any]:
        """The verdict as it was answered (a Verdict as JSON data), its findings and lists put back."""
        if "findings" in self.result:  # recorded before they were kept apart
            return self.result
        joined: dict[str, Any] = {}
        for key, value in self.result.items():  # (in the Verdict's order: the findings before the rulebook)
            if key == "rulebook":
                joined["findings"] = self.findings
            joined[key] = value
        joined.setdefault("findings", self.findings)
        joined["lists"] = self.lists
        return joined


# A verdict's parts stored in columns of their own, and not again in `Screening.result`.
KEPT_APART = ("findings", "lists")


class Decision(SQLModel, table=True):
    """A reviewer's release or hold of a screening; decisions are appended, never changed."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_screening_id", "screening_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    screening_id: str = Field(sa_column=Column(String(36), ForeignKey("screenings.id"), nullable=False))
    decision: str = Field(sa_column=Column(String(8), nullable=False))
    reason_code: str = Field(sa_column=Column(String(40), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    decided_at: datetime = _moment()
    decided_by_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    decided_by_role: str = Field(sa_column=Column(String(16), nullable=False))
    request_id: str = Field(sa_column=Column(String(128), nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    """The stored answer to a POST sent with an Idempotency-Key, scoped to the API key that sent it."""

    __tablename__ = "idempotency_records"

    caller_key_id: str = Field(sa_column=Column(String(32), primary_key=True))
    idempotency_key: str = Field(sa_column=Column(String(255), primary_key=True))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    status_code: int = Field(sa_column=Column(Integer, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _moment(index=True)  # (indexed for the purge of answers past their retention)


class RulebookReload(SQLModel, table=True):
    """A rules-and-lists reload an admin asked for: when, by whom, and what came into force.

    Every API worker process watches this table and loads the same rules when a new row appears.
    """

    __tablename__ = "rulebook_reloads"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    requested_at: datetime = _moment()
    requested_by_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    rulebook_version: str = Field(sa_column=Column(String(80), nullable=False))
    lists: list[dict[str, Any]] = _json()
