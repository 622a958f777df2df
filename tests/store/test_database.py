"""SQLite's WAL: checkpointed in the commits, by a background process's thread, and by the audit writer's
checkpoints mostly beside the writers; in each case the WAL starts again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from service.engine.verdict import Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store import screenings
from service.store.database import (
    WAL_CHECKPOINT_PAGES,
    WAL_FILE_LIMIT,
    AuditCheckpoints,
    SqliteWriteLock,
    WalCheckpointer,
    is_sqlite_file,
    make_engine,
    upgrade,
)

STAMP = stamp_of(Settings())
FRAME = 4096 + 24  # (a page and its header)


def _verdict(reference: str) -> Verdict:
    return Verdict(reference=reference, verdict=Outcome.REVIEW, risk_score=40, findings=[],
                   rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))


def _add_group(session: Session, name: str, group: int) -> None:
    """Four screenings, as the audit writer commits them together under load."""
    for index in range(4):
        reference = f"{name}-{group}-{index}"
        screenings.add_screening(session, declaration={"reference": reference}, verdict=_verdict(reference),
                                 caller_key_id="k", request_id="r", stamp=STAMP)


def _in_two_threads(write: Callable[[str], None]) -> None:
    """`write("first")` and `write("second")` at once, as two processes' audit writers run; what either
    raised fails the test (rather than being lost in its thread)."""
    failures: list[BaseException] = []

    def run(name: str) -> None:
        try:
            write(name)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_writers_under_the_write_lock_keep_the_wal_small(tmp_path: Path) -> None:
    """Two processes' writers committing without a pause, each under its process's write lock: the commit
    that takes the WAL past WAL_CHECKPOINT_PAGES checkpoints it with the other writer kept out, so the
    checkpoint finishes and the WAL starts again from its beginning. (Checkpointed beside the writers
    instead, it grew by every commit's pages.)"""
    path = tmp_path / "wal.db"
    upgrade(make_engine(f"sqlite:///{path}"))

    def write(name: str) -> None:
        engine, lock = make_engine(f"sqlite:///{path}"), SqliteWriteLock(str(path))
        try:
            for group in range(250):
                with lock, Session(engine) as session:
                    _add_group(session, name, group)
                    session.commit()
        finally:
            engine.dispose()

    _in_two_threads(write)
    # 2,000 screenings wrote about 40 MiB of pages; the WAL held no more than one checkpoint's worth and a group
    assert (tmp_path / "wal.db-wal").stat().st_size < WAL_CHECKPOINT_PAGES * FRAME + 4 * 2**20
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == WAL_CHECKPOINT_PAGES
        assert connection.exec_driver_sql("PRAGMA journal_size_limit").scalar_one() == WAL_FILE_LIMIT
        assert connection.exec_driver_sql("SELECT count(*) FROM screenings").scalar_one() == 2000
    engine.dispose()


def test_the_wal_checkpointer_of_a_background_process_empties_the_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    upgrade(engine)
    with Session(engine) as session:
        _add_group(session, "background", 0)
        session.commit()
    checkpointer = WalCheckpointer(engine, interval=0.01)
    checkpointer.start()
    checkpointer.stop()
    with engine.connect() as connection:
        busy, frames, done = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    engine.dispose()
    assert busy == 0 and frames == done  # everything in the WAL is in the database file


def test_an_engine_that_leaves_its_checkpoints_to_the_audit_checkpoints(tmp_path: Path) -> None:
    audit = make_engine(f"sqlite:///{tmp_path / 'a.db'}", checkpoint_pages=0)
    ordinary = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with audit.connect() as first, ordinary.connect() as second:
        assert first.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        assert second.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == WAL_CHECKPOINT_PAGES
        assert first.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    assert is_sqlite_file(audit) and not is_sqlite_file(make_engine("sqlite://"))
    audit.dispose()
    ordinary.dispose()


def test_two_writers_checkpointing_mostly_beside_themselves_keep_the_wal_bounded(tmp_path: Path) -> None:
    """Two processes' audit writers committing without a pause, their commits checkpointing nothing: the
    checkpoints beside them never finish while they append, and the one under the write lock every
    `under_lock_every` commits does, so the WAL starts again. Without it, the WAL would hold every one
    of the 500 commits (about 40 MiB)."""
    path = tmp_path / "wal.db"
    upgrade(make_engine(f"sqlite:///{path}"))
    taken: list[AuditCheckpoints] = []

    def write(name: str) -> None:
        engine, lock = make_engine(f"sqlite:///{path}", checkpoint_pages=0), SqliteWriteLock(str(path))
        checkpoints = AuditCheckpoints(engine, every=10, under_lock_every=40)
        checkpoints.start()
        try:
            for group in range(250):
                with Session(engine) as session:
                    _add_group(session, name, group)
                    with lock:
                        session.commit()
                        checkpoints.committed(session.connection())
        finally:
            checkpoints.stop()
            taken.append(checkpoints)
            engine.dispose()

    _in_two_threads(write)
    # (a checkpoint under the lock that finds one beside the writers running is tried again after the next
    # commit, so some come a few commits late: 4-6 a writer in 40 runs, not always 250 // 40)
    assert all(checkpoints.under_lock >= 3 and checkpoints.beside >= 1 for checkpoints in taken)
    # the WAL started again after the checkpoints under the lock: well under the 43 MB that the 500
    # commits reach without them (at most 16 MB in 20 runs, 24 MB in 20 beside two busy loops on the cores)
    assert (tmp_path / "wal.db-wal").stat().st_size < 32 * 2**20
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM screenings").scalar_one() == 2000
        busy, frames, done = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    engine.dispose()
    assert busy == 0 and frames == done  # (the last checkpoint, at stop, left nothing behind)


class BusyThenDone:
    """A connection on which another connection's checkpoint is running for the first `busy` tries."""

    def __init__(self, busy: int) -> None:
        self.busy, self.tries = busy, 0

    def exec_driver_sql(self, statement: str) -> Any:
        assert statement == "PRAGMA wal_checkpoint(PASSIVE)"
        self.tries += 1
        row = (1, -1, -1) if self.tries <= self.busy else (0, 12, 12)
        return type("Result", (), {"one": staticmethod(lambda: row)})()


def test_a_checkpoint_under_the_lock_is_tried_again_while_another_runs(tmp_path: Path) -> None:
    """Another connection's checkpoint running (one beside the writers) makes the one under the lock give
    up at once: it is tried again after each following commit, not waited for under the lock."""
    checkpoints = AuditCheckpoints(make_engine(f"sqlite:///{tmp_path / 'b.db'}", checkpoint_pages=0), every=100,
                                   under_lock_every=2)
    connection = BusyThenDone(busy=2)
    checkpoints.committed(connection)  # type: ignore[arg-type]  (the first of two: nothing here)
    assert connection.tries == 0
    for tries in (1, 2, 3):  # busy, busy, done
        checkpoints.committed(connection)  # type: ignore[arg-type]
        assert connection.tries == tries
    assert checkpoints.under_lock == 1
    checkpoints.committed(connection)  # type: ignore[arg-type]  (the first of the next two)
    assert connection.tries == 3
