"""Batch job files past their retention: deleted by a janitor, the job's record and audit trail kept."""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from service.api.batch_files import BatchFileJanitor
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.batches import BatchJob, JobStatus, add_job
from service.store.database import make_engine, now
from service.store.keys import Role, find_caller
from tests.api.conftest import runs_in_lifespan

pytestmark = pytest.mark.asyncio
RETENTION = timedelta(days=30)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's own janitor off: each test runs one by hand, round by round. (The app's first round, in
    a thread of its lifespan, could otherwise take the old jobs a test has just made before the test's
    round does.)"""
    return settings.model_copy(update={"batch_retention_hours": 0.0})


def _job(settings: Settings, secret: str, status: JobStatus, ended_days_ago: float | None) -> str:
    """A job of the key with this secret, with its directory of files, ended that many days ago."""
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        caller = find_caller(session, secret)
        assert caller is not None
        job = add_job(session, filename="orders.csv", options={}, caller_key_id=caller.key_id, request_id="r")
        job.status = status.value
        job.finished_at = None if ended_days_ago is None else now() - timedelta(days=ended_days_ago)
        session.commit()
        job_id = job.id
    engine.dispose()
    directory = _jobs_dir(settings) / job_id
    directory.mkdir(parents=True)
    (directory / "input.csv").write_text("reference\nSO-1\n")
    (directory / "result.csv").write_text("reference,verdict\nSO-1,clear\n")
    return job_id


def _jobs_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "batches"


def _janitor(settings: Settings, **options: Any) -> tuple[BatchFileJanitor, Any]:
    engine = make_engine(settings.database_url)
    return BatchFileJanitor(engine, _jobs_dir(settings), RETENTION, **options), engine


async def test_files_of_jobs_ended_before_the_retention_go_the_record_stays(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings, keys: dict[Role, str]
) -> None:
    old = _job(settings, keys[Role.SCREENER], JobStatus.COMPLETE, 31)
    old_failed = _job(settings, keys[Role.SCREENER], JobStatus.FAILED, 45)
    recent = _job(settings, keys[Role.SCREENER], JobStatus.COMPLETE, 29)
    running = _job(settings, keys[Role.SCREENER], JobStatus.RUNNING, None)
    janitor, engine = _janitor(settings)
    assert janitor.purge() == 2
    assert janitor.purge() == 0  # (marked: not looked at again)
    engine.dispose()
    assert sorted(path.name for path in _jobs_dir(settings).iterdir()) == sorted([recent, running])
    job = (await client.get(f"/v1/batches/{old}", headers=as_screener)).json()
    assert job["status"] == "complete" and job["result_url"] is None and job["files_removed_at"]
    assert job["counts"] == {} and job["filename"] == "orders.csv"  # the record is as it was
    gone = await client.get(f"/v1/batches/{old}/result", headers=as_screener)
    assert gone.status_code == 410 and gone.json()["code"] == "batch_result_removed"
    assert "audit trail" in gone.json()["detail"]
    failed = (await client.get(f"/v1/batches/{old_failed}", headers=as_screener)).json()
    assert failed["status"] == "failed" and failed["files_removed_at"]
    kept = (await client.get(f"/v1/batches/{recent}", headers=as_screener)).json()
    assert kept["result_url"] == f"/v1/batches/{recent}/result" and kept["files_removed_at"] is None
    assert (await client.get(kept["result_url"], headers=as_screener)).status_code == 200


async def test_the_janitor_goes_round_after_round_while_full_batches_come_out(
    settings: Settings, keys: dict[Role, str]
) -> None:
    for _ in range(3):
        _job(settings, keys[Role.SCREENER], JobStatus.COMPLETE, 40)
    janitor, engine = _janitor(settings, batch=2)
    assert [janitor.tick(), janitor.tick()] == [True, False]  # 2, then 1: done
    engine.dispose()
    assert list(_jobs_dir(settings).iterdir()) == []


async def test_a_directory_that_cannot_be_removed_is_logged_and_tried_again(
    settings: Settings, keys: dict[Role, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _job(settings, keys[Role.SCREENER], JobStatus.COMPLETE, 40)

    def refuse(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    janitor, engine = _janitor(settings)
    monkeypatch.setattr(shutil, "rmtree", refuse)
    with caplog.at_level(logging.WARNING, logger="service.api"):
        assert janitor.purge() == 0
    assert f"cannot remove the files of batch job {job_id}" in caplog.text
    monkeypatch.undo()
    assert janitor.purge() == 1  # the next round, once it can
    with Session(engine) as session:
        job = session.get(BatchJob, job_id)
        assert job is not None and job.files_removed_at is not None
    engine.dispose()


@pytest.mark.parametrize(("hours", "running"), [(720.0, True), (0.0, False)])
async def test_the_janitor_runs_unless_files_are_kept_for_ever(
    settings: Settings, rulebook: Rulebook, hours: float, running: bool
) -> None:
    kept = settings.model_copy(update={"batch_retention_hours": hours})
    assert await runs_in_lifespan(kept, rulebook, "batch-file-purge") is running


async def test_a_result_file_gone_from_the_data_directory_is_410_not_an_error(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings, keys: dict[Role, str]
) -> None:
    job_id = _job(settings, keys[Role.SCREENER], JobStatus.COMPLETE, 1)
    (_jobs_dir(settings) / job_id / "result.csv").unlink()  # removed by hand, or by the janitor this moment
    gone = await client.get(f"/v1/batches/{job_id}/result", headers=as_screener)
    assert gone.status_code == 410 and gone.json()["code"] == "batch_result_removed"
