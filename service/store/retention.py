"""Janitors: background threads that delete what has outlived its retention, a batch at a time.

Each process with background work runs one per kind of thing kept for a while (stored Idempotency-Key
answers, batch job files). On PostgreSQL a round runs in one process at a time, under an advisory lock;
on SQLite (one host) they share the work through the database: what one deletes the others find gone.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from service.periodic import Periodic
from service.store.database import Clock, Writing, now
from service.store.leases import lock_key, singleton

logger = logging.getLogger("service.store")


class Janitor(Periodic):
    """Deletes what is older than `retention`: at most `batch` things a round (`purge`, which a subclass
    says), every `interval` seconds, and round after round while full batches come out. A database
    failure is logged and the round tried again later: nothing depends on a janitor but the space it
    frees."""

    what = "things"  # what it deletes, for the log

    def __init__(self, name: str, engine: Engine, retention: timedelta, *, interval: float, batch: int,
                 writing: Writing = nullcontext, clock: Clock = now) -> None:
        super().__init__(name, interval)
        self.lock = lock_key(f"export-screen:janitor:{name}")
        self.engine = engine
        self.retention = retention
        self.batch = batch
        # the API's in-process write lock for SQLite (ServiceState.writing): deletions queue with the requests
        self.writing = writing
        self.clock = clock

    def cutoff(self) -> datetime:
        """What is older than this has outlived its retention."""
        return self.clock() - self.retention

    def purge(self) -> int:
        """One round: delete at most `batch` things older than the cutoff; how many went."""
        raise NotImplementedError

    def tick(self) -> bool:
        """One round, in one process at a time (PostgreSQL: an advisory lock per janitor; replicas that do
        not get it skip the round); True when a full batch went (more may be waiting)."""
        try:
            with singleton(self.engine, self.lock) as held:
                deleted = self.purge() if held else 0
        except SQLAlchemyError as exc:
            logger.warning("deleting %s past their retention failed: %s", self.what, type(exc).__name__)
            return False
        if deleted:
            logger.info("deleted %d %s older than %s", deleted, self.what, self.retention)
        return deleted >= self.batch
