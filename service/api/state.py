"""What the app holds while it runs: the database engine and the current screening context.

The lifespan creates one `ServiceState`; handlers reach it through the dependencies in `deps.py`.
Swapping `context` is a single attribute assignment, so a rules reload is atomic for every request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from service.api.standing import StandingBook
from service.engine.screen import ScreeningContext
from service.settings import Settings
from service.stamps import ScreeningStamp, stamp_of
from service.store.database import AuditCheckpoints, SqliteWriteLock, is_sqlite
from service.store.keys import Caller

if TYPE_CHECKING:
    from service.api.audit_writer import AuditWriter
    from service.api.batch_claims import BatchClaimer

KEY_CACHE_SECONDS = 10.0  # how long a revoked key may still be accepted by a worker that just saw it

ContextLoader = Callable[[Settings], ScreeningContext]


@dataclass
class ServiceState:
    """The engine, the screening context (None if it could not be loaded) and a small key cache."""

    settings: Settings
    engine: Engine
    load: ContextLoader
    context: ScreeningContext | None = None
    context_error: str | None = None
    reload_generation: int = 0  # the newest recorded reload this process has applied
    list_reload_error: str | None = None  # why the newest list manifest could not be loaded (then not ready)
    reload_lock: threading.Lock = field(default_factory=threading.Lock)
    audit: AuditWriter | None = None  # commits the screenings of POST /v1/screenings (started by the lifespan)
    checkpoints: AuditCheckpoints | None = None  # the audit writer's WAL checkpoints (a SQLite file only)
    batch_claimer: BatchClaimer | None = None  # takes batch jobs for this process (None: no background work)
    _keys: dict[str, tuple[Caller, float]] = field(default_factory=dict)
    write_lock: SqliteWriteLock | None = field(init=False)
    standing: StandingBook = field(init=False)  # this process's copy of the clearances and the own deny list

    def __post_init__(self) -> None:
        self.write_lock = SqliteWriteLock(self.engine.url.database) if is_sqlite(self.engine) else None
        self.standing = StandingBook(self.engine)

    @cached_property
    def stamp(self) -> ScreeningStamp:
        """The software version and thresholds every screening of this process is recorded with."""
        return stamp_of(self.settings)

    def writing(self) -> AbstractContextManager[object]:
        """Held while a request writes and commits: SQLite has one writer per file, and writers that queue
        here (threads and worker processes) wait less than in SQLite's busy handler, which sleeps in steps."""
        return self.write_lock if self.write_lock is not None else nullcontext()

    def cached_caller(self, key_hash: str) -> Caller | None:
        """A recently verified caller, so that each request need not look its key up again."""
        hit = self._keys.get(key_hash)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_caller(self, key_hash: str, caller: Caller) -> None:
        """Keep a verified caller for KEY_CACHE_SECONDS (so a revocation takes effect within that time)."""
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[key_hash] = (caller, time.monotonic() + KEY_CACHE_SECONDS)


