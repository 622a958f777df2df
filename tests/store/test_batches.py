"""Batch job state: transitions only from the right states; a job whose heartbeat stopped is failed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from service.settings import Settings
from service.store.batches import (
    JobStatus,
    add_job,
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
        assert mark_running(session, job_id)
        assert not mark_running(session, job_id)  # only a queued job starts
        assert record_progress(session, job_id, 10, 20)
        assert mark_complete(session, job_id, 20, {"rows": 20})
        assert not mark_failed(session, job_id, "late failure")  # a complete job stays complete
        job = get_job(session, job_id)
        assert job is not None and job.status == JobStatus.COMPLETE and job.rows_done == 20
    engine.dispose()


def test_stale_jobs_fail_fresh_ones_do_not(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        stale = add_job(session, filename="s.csv", options={}, caller_key_id="k", request_id="r")
        fresh = add_job(session, filename="f.csv", options={}, caller_key_id="k", request_id="r")
        stale.heartbeat_at = now() - timedelta(minutes=2)
        session.commit()
        stale_id, fresh_id = stale.id, fresh.id
        assert fail_stale_jobs(session) == 1
        session.expire_all()
        failed, queued = session.get(type(stale), stale_id), session.get(type(fresh), fresh_id)
        assert failed is not None and failed.status == JobStatus.FAILED and "interrupted" in (failed.error or "")
        assert queued is not None and queued.status == JobStatus.QUEUED
    engine.dispose()


def test_only_the_next_chunk_is_recorded(database_url: str) -> None:
    """A chunk recorded once cannot be recorded again (a job run twice would otherwise count its shipments
    twice): the second attempt is refused and its transaction rolled back by the caller."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        job_id = add_job(session, filename="a.csv", options={}, caller_key_id="k", request_id="r").id
        session.commit()
    with Session(engine) as session:
        assert record_committed(session, job_id, 1, 500)
        session.commit()
    with Session(engine) as session:
        assert not record_committed(session, job_id, 1, 500)  # the same chunk again
        assert not record_committed(session, job_id, 3, 1500)  # a chunk skipped
        assert record_committed(session, job_id, 2, 1000)
        session.commit()
        job = get_job(session, job_id)
        assert job is not None and (job.chunks_committed, job.rows_committed) == (2, 1000)
    engine.dispose()
