"""Scheduled list updates: due after the interval plus jitter, one worker at a time, failures recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from service.lists.intake import Intake
from service.lists.schedule import ListUpdateScheduler, UpdateStatus, read_status, update_lock, write_status
from service.lists.update import UpdateOutcome
from service.settings import Settings

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _scheduler(tmp_path: Path, clock: Clock, outcomes: list[UpdateOutcome], calls: list[int]) -> ListUpdateScheduler:
    settings = Settings(data_dir=tmp_path, list_update_interval_hours=24)

    def updater(_: Settings) -> list[UpdateOutcome]:
        calls.append(1)
        return outcomes

    return ListUpdateScheduler(settings, updater=updater, clock=clock, jitter=300)


def _stored(name: str) -> UpdateOutcome:
    return UpdateOutcome(name, Intake.__new__(Intake), None, None)  # any stored snapshot counts as ok


def test_due_after_the_jitter_then_after_each_interval(tmp_path: Path) -> None:
    clock, calls = Clock(), []
    scheduler = _scheduler(tmp_path, clock, [_stored("us-csl")], calls)
    assert scheduler.run_if_due() is None and not calls  # jitter not yet over
    clock.now = START + timedelta(seconds=301)
    status = scheduler.run_if_due()
    assert status is not None and status.last_success == status.last_attempt == clock.now and not status.last_error
    clock.now += timedelta(hours=23)
    assert scheduler.run_if_due() is None and len(calls) == 1
    clock.now += timedelta(hours=1, seconds=301)
    assert scheduler.run_if_due() is not None and len(calls) == 2


def test_a_failed_update_keeps_the_last_success_and_says_why(tmp_path: Path) -> None:
    clock, calls = Clock(), []
    write_status(tmp_path, UpdateStatus(last_attempt=START - timedelta(days=2), last_success=START - timedelta(days=2)))
    failed = UpdateOutcome("us-csl", None, "us-csl: HTTP 503 (after 4 attempts); keeping the previous snapshot", None)
    scheduler = _scheduler(tmp_path, clock, [_stored("un-sc"), failed], calls)
    status = scheduler.run_if_due()
    assert status is not None and status.last_attempt == START
    assert status.last_success == START - timedelta(days=2) and "HTTP 503" in (status.last_error or "")
    assert read_status(tmp_path) == status


def test_an_updater_that_crashes_is_recorded_and_the_thread_lives(tmp_path: Path) -> None:
    clock = Clock()
    write_status(tmp_path, UpdateStatus(last_attempt=START - timedelta(days=2)))

    def crash(_: Settings) -> list[UpdateOutcome]:
        raise OSError("disk full")

    scheduler = ListUpdateScheduler(Settings(data_dir=tmp_path, list_update_interval_hours=24), updater=crash,
                                    clock=clock, jitter=0)
    assert scheduler.tick() is False
    assert "disk full" in (read_status(tmp_path).last_error or "")


def test_only_one_worker_updates_at_a_time(tmp_path: Path) -> None:
    clock, calls = Clock(), []
    write_status(tmp_path, UpdateStatus(last_attempt=START - timedelta(days=2)))
    scheduler = _scheduler(tmp_path, clock, [_stored("us-csl")], calls)
    with update_lock(tmp_path) as held:  # another worker (another open file description) is updating
        assert held
        assert scheduler.run_if_due() is None and not calls
    assert scheduler.run_if_due() is not None and calls == [1]


def test_the_postgresql_advisory_lock_keeps_replicas_apart(tmp_path: Path, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        # the second is another replica: another disk, the same database
        with update_lock(tmp_path / "a", engine) as first, update_lock(tmp_path / "b", engine) as second:
            assert first and second is (engine.dialect.name != "postgresql")
    finally:
        engine.dispose()
