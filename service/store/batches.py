"""Batch jobs: the state of each uploaded CSV file being screened, kept in the database.

A job is `queued`, then `running` (with a heartbeat and progress), then `complete` (the result file was
written whole and renamed into place first) or `failed` (with a message). Each chunk's screenings are
committed together with the job's `chunks_committed` and `rows_committed`, so the job always knows how
far its audit trail goes.

Every process with background work (API replicas, `export-screen worker`) takes jobs through a lease: the
holder's id and an expiry that its heartbeat renews. A queued job nobody holds is claimed by whichever
process is free first (on PostgreSQL with FOR UPDATE SKIP LOCKED, so claimers pass over each other's
rows; everywhere with a conditional update that exactly one claimer wins). A job whose lease ran out
(its process was killed, or lost the database) is claimed the same way, put back in the queue and
resumed after its last committed chunk (docs/batch.md); one that cannot be resumed (resumed too often,
or submitted before resumption existed) is marked failed by the next reader, with the row up to which
its shipments are recorded. Every write of a run names its holder, so a process that lost its lease
cannot record anything more. An interrupted job is never reported running forever nor complete while
half-written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Text, update
from sqlmodel import Field, Session, SQLModel, col, select

from service.store.database import new_id, now
from service.store.outbox import EventType, add_events, batch_data

LEASE = timedelta(seconds=30)  # Settings.batch_lease_seconds: a holder that has not renewed for this long is gone
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
    # the process running the job (service.store.leases.process_holder) and until when, unless it renews
    lease_holder: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    lease_expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # when the job's upload and result were deleted, past the retention (the row and the audit trail stay)
    files_removed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    caller_key_id: str = Field(sa_column=Column(String(32), nullable=False))
    request_id: str = Field(sa_column=Column(String(128), nullable=False))


def add_job(session: Session, *, filename: str, options: dict[str, Any], caller_key_id: str,
            request_id: str, job_id: str | None = None) -> BatchJob:
    """A new queued job in the caller's transaction, held by nobody: the first free process claims it."""
    job = BatchJob(id=job_id or new_id(), status=JobStatus.QUEUED.value, filename=filename[:255], options=options,
                   created_at=now(), heartbeat_at=now(), caller_key_id=caller_key_id, request_id=request_id)
    session.add(job)
    return job


def get_job(session: Session, job_id: str) -> BatchJob | None:
    """One job by id, after failing it if its holder is gone and it cannot be resumed."""
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


def _set(session: Session, job_id: str, only_if: tuple[str, ...], holder: str | None = None, **values: Any) -> bool:
    statement = update(BatchJob).where(col(BatchJob.id) == job_id, col(BatchJob.status).in_(only_if))
    if holder is not None:  # only the lease's holder may move the job on
        statement = statement.where(col(BatchJob.lease_holder) == holder)
    changed = session.execute(statement.values(**values)).rowcount  # type: ignore[attr-defined]
    if changed and values.get("status") in _FINAL_EVENTS:  # the webhook event commits with the final state
        add_events(session, [(_FINAL_EVENTS[values["status"]], batch_data(job_id, values["status"], values))])
    session.commit()
    return bool(changed)


_FINAL_EVENTS = {JobStatus.COMPLETE.value: EventType.BATCH_COMPLETED, JobStatus.FAILED.value: EventType.BATCH_FAILED}


def mark_running(session: Session, job_id: str, holder: str) -> bool:
    """queued -> running; False if the job is no longer queued or no longer held by `holder`."""
    return _set(session, job_id, (JobStatus.QUEUED,), holder, status=JobStatus.RUNNING.value, started_at=now(),
                heartbeat_at=now())


def record_progress(session: Session, job_id: str, rows_done: int, rows_total: int, holder: str) -> bool:
    """Progress and heartbeat of a running job."""
    return _set(session, job_id, (JobStatus.RUNNING,), holder, rows_done=rows_done, rows_total=rows_total,
                heartbeat_at=now())


def beat(session: Session, job_id: str, holder: str, lease: timedelta = LEASE) -> bool:
    """Renew the holder's lease (also during the pre-pass, before any progress); False if it was lost."""
    moment = now()
    return _set(session, job_id, (JobStatus.QUEUED, JobStatus.RUNNING), holder, heartbeat_at=moment,
                lease_expires_at=moment + lease)


def mark_complete(session: Session, job_id: str, rows: int, counts: dict[str, Any], holder: str) -> bool:
    """running -> complete; call only after the result file is in place."""
    return _set(session, job_id, (JobStatus.RUNNING,), holder, status=JobStatus.COMPLETE.value, rows_done=rows,
                rows_total=rows, counts=counts, finished_at=now(), heartbeat_at=now(), lease_holder=None,
                lease_expires_at=None)


def mark_failed(session: Session, job_id: str, message: str, holder: str | None = None) -> bool:
    """queued/running -> failed with a message for the caller (`holder`: only while it holds the job)."""
    return _set(session, job_id, (JobStatus.QUEUED, JobStatus.RUNNING), holder, status=JobStatus.FAILED.value,
                error=message[:4000], finished_at=now(), lease_holder=None, lease_expires_at=None)


def record_committed(session: Session, job_id: str, chunks: int, rows: int, holder: str) -> bool:
    """In the caller's transaction (the one that adds the chunk's screenings): how far the audit trail goes.
    Only the holder, and only the next chunk, moves it on (False otherwise, and the caller must roll back): a
    process that lost its lease, or a second run of the job, cannot record a chunk's shipments again."""
    moved = session.execute(update(BatchJob).where(col(BatchJob.id) == job_id, col(BatchJob.lease_holder) == holder,
                                                   col(BatchJob.chunks_committed) == chunks - 1)
                            .values(chunks_committed=chunks, rows_committed=rows, heartbeat_at=now()))
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def resumable(job: BatchJob) -> bool:
    """Whether an interrupted job may be resumed rather than failed."""
    return bool(job.options.get(RESUMABLE)) and job.resumes < MAX_RESUMES


def _unfinished() -> Any:
    return col(BatchJob.status).in_((JobStatus.QUEUED, JobStatus.RUNNING))


def _expired(moment: datetime) -> Any:
    return col(BatchJob.lease_expires_at) < moment


def _claimable(moment: datetime) -> Any:
    """Queued and held by nobody (waiting for a free process), or unfinished with a lease that ran out."""
    waiting = (col(BatchJob.status) == JobStatus.QUEUED) & col(BatchJob.lease_holder).is_(None)
    return waiting | (_unfinished() & col(BatchJob.lease_holder).is_not(None) & _expired(moment))


def _stale(session: Session) -> list[BatchJob]:
    return list(session.exec(select(BatchJob).where(_unfinished(), col(BatchJob.lease_holder).is_not(None),
                                                    _expired(now()))).all())


def claim_job(session: Session, holder: str, lease: timedelta = LEASE) -> BatchJob | None:
    """Take the oldest job that waits for a process or whose holder is gone, for `holder`; None if there is
    none (or others took each first). A job taken over goes back to `queued` and counts a resume. Commits."""
    moment = now()
    candidates = session.exec(
        select(BatchJob).where(_claimable(moment)).order_by(col(BatchJob.id)).limit(20)
        .with_for_update(skip_locked=True)  # PostgreSQL: rows another claimer is looking at are passed over
    ).all()
    for job in candidates:
        taken_over = job.lease_holder is not None
        if taken_over and not resumable(job):
            continue  # failed by fail_stale_jobs
        claimed = session.execute(
            update(BatchJob).where(col(BatchJob.id) == job.id, _claimable(moment))
            .values(status=JobStatus.QUEUED.value, lease_holder=holder, lease_expires_at=moment + lease,
                    heartbeat_at=moment, resumes=BatchJob.resumes + (1 if taken_over else 0))
            .execution_options(synchronize_session=False)  # the database decides, not the loaded rows
        ).rowcount  # type: ignore[attr-defined]
        if claimed:
            session.commit()
            session.refresh(job)
            return job
    session.commit()
    return None


def interruption(job: BatchJob) -> str:
    """What an interrupted job has done: up to which row its shipments are in the audit trail."""
    total = f" of {job.rows_total:,}" if job.rows_total else ""
    return (f"interrupted: the service stopped while the job was {job.status} (at row {job.rows_committed:,}"
            f"{total}: the shipments of rows 1 to {job.rows_committed:,} are in the audit trail, none after)")


def fail_stale_jobs(session: Session) -> int:
    """Fail queued or running jobs whose holder's lease ran out and that cannot be resumed (resumable ones are
    left for claim_job, which every process with background work calls every few seconds)."""
    failed = [job for job in _stale(session) if not resumable(job)]
    for job in failed:
        why = "it was interrupted too often" if job.resumes >= MAX_RESUMES else "it cannot be resumed"
        mark_failed(session, job.id, f"{interruption(job)}; {why}; no result was published")
    return len(failed)
