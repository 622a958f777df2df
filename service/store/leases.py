"""Who does a piece of background work when several processes, on several machines, share one database.

Each process has a holder id (host, process id and a random part), recorded on the batch jobs it holds.
Work that must run in one process at a time (a janitor's round, the re-screening after a change) runs
under a PostgreSQL advisory lock: the lock belongs to the connection, so it is released when the
process dies and another takes the work over. On SQLite the database lives on one host, whose
processes already queue behind the one writer, so every process may do the work as before.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Engine, text


def process_holder() -> str:
    """This process's holder id: host and process id to find it, a random part so that it is never reused."""
    return _holder(os.getpid())  # a forked child gets an id of its own


@cache
def _holder(pid: int) -> str:
    return f"{socket.gethostname()[:80]}:{pid}:{secrets.token_hex(4)}"


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for a kind of work (PostgreSQL keys are signed bigints)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def singleton(engine: Engine | None, key: int, *, wait: bool = False) -> Iterator[bool]:
    """Yield True if this process may do the work now: it holds the advisory lock `key` (PostgreSQL), held on
    one connection for the whole block. `wait`: queue for the lock instead of giving up at once. Always True
    on other databases (one host: see the module docstring)."""
    if engine is None or engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            held = True
        else:
            held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()  # the lock is the session's, not the transaction's: end the transaction now
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.rollback()
