"""The audit trail of names screened alone (onboarding a customer): append and read, never update or delete.

A table of its own rather than rows in `screenings`: a name alone has no declaration, export date,
rulebook or verdict, and the screening trail's readers (the listing, the export, decisions) rely on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String
from sqlmodel import Field, Session, SQLModel

from service.stamps import ScreeningStamp
from service.store.database import new_id, now


class PartyMatch(SQLModel, table=True):
    """One name screened against the denied-party lists: what was asked, what was found, with what."""

    __tablename__ = "party_matches"
    __table_args__ = (Index("ix_party_matches_matched_at", "matched_at"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # UUIDv7, time-ordered
    matched_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))  # as screened (cleaned)
    country: str | None = Field(default=None, sa_column=Column(String(2), nullable=True))
    kind: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    outcome: str = Field(sa_column=Column(String(8), nullable=False))  # clear, review or block
    hits: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    notes: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))  # list coverage findings
    lists: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    software_version: str = Field(sa_column=Column(String(80), nullable=False))
    thresholds: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    caller_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    request_id: str = Field(sa_column=Column(String(128), nullable=False))


def add_party_match(
    session: Session, *, name: str, country: str | None, kind: str | None, outcome: str,
    hits: list[dict[str, Any]], notes: list[dict[str, Any]], lists: list[dict[str, Any]], stamp: ScreeningStamp,
    caller_key_id: str, request_id: str,
) -> PartyMatch:
    """Append one name match in the caller's transaction."""
    row = PartyMatch(
        id=new_id(), matched_at=now(), name=name, country=country, kind=kind, outcome=outcome, hits=hits,
        notes=notes, lists=lists, software_version=stamp.software_version,
        thresholds=stamp.thresholds.model_dump(mode="json"), caller_key_id=caller_key_id, request_id=request_id,
    )
    session.add(row)
    return row


def get_party_match(session: Session, match_id: str) -> PartyMatch | None:
    """One recorded name match by id."""
    return session.get(PartyMatch, match_id)
