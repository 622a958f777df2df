"""Engines and schema migrations: SQLite by default (WAL, created on demand), PostgreSQL supported."""

from __future__ import annotations

import fcntl
import importlib
import logging
import os
import pkgutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from service.entropy import random_bits
from service.periodic import Periodic
from service.threadnames import name_os_thread

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
logger = logging.getLogger("service.store")


def _json_text(value: Any) -> str:
    # orjson is several times faster than json.dumps for the declaration and verdict columns.
    return orjson.dumps(value).decode()


def make_engine(url: str, *, checkpoint_pages: int | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`; for a SQLite file, the directory is created and WAL mode switched on.

    A SQLite connection checkpoints the WAL itself, in the commit that takes it past `checkpoint_pages`
    (WAL_CHECKPOINT_PAGES unless given; 0: never, for the audit writer's engine, whose checkpoints
    `AuditCheckpoints` runs). A writer that commits under the process's write lock (`ServiceState.writing`)
    checkpoints with every other writer of the service kept out, so the checkpoint always finishes and
    the next commit starts the WAL again from its beginning.
    """
    kwargs.setdefault("json_serializer", _json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping (a round trip per request): a connection broken by a database restart is
        # invalidated by its first failure, which answers 503 and is retried with the same key.
        return create_engine(url, **kwargs)
    database = parsed.database or ""
    if in_a_file(database):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        if "poolclass" not in kwargs:
            # The connection used last, again: each connection has its own page cache, which stays valid
            # while no other connection writes. Handed out in turn (the pool's default), the audit
            # writer's every commit first read its pages again: with one worker, 34 reads a screening
            # instead of 9 (strace under load), and about a tenth of the writer's CPU.
            kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
    pragmas = SQLITE_PRAGMAS if checkpoint_pages is None else (
        *(pragma for pragma in SQLITE_PRAGMAS if not pragma.startswith("wal_autocheckpoint=")),
        f"wal_autocheckpoint={checkpoint_pages}")
    event.listen(engine, "connect", lambda connection, _record: _run_pragmas(connection, pragmas))
    return engine


# WAL lets readers run beside the one writer; synchronous=NORMAL is durable in WAL mode against process
# crashes (a power cut may lose the last commits, never corrupt the file). When the WAL starts again from
# its beginning, SQLite cuts its file back to WAL_FILE_LIMIT: a large transaction (an import, a
# re-screening) leaves no file of its size behind.
SQLITE_BUSY_MS = 30_000  # how long a connection waits for the one writer
# The commit that takes the WAL past this many pages checkpoints it (SQLite's default is 1,000). Each
# checkpoint syncs the WAL and the database file, and holds the other writers back meanwhile: with 2,000
# the HTTP benchmark's CPU per request was lower than with 1,000 and its p99 under 45 ms
# (docs/performance.md); 4,000 took the cold p99 to 48 ms.
WAL_CHECKPOINT_PAGES = 2000
WAL_FILE_LIMIT = 64 * 2**20
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", f"busy_timeout={SQLITE_BUSY_MS}",
                  f"journal_size_limit={WAL_FILE_LIMIT}", f"wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")


def _run_pragmas(connection: Any, pragmas: tuple[str, ...]) -> None:
    cursor = connection.cursor()
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def passive_checkpoint(engine: Engine) -> bool:
    """One PASSIVE checkpoint on a connection of `engine` (it blocks no writer); False, logged, if it
    failed."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except SQLAlchemyError as exc:
        logger.warning("WAL checkpoint failed: %s", type(exc).__name__)
        return False
    return True


class WalCheckpointer(Periodic):
    """Checkpoints a SQLite WAL from a background thread every `interval` seconds (PASSIVE: it never
    blocks a writer): a background-work process (service/worker.py) puts what its commits left in the
    WAL, under the WAL_CHECKPOINT_PAGES that a commit checkpoints at, into the database file while it idles."""

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        super().__init__("wal-checkpoint", interval)
        self.engine = engine

    def stop(self) -> None:
        """Stop, after one last checkpoint."""
        super().stop()
        self.checkpoint()

    def checkpoint(self) -> None:
        """One PASSIVE checkpoint; a failure is logged and tried again on the next tick."""
        passive_checkpoint(self.engine)

    def tick(self) -> bool:
        """One checkpoint per round."""
        self.checkpoint()
        return False


# The audit writer's checkpoints (AuditCheckpoints): one beside the writers after every
# CHECKPOINT_EVERY_COMMITS of a process's audit commits, and one under the write lock after
# CHECKPOINT_UNDER_LOCK_EVERY of them, which finishes, so that the next commit starts the WAL again.
CHECKPOINT_EVERY_COMMITS = 10
CHECKPOINT_UNDER_LOCK_EVERY = 40
CHECKPOINT_IDLE_SECONDS = 1.0  # and one beside the writers at least this often (a quiet service)


class AuditCheckpoints:
    """Checkpoints of the WAL that the audit writer's commits fill (SQLite), mostly beside the writers.

    A checkpoint copies the WAL's pages into the database file and syncs both: about 9-12 ms on the
    machines measured. Taken in a commit, all of it passes under the write lock, and every worker's
    audit writer waits meanwhile (the two writers of `serve --workers 2` held the lock about two thirds
    of the time). Here a thread of its own copies and syncs what the commits appended while they go on
    appending (PASSIVE: it blocks no writer), woken every CHECKPOINT_EVERY_COMMITS commits. Beside the
    writers a checkpoint never quite finishes under sustained load (they append meanwhile), and the WAL
    starts again from its beginning only after one that has; without that it grew by gigabytes a minute.
    So every CHECKPOINT_UNDER_LOCK_EVERY commits the writer checkpoints under the lock, where it
    finishes, and the next commit starts the WAL again; while a checkpoint beside the writers is still
    running, it is tried again after the next commit rather than waited for under the lock. The audit
    writer's engine does not checkpoint in its commits (`make_engine(checkpoint_pages=0)`); the
    service's other connections still do, past WAL_CHECKPOINT_PAGES."""

    def __init__(self, engine: Engine, *, every: int = CHECKPOINT_EVERY_COMMITS,
                 under_lock_every: int = CHECKPOINT_UNDER_LOCK_EVERY,
                 idle_seconds: float = CHECKPOINT_IDLE_SECONDS) -> None:
        self.engine = engine
        self._every = every
        self._under_lock_every = under_lock_every
        self._idle_seconds = idle_seconds
        self._since_finished = 0  # commits since the last checkpoint under the lock (the writer's thread only)
        self._due = threading.Event()
        self._stopping = False
        self.beside = 0  # checkpoints taken beside the writers, and under the lock (read by tests)
        self.under_lock = 0
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def committed(self, connection: Connection) -> None:
        """The audit writer has committed on `connection` and still holds the write lock: every `every`
        commits wake the thread; after `under_lock_every`, checkpoint here."""
        self._since_finished += 1
        if self._since_finished >= self._under_lock_every and self._finish(connection):
            self._since_finished = 0
        elif self._since_finished % self._every == 0:
            self._due.set()

    def start(self) -> None:
        """Begin checkpointing beside the writers."""
        self._thread.start()

    def stop(self) -> None:
        """Stop, after one last checkpoint (the audit writer has committed its last answers by then)."""
        self._stopping = True
        self._due.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        name_os_thread()
        while True:
            self._due.wait(self._idle_seconds)
            self._due.clear()
            stopping = self._stopping
            if passive_checkpoint(self.engine):  # (a failure is tried again on the next round)
                self.beside += 1
            if stopping:
                return

    def _finish(self, connection: Connection) -> bool:
        """A checkpoint of the whole WAL, under the write lock; False if another connection's checkpoint
        (this or another process's thread) is running, which makes PASSIVE give up at once. A reader of
        an older snapshot may still hold frames back: the next checkpoint takes them."""
        try:
            busy, _frames, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        except Exception as exc:  # (the commit stands, whatever happens here; the next checkpoint tries again)
            logger.warning("WAL checkpoint failed: %s", type(exc).__name__)
            return True
        if busy:
            return False
        self.under_lock += 1
        return True


def in_a_file(database: str | None) -> bool:
    """A SQLite database name that is a plain file's path: not in memory, not a `file:` URI."""
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


def is_sqlite_file(engine: Engine) -> bool:
    """A SQLite database in a file (not in memory), which a second engine opens as the same database."""
    return is_sqlite(engine) and in_a_file(engine.url.database)


def register_tables() -> MetaData:
    """Import every module of the store, so every table (wherever defined) is on SQLModel.metadata."""
    import service.store as store

    for module in pkgutil.iter_modules(store.__path__):
        if module.name != "migrations":
            importlib.import_module(f"service.store.{module.name}")
    return SQLModel.metadata


def alembic_config(url: str) -> Config:
    """An alembic configuration that finds the migrations packaged with the service."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# One migration at a time: alembic's context is module-global, so not even two threads of one process may
# migrate at once; across processes (uvicorn's workers, replicas) the database's own lock serialises them.
_MIGRATING = threading.Lock()
MIGRATION_LOCK_KEY = 0x6578_7363_7265_656E  # a PostgreSQL advisory lock key of this service's own ("exscreen")


def upgrade(engine: Engine) -> None:
    """Bring the schema of `engine`'s database to the newest migration.

    Safe to call from several processes at once (`serve --workers 2` on a fresh database, replicas
    starting together): one migrates while the others wait, then find the schema at head and do nothing.
    PostgreSQL: a transaction-level advisory lock; SQLite: an exclusive lock on a file beside the database.
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _MIGRATING, _file_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: not migrated at all)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration this version of the service has."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError("the service has no migrations")
    return head


def migration_history() -> list[tuple[str, str]]:
    """Every migration, oldest first: (revision, what it does)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [(script.revision, (script.doc or "").strip()) for script in reversed(list(scripts.walk_revisions()))]


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """For a SQLite file: an exclusive lock on `<file>.migrate-lock` (other databases: nothing)."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not in_a_file(database):
        yield
        return
    path = Path(database + ".migrate-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


Clock = Callable[[], datetime]  # (`now`, or a test's)
# held while writing: the API's in-process lock for SQLite (ServiceState.writing), or nothing
Writing = Callable[[], AbstractContextManager[object]]


def now() -> datetime:
    """The current time in UTC (stored with its zone)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time with its zone: SQLite hands times back without one, and they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_id_lock = threading.Lock()
_last_id = [0, 0]  # milliseconds, counter of the newest id this process made


def new_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered across processes to the millisecond, and strictly increasing
    within this process (a 12-bit counter in `rand_a`, method 1 of RFC 9562 section 6.2)."""
    with _id_lock:
        millis, counter = time.time_ns() // 1_000_000, random_bits(10)
        if millis <= _last_id[0]:  # same millisecond (or the clock went back): count on
            millis, counter = _last_id[0], _last_id[1] + 1
            if counter >= 1 << 12:
                millis, counter = millis + 1, 0
        _last_id[:] = [millis, counter]
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64
    value |= 0b10 << 62 | random_bits(62)
    return uuid_text(value)


def uuid_text(value: int) -> str:
    """A 128-bit number as `str(uuid.UUID(int=value))` writes it, without making the UUID (a held
    screening takes two ids, its own and its webhook event's; the object and its two %-formats cost
    several times the formatting)."""
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


class SqliteWriteLock:
    """Held while writing to a SQLite file: this process's threads queue on a lock, and the processes
    (the API's workers) on an flock of `<database>.writer-lock` beside it.

    SQLite lets one connection write at a time; a writer that finds the file locked sleeps in SQLite's
    busy handler in growing steps (1, 2, 5, 10 ms ...) and keeps its own process's queue waiting
    meanwhile. The kernel wakes an flock waiter the moment the lock is released. Writers that do not
    take this lock (the CLI) are still kept apart by SQLite itself.
    """

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}.writer-lock" if in_a_file(database) else None
        self._descriptor: int | None = None

    def __enter__(self) -> SqliteWriteLock:
        self._threads.acquire()
        try:
            if self._path is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int:
        if self._descriptor is None:
            assert self._path is not None
            self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._descriptor


def is_sqlite(engine: Engine) -> bool:
    """SQLite allows one writer at a time per database file."""
    return engine.url.get_backend_name() == "sqlite"
