"""The audit writer's WAL checkpoints on SQLite: mostly beside the writers, and the WAL still starts again."""

from __future__ import annotations

import threading
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
    AuditCheckpoints,
    SqliteWriteLock,
    is_sqlite_file,
    make_engine,
    upgrade,
)

STAMP = stamp_of(Settings())
FRAME = 4096 + 24  # (a page and its header)


def _verdict(reference: str) -> Verdict:
    return Verdict(reference=reference, verdict=Outcome.REVIEW, risk_score=40, findings=[],
                   rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))


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
    failures: list[BaseException] = []
    taken: list[AuditCheckpoints] = []

    def write(name: str) -> None:
        engine, lock = make_engine(f"sqlite:///{path}", checkpoint_pages=0), SqliteWriteLock(str(path))
        checkpoints = AuditCheckpoints(engine, every=10, under_lock_every=40)
        checkpoints.start()
        try:
            for group in range(250):
                with Session(engine) as session:
                    for index in range(4):
                        reference = f"{name}-{group}-{index}"
                        screenings.add_screening(session, declaration={"reference": reference},
                                                 verdict=_verdict(reference), caller_key_id="k", request_id="r",
                                                 stamp=STAMP)
                    with lock:
                        session.commit()
                        checkpoints.committed(session.connection())
        except BaseException as exc:  # (reported by the test, not lost in the thread)
            failures.append(exc)
        finally:
            checkpoints.stop()
            taken.append(checkpoints)
            engine.dispose()

    writers = [threading.Thread(target=write, args=(name,)) for name in ("first", "second")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert not failures
    assert all(checkpoints.under_lock >= 6 and checkpoints.beside >= 1 for checkpoints in taken)
    # the WAL started again after the checkpoints under the lock: it never held more than a few dozen commits
    assert (tmp_path / "wal.db-wal").stat().st_size < 16 * 2**20
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


def test_a_checkpoint_under_the_lock_waits_for_one_running_beside_the_writers(tmp_path: Path) -> None:
    checkpoints = AuditCheckpoints(make_engine(f"sqlite:///{tmp_path / 'b.db'}", checkpoint_pages=0), every=1,
                                   under_lock_every=2)
    connection = BusyThenDone(busy=3)
    checkpoints.committed(connection)  # type: ignore[arg-type]  (the first: the thread is woken, nothing here)
    assert connection.tries == 0
    checkpoints.committed(connection)  # type: ignore[arg-type]
    assert connection.tries == 4 and checkpoints.under_lock == 1
