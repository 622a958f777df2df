"""Batch job state: transitions only from the right states and by the lease's holder; a job whose holder is
gone is claimed by one process, or failed if it cannot be resumed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from service.settings import Settings
from service.store.batches import (
    RESUMABLE,
    BatchJob,
    JobStatus,
    add_job,
    beat,
    claim_job,
    fail_stale_jobs,
    get_job,
    mark_complete,
    mark_failed,
    mark_running,
    record_committed,
    record_progress,
)
from service.store.database import make_engine, now


def test_job_lifecycle(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url).database_url)
    with Session(engine) as session:
        job_id = add_job(session, filename="a.csv", options={"jsonl": False}, caller_key_id="k", request_id="r").id
        session.commit()
        assert not mark_running(session, job_id, "a")  # nobody holds it yet
        claimed = claim_job(session, "a")
        assert claimed is not None and claimed.id == job_id and claimed.lease_holder == "a"
        assert claim_job(session, "b") is None  # held
        assert not mark_running(session, job_id, "b")  # only by its holder
        assert mark_running(session, job_id, "a")
        assert not mark_running(session, job_id, "a")  # only a queued job starts
        assert record_progress(session, job_id, 10, 20, "a")
        assert mark_complete(session, job_id, 20, {"rows": 20}, "a")
        assert not mark_failed(session, job_id, "late failure")  # a complete job stays complete
        job = get_job(session, job_id)
        assert job is not None and job.status == JobStatus.COMPLETE and job.rows_done == 20
        assert job.lease_holder is None and job.lease_expires_at is None
    engine.dispose()


def _held(job: BatchJob, holder: str, expires_in: timedelta) -> None:
    job.lease_holder, job.lease_expires_at = holder, now() + expires_in


def test_stale_jobs_fail_fresh_ones_do_not(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        stale = add_job(session, filename="s.csv", options={}, caller_key_id="k", request_id="r")
        fresh = add_job(session, filename="f.csv", options={}, caller_key_id="k", request_id="r")
        waiting = add_job(session, filename="w.csv", options={}, caller_key_id="k", request_id="r")
        _held(stale, "gone", -timedelta(minutes=2))
        _held(fresh, "alive", timedelta(seconds=30))
        session.commit()
        stale_id, fresh_id = stale.id, fresh.id
        assert fail_stale_jobs(session) == 1
        session.expire_all()
        failed, queued = session.get(type(stale), stale_id), session.get(type(fresh), fresh_id)
        assert failed is not None and failed.status == JobStatus.FAILED and "interrupted" in (failed.error or "")
        assert queued is not None and queued.status == JobStatus.QUEUED
        assert session.get(BatchJob, waiting.id).status == JobStatus.QUEUED  # type: ignore[union-attr]
    engine.dispose()


def test_a_job_whose_holder_is_gone_is_taken_over_once_and_the_old_holder_records_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        job = add_job(session, filename="s.csv", options={RESUMABLE: True}, caller_key_id="k", request_id="r")
        session.commit()
        job_id = job.id
        assert claim_job(session, "a", timedelta(seconds=30)) is not None
        assert mark_running(session, job_id, "a") and record_committed(session, job_id, 1, 500, "a")
        session.commit()
        assert claim_job(session, "b") is None  # the lease runs
        assert beat(session, job_id, "a", timedelta(seconds=-1))  # (renewed into the past: as if it ran out)
        taken = claim_job(session, "b", timedelta(seconds=30))
        assert taken is not None and taken.lease_holder == "b" and taken.status == JobStatus.QUEUED
        assert taken.resumes == 1 and taken.chunks_committed == 1
        assert claim_job(session, "c") is None
        assert not beat(session, job_id, "a")  # the old holder learns it lost the job
        assert not record_committed(session, job_id, 2, 1000, "a")
        session.rollback()
        assert not mark_failed(session, job_id, "a's error", "a")
        assert mark_running(session, job_id, "b") and record_committed(session, job_id, 2, 1000, "b")
        session.commit()
    engine.dispose()


def test_only_the_next_chunk_is_recorded(database_url: str) -> None:
    """A chunk recorded once cannot be recorded again (a job run twice would otherwise count its shipments
    twice): the second attempt is refused and its transaction rolled back by the caller."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        job_id = add_job(session, filename="a.csv", options={}, caller_key_id="k", request_id="r").id
        session.commit()
    with Session(engine) as session:
        assert claim_job(session, "a") is not None
        assert record_committed(session, job_id, 1, 500, "a")
        session.commit()
    with Session(engine) as session:
        assert not record_committed(session, job_id, 1, 500, "a")  # the same chunk again
        assert not record_committed(session, job_id, 3, 1500, "a")  # a chunk skipped
        assert record_committed(session, job_id, 2, 1000, "a")
        session.commit()
        job = get_job(session, job_id)
        assert job is not None and (job.chunks_committed, job.rows_committed) == (2, 1000)
    engine.dispose()
