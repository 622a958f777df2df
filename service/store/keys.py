"""API keys: created with a random secret that is shown once; only its sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from service.store.database import now
from service.store.tables import ApiKey

KEY_PREFIX = "esk_"


class Role(StrEnum):
    """What a key may do; each role includes the ones below it (screener < reviewer < admin)."""

    SCREENER = "screener"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the hierarchy: a higher rank may do everything a lower one may."""
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        """True if this role may act as `other`."""
        return self.rank >= other.rank


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the key's id, name and role (never the secret)."""

    key_id: str
    name: str
    role: Role


def hash_secret(secret: str) -> str:
    """The stored form of a key: hex sha256 (keys are 256-bit random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(session: Session, role: Role, name: str) -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret; the caller commits and shows the secret once."""
    key_id = secrets.token_hex(8)
    secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(id=key_id, name=name, role=role.value, key_hash=hash_secret(secret), created_at=now())
    session.add(row)
    return row, secret


def find_caller(session: Session, secret: str) -> Caller | None:
    """The caller a secret belongs to, or None for an unknown or revoked secret."""
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_secret(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    return Caller(key_id=row.id, name=row.name, role=Role(row.role))


def revoke_key(session: Session, key_id: str) -> bool:
    """Mark a key revoked (kept, so the audit trail's key ids stay resolvable); False if there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = now()
        session.add(row)
    return True


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first."""
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))).all())
