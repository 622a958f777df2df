"""`lists update` on a schedule inside the service, by one worker at a time.

With EXPORT_SCREEN_LIST_UPDATE_INTERVAL_HOURS above 0, every API worker checks once a minute whether an
update is due: the last attempt, recorded in `<data_dir>/lists.update.json`, is older than the interval
plus this worker's jitter. The one that takes the non-blocking lock `<data_dir>/lists.update.lock` (a
file lock beside the manifest; on PostgreSQL also an advisory lock, for replicas that share the database
but not the disk) reads the record again and runs the update; the others skip the round. A failed update
keeps the previous snapshots (update_lists never replaces one with a failed download), is logged and is
shown in /readyz as `list_update.last_error`. A successful one changes the manifest, which every worker
then follows (service/lists/watch.py).
"""

from __future__ import annotations

import fcntl
import json
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine

from service.files import replace_file
from service.lists.update import UpdateOutcome, update_lists
from service.periodic import Periodic
from service.settings import Settings
from service.store.leases import singleton

logger = logging.getLogger("service.lists")
STATUS_NAME = "lists.update.json"
LOCK_NAME = "lists.update.lock"
ADVISORY_LOCK_KEY = 0x6C697374  # "list": the PostgreSQL advisory lock id of scheduled list updates
CHECK_SECONDS = 60.0

Updater = Callable[[Settings], list[UpdateOutcome]]


class UpdateStatus(BaseModel):
    """The last scheduled (or manual) list update: when it was tried, when it last worked, why it failed."""

    last_attempt: datetime | None = Field(default=None, description="When an update last started.")
    last_success: datetime | None = Field(default=None, description="When every list was last updated.")
    last_error: str | None = Field(default=None, description="Why the last attempt failed (null if it worked).")


def status_path(data_dir: Path) -> Path:
    """Where the record of list updates lives."""
    return data_dir / STATUS_NAME


def read_status(data_dir: Path) -> UpdateStatus:
    """The recorded status (empty if none, or unreadable: it only steers the schedule)."""
    try:
        return UpdateStatus.model_validate_json(status_path(data_dir).read_bytes())
    except (OSError, ValidationError):
        return UpdateStatus()


def write_status(data_dir: Path, status: UpdateStatus) -> None:
    """Replace the record atomically."""
    replace_file(status_path(data_dir), (json.dumps(status.model_dump(mode="json"), indent=2) + "\n").encode())


def record_outcomes(data_dir: Path, started: datetime, outcomes: list[UpdateOutcome]) -> UpdateStatus:
    """Record an attempt that ran: a success only if every list was updated."""
    previous = read_status(data_dir)
    errors = [outcome.error or outcome.name for outcome in outcomes if not outcome.ok]
    status = UpdateStatus(last_attempt=started, last_success=previous.last_success if errors else started,
                          last_error="; ".join(errors) if errors else None)
    write_status(data_dir, status)
    return status


@contextmanager
def update_lock(data_dir: Path, engine: Engine | None = None) -> Iterator[bool]:
    """Yield True if this process holds the update lock (never waits: another holder means skip)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            with singleton(engine, ADVISORY_LOCK_KEY) as held:
                yield held
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ListUpdateScheduler(Periodic):
    """Runs `lists update` when it is due, in whichever worker takes the lock first."""

    def __init__(self, settings: Settings, engine: Engine | None = None, updater: Updater = update_lists,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), check_seconds: float = CHECK_SECONDS,
                 jitter: float | None = None) -> None:
        super().__init__("list-update", check_seconds)
        self.settings, self.engine, self.updater, self.clock = settings, engine, updater, clock
        self.every = timedelta(hours=settings.list_update_interval_hours)
        jitter_limit = settings.list_update_jitter_minutes * 60
        self.jitter = timedelta(seconds=random.uniform(0, jitter_limit) if jitter is None else jitter)
        self.started = clock()

    def due(self, status: UpdateStatus) -> bool:
        """Whether an update is due: never tried (then jitter after start), or tried an interval ago."""
        if status.last_attempt is None:
            return self.clock() >= self.started + self.jitter
        return self.clock() >= status.last_attempt + self.every + self.jitter

    def run_if_due(self) -> UpdateStatus | None:
        """Update the lists if due and this worker holds the lock; the new status, or None if skipped."""
        data_dir = self.settings.data_dir
        if not self.due(read_status(data_dir)):
            return None
        with update_lock(data_dir, self.engine) as held:
            if not held or not self.due(read_status(data_dir)):  # another worker has it, or just did it
                return None
            started = self.clock()
            write_status(data_dir, read_status(data_dir).model_copy(update={"last_attempt": started}))
            try:
                outcomes = self.updater(self.settings)
            except Exception as exc:  # a crash of the update keeps the snapshots; record why
                outcomes = [UpdateOutcome("lists update", None, f"{type(exc).__name__}: {exc}", None)]
            status = record_outcomes(data_dir, started, outcomes)
        if status.last_error:
            logger.error("scheduled list update failed, the previous lists stay in force: %s", status.last_error)
        else:
            logger.info("scheduled list update stored %d lists", len(outcomes))
        return status

    def tick(self) -> bool:
        """One check per round."""
        try:
            self.run_if_due()
        except Exception:  # never let the schedule thread die: the next round tries again
            logger.exception("scheduled list update could not run")
        return False


def list_update_scheduler(settings: Settings, engine: Engine | None = None) -> ListUpdateScheduler | None:
    """The scheduler if EXPORT_SCREEN_LIST_UPDATE_INTERVAL_HOURS is set, else None."""
    return ListUpdateScheduler(settings, engine) if settings.list_update_interval_hours > 0 else None
