"""Batch jobs: the state of each uploaded CSV file being screened, kept in the database.

A job is `queued`, then `running` (with a heartbeat and progress), then `complete` (the result file was
written whole and renamed into place first) or `failed` (with a message). Each chunk's screenings are
committed together with the job's `chunks_committed` and `rows_committed`, so the job always knows how
far its audit trail goes. A job whose heartbeat stops (the service was restarted or crashed mid-run) is
claimed by a running API process, put back in the queue and resumed after its last committed chunk
(docs/batch.md); one that cannot be resumed (resumed too often, or submitted before resumption existed)
is marked failed by the next reader, with the row up to which its shipments are recorded. An
interrupted job is never reported running forever nor complete while half-written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Text, update
from sqlmodel import Field, Session, SQLModel, col, select

from service.store.database import new_id, now
from service.store.outbox import EventType, add_events, batch_data

STALE_AFTER = timedelta(seconds=30)  # no heartbeat for this long: the job's process is gone
MAX_RESUMES = 3  # a job interrupted this often (a file that crashes the service?) fails instead
RESUMABLE = "resumable"  # the options key that says the job's options and files allow a resume


class JobStatus(StrEnum):
    """Where a batch job is."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


class BatchJob(SQLModel, table=True):
    """One uploaded file and the progress of its screening."""

    __tablename__ = "batch_jobs"
    __table_args__ = (Index("ix_batch_jobs_status", "status"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    status: str = Field(sa_column=Column(String(12), nullable=False))
    filename: str = Field(sa_column=Column(String(255), nullable=False))
    options: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    rows_total: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    rows_done: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    heartbeat_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # chunks (in the run's fixed order) and data rows whose screenings are in the audit trail
    chunks_committed: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    rows_committed: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    resumes: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # when the job's upload and result were deleted, past the retention (the row and the audit trail stay)
    files_removed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    caller_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    request_id: str = Field(sa_column=Column(String(128), nullable=False))


def add_job(session: Session, *, filename: str, options: dict[str, Any], caller_key_id: str,
            request_id: str, job_id: str | None = None) -> BatchJob:
    """A new queued job in the caller's transaction."""
    job = BatchJob(id=job_id or new_id(), status=JobStatus.QUEUED.value, filename=filename[:255], options=options,
                   created_at=now(), heartbeat_at=now(), caller_key_id=caller_key_id, request_id=request_id)
    session.add(job)
    return job


def get_job(session: Session, job_id: str) -> BatchJob | None:
    """One job by id, after failing it if its process is gone."""
    fail_stale_jobs(session)
    return session.get(BatchJob, job_id)


def list_jobs(session: Session, *, caller_key_id: str | None, status: str | None, limit: int,
              before: str | None) -> list[BatchJob]:
    """Jobs newest first (ids are UUIDv7, time-ordered), after failing those whose process is gone, as
    get_job does. `caller_key_id`: only that key's jobs (None: every job); `before`: the id of the last
    job of the previous page (keyset pagination)."""
    fail_stale_jobs(session)
    query = select(BatchJob)
    if caller_key_id is not None:
        query = query.where(col(BatchJob.caller_key_id) == caller_key_id)
    if status is not None:
        query = query.where(col(BatchJob.status) == status)
    if before is not None:
        query = query.where(col(BatchJob.id) < before)
    return list(session.exec(query.order_by(col(BatchJob.id).desc()).limit(limit)).all())


def jobs_with_expired_files(session: Session, finished_before: datetime, limit: int) -> list[str]:
    """Ids of finished jobs (complete or failed) that ended before `finished_before` and still have their
    files, the oldest first."""
    query = (select(BatchJob.id)
             .where(col(BatchJob.status).in_((JobStatus.COMPLETE, JobStatus.FAILED)),
                    col(BatchJob.finished_at) < finished_before, col(BatchJob.files_removed_at).is_(None))
             .order_by(col(BatchJob.finished_at)).limit(limit))
    return list(session.exec(query).all())


def mark_files_removed(session: Session, job_id: str) -> None:
    """Record, in the caller's transaction, that the job's files are gone."""
    session.execute(update(BatchJob).where(col(BatchJob.id) == job_id).values(files_removed_at=now()))


def _set(session: Session, job_id: str, only_if: tuple[str, ...], **values: Any) -> bool:
    statement = update(BatchJob).where(col(BatchJob.id) == job_id, col(BatchJob.status).in_(only_if)).values(**values)
    changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
    if changed and values.get("status") in _FINAL_EVENTS:  # the webhook event commits with the final state
        add_events(session, [(_FINAL_EVENTS[values["status"]], batch_data(job_id, values["status"], values))])
    session.commit()
    return bool(changed)


_FINAL_EVENTS = {JobStatus.COMPLETE.value: EventType.BATCH_COMPLETED, JobStatus.FAILED.value: EventType.BATCH_FAILED}


def mark_running(session: Session, job_id: str) -> bool:
    """queued -> running; False if the job is no longer queued."""
    return _set(session, job_id, (JobStatus.QUEUED,), status=JobStatus.RUNNING.value, started_at=now(),
                heartbeat_at=now())


def record_progress(session: Session, job_id: str, rows_done: int, rows_total: int) -> bool:
    """Progress and heartbeat of a running job."""
    return _set(session, job_id, (JobStatus.RUNNING,), rows_done=rows_done, rows_total=rows_total, heartbeat_at=now())


def beat(session: Session, job_id: str) -> bool:
    """Heartbeat only: the job's process is alive (also during the pre-pass, before any progress)."""
    return _set(session, job_id, (JobStatus.QUEUED, JobStatus.RUNNING), heartbeat_at=now())


def mark_complete(session: Session, job_id: str, rows: int, counts: dict[str, Any]) -> bool:
    """running -> complete; call only after the result file is in place."""
    return _set(session, job_id, (JobStatus.RUNNING,), status=JobStatus.COMPLETE.value, rows_done=rows,
                rows_total=rows, counts=counts, finished_at=now(), heartbeat_at=now())


def mark_failed(session: Session, job_id: str, message: str) -> bool:
    """queued/running -> failed with a message for the caller."""
    return _set(session, job_id, (JobStatus.QUEUED, JobStatus.RUNNING), status=JobStatus.FAILED.value,
                error=message[:4000], finished_at=now())


def record_committed(session: Session, job_id: str, chunks: int, rows: int) -> bool:
    """In the caller's transaction (the one that adds the chunk's screenings): how far the audit trail goes.
    Only the next chunk moves it on (False otherwise, and the caller must roll back): if a job were ever
    run by two processes at once, the second to reach a chunk could not record its shipments again."""
    moved = session.execute(update(BatchJob).where(col(BatchJob.id) == job_id,
                                                   col(BatchJob.chunks_committed) == chunks - 1)
                            .values(chunks_committed=chunks, rows_committed=rows, heartbeat_at=now()))
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def resumable(job: BatchJob) -> bool:
    """Whether an interrupted job may be resumed rather than failed."""
    return bool(job.options.get(RESUMABLE)) and job.resumes < MAX_RESUMES


def _stale(session: Session, stale_after: timedelta) -> list[BatchJob]:
    cutoff = now() - stale_after
    return list(session.exec(
        select(BatchJob).where(col(BatchJob.status).in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                               col(BatchJob.heartbeat_at) < cutoff)
    ).all())


def claim_interrupted(session: Session, stale_after: timedelta = STALE_AFTER) -> list[BatchJob]:
    """Take over resumable jobs whose process is gone: each goes back to `queued` with a fresh heartbeat,
    in one conditional update, so that of several processes exactly one claims it."""
    cutoff = now() - stale_after
    claimed = []
    for job in _stale(session, stale_after):
        if not resumable(job):
            continue
        statement = (update(BatchJob)
                     .where(col(BatchJob.id) == job.id, col(BatchJob.heartbeat_at) < cutoff,
                            col(BatchJob.status).in_((JobStatus.QUEUED, JobStatus.RUNNING)))
                     .values(status=JobStatus.QUEUED.value, heartbeat_at=now(), resumes=BatchJob.resumes + 1)
                     .execution_options(synchronize_session=False))  # the database decides, not loaded rows
        if session.execute(statement).rowcount:  # type: ignore[attr-defined]
            claimed.append(job.id)
        session.commit()
    return [job for job in (session.get(BatchJob, job_id) for job_id in claimed) if job is not None]


def interruption(job: BatchJob) -> str:
    """What an interrupted job has done: up to which row its shipments are in the audit trail."""
    total = f" of {job.rows_total:,}" if job.rows_total else ""
    return (f"interrupted: the service stopped while the job was {job.status} (at row {job.rows_committed:,}"
            f"{total}: the shipments of rows 1 to {job.rows_committed:,} are in the audit trail, none after)")


def fail_stale_jobs(session: Session, stale_after: timedelta = STALE_AFTER) -> int:
    """Fail queued or running jobs whose heartbeat stopped and that cannot be resumed (resumable ones are
    left for claim_interrupted, which a running service calls every few seconds)."""
    failed = [job for job in _stale(session, stale_after) if not resumable(job)]
    for job in failed:
        why = "it was interrupted too often" if job.resumes >= MAX_RESUMES else "it cannot be resumed"
        mark_failed(session, job.id, f"{interruption(job)}; {why}; no result was published")
    return len(failed)
