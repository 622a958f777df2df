"""Sign-in sessions of the reviewers' pages: opened with an API key, held by a cookie, ended or expired.

The cookie carries a random token; only its sha256 is stored, as for API keys, so a copy of the database
opens no session. Each session has its own CSRF token, which every form sends back. A session lives no
longer than its key: a revoked key ends its sessions at the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, update
from sqlmodel import Field, Session, SQLModel, col, select

from service.store.database import as_utc, now
from service.store.keys import Caller, Role
from service.store.tables import ApiKey


class ReviewSession(SQLModel, table=True):
    """A signed-in browser: which key signed in, until when, and the token its forms must send back."""

    __tablename__ = "review_sessions"
    __table_args__ = (Index("ix_review_sessions_key_id", "key_id"),)

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    key_id: str = Field(sa_column=Column(String(32), ForeignKey("api_keys.id"), nullable=False))
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


@dataclass(frozen=True)
class SignedIn:
    """The caller behind a live session, and the token its forms must carry."""

    caller: Caller
    csrf_token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, caller: Caller, lifetime: timedelta) -> str:
    """Store a new session for `caller` and return the cookie token (shown once; the caller commits)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.add(ReviewSession(token_hash=_hash(token), key_id=caller.key_id, csrf_token=secrets.token_urlsafe(32),
                              created_at=moment, expires_at=moment + lifetime))
    return token


def find_session(session: Session, token: str, at: datetime | None = None) -> SignedIn | None:
    """The live session of a cookie token: not ended, not expired, its key not revoked; else None."""
    query = (select(ReviewSession, ApiKey).join(ApiKey, col(ApiKey.id) == col(ReviewSession.key_id))
             .where(col(ReviewSession.token_hash) == _hash(token)))
    found = session.exec(query).first()
    if found is None:
        return None
    row, key = found
    if row.ended_at is not None or key.revoked_at is not None or as_utc(row.expires_at) <= (at or now()):
        return None
    return SignedIn(Caller(key_id=key.id, name=key.name, role=Role(key.role)), row.csrf_token,
                    as_utc(row.expires_at))


def end_session(session: Session, token: str) -> None:
    """Sign out: the session is stamped ended (kept for the record; the caller commits)."""
    session.connection().execute(
        update(ReviewSession).where(col(ReviewSession.token_hash) == _hash(token))
        .where(col(ReviewSession.ended_at).is_(None)).values(ended_at=now()))
