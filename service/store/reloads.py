"""The history of rules-and-lists reloads; API workers follow its newest entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from service.store.database import now
from service.store.tables import RulebookReload


def add_reload(session: Session, *, key_id: str, rulebook_version: str, lists: list[dict[str, Any]]) -> int:
    """Record a reload (in the caller's transaction) and return its number."""
    row = RulebookReload(requested_at=now(), requested_by_key_id=key_id, rulebook_version=rulebook_version,
                         lists=lists)
    session.add(row)
    session.flush()
    return row.id or 0


def latest_reload(session: Session) -> int:
    """The number of the newest reload, 0 if there was none."""
    newest = session.exec(select(func.max(col(RulebookReload.id)))).one()
    return int(newest or 0)


def latest_reload_version(session: Session) -> tuple[int, str] | None:
    """The newest reload's number and the rulebook version it put in force; None if there was none."""
    row = session.exec(select(RulebookReload.id, RulebookReload.rulebook_version)
                       .order_by(col(RulebookReload.id).desc()).limit(1)).first()
    return (int(row[0] or 0), row[1]) if row is not None else None
