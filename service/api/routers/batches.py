"""CSV batches over HTTP: a small file answered at once, a large one as a job with progress and a result.

`POST /v1/screenings:csv` screens a small file in the request and answers with the result CSV.
`POST /v1/batches` stores the upload, records a job and answers 202; a background thread screens it
(service.batch.run_batch) while `GET /v1/batches/{id}` reports progress, and `GET /v1/batches/{id}/result`
streams the result once it is complete. Every screened shipment is recorded in the audit trail, committed
chunk by chunk while the job runs, together with how far the job got; a job whose audit write fails stops
and is marked failed. The job is run by whichever process with background work is free first, this one
or another replica or `export-screen worker` on the same database and data directory; one interrupted by
a restart or a kill is taken over and resumed after its last committed chunk (service/api/batch_claims.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.deps import (
    CallerDep,
    ContextDep,
    IdempotencyDep,
    RequestIdDep,
    Retrospective,
    ScreenerDep,
    SessionDep,
    StateDep,
)
from service.api.errors import ApiError, InvalidRequest, NotFound, problem_responses
from service.api.paging import decode_cursor, encode_cursor
from service.api.recording import commit_answer, replay
from service.api.routing import CheckedRoute
from service.api.standing import with_all_standing
from service.api.state import ServiceState
from service.batch.columns import MappingError
from service.batch.run import BatchOptions, InputUnreadable, Summary, check_header, run_batch
from service.batch.screening import ChunkOutcome, ClusterUnavailable, ContextUnavailable
from service.engine.screen import ScreeningContext
from service.stamps import ScreeningStamp
from service.store.batches import (
    RESUMABLE,
    BatchJob,
    JobStatus,
    add_job,
    beat,
    get_job,
    list_jobs,
    mark_complete,
    mark_failed,
    mark_running,
    record_committed,
    record_progress,
)
from service.store.database import new_id
from service.store.keys import Caller, Role
from service.store.screenings import add_screenings, new_screening

logger = logging.getLogger("service.api")
router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["batches"])
JobId = Annotated[str, PathParam(description="Batch job id (UUIDv7).", max_length=36)]
CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/x-ndjson"
PROGRESS_SECONDS = 1.0
STOP_AFTER_CHUNKS: int | None = None  # tests: end the run abruptly after this many chunks, as a kill would


class JobInterrupted(BaseException):
    """The run ended without marking the job (a BaseException: no `except Exception` turns it into `failed`)."""


class BatchNotComplete(ApiError):
    """The job's result is not available (yet, or ever)."""

    status, code, title = 409, "batch_not_complete", "The batch job has no result to download"


class BatchResultRemoved(ApiError):
    """The job's files were deleted after the retention (docs/batch.md); its record and audit trail stay."""

    status, code, title = 410, "batch_result_removed", "The batch job's result was deleted after its retention"


class BatchJobView(BaseModel):
    """A batch job as the caller sees it."""

    id: str
    status: JobStatus
    filename: str
    format: str = Field(description="csv or jsonl.")
    rows_total: int | None = Field(description="Data rows in the file (known once the pre-pass ran).")
    rows_done: int
    counts: dict[str, Any] = Field(description="Rows and shipments per verdict, and error rows (when complete).")
    error: str | None = Field(description="Why the job failed.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result_url: str | None = Field(description="Where to download the result once complete (null once removed).")
    files_removed_at: datetime | None = Field(
        description="When the upload and result were deleted, after the retention; the record stays.")


def _view(job: BatchJob) -> BatchJobView:
    complete = job.status == JobStatus.COMPLETE and job.files_removed_at is None
    return BatchJobView(
        id=job.id, status=JobStatus(job.status), filename=job.filename, format=_format(job.options),
        rows_total=job.rows_total, rows_done=job.rows_done, counts=job.counts, error=job.error,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        result_url=f"/v1/batches/{job.id}/result" if complete else None, files_removed_at=job.files_removed_at,
    )


def _format(options: dict[str, Any]) -> str:
    return "jsonl" if options.get("jsonl") else "csv"


def _counts(summary: Summary) -> dict[str, Any]:
    return {"rows": summary.rows, "shipments": summary.shipments, "error_rows": summary.error_rows,
            "rows_by_verdict": dict(summary.rows_by_verdict),
            "shipments_by_verdict": dict(summary.shipments_by_verdict),
            "encoding": summary.encoding, "delimiter": summary.delimiter}


def _save(upload: BinaryIO, target: Path) -> Path:
    with target.open("wb") as out:
        shutil.copyfileobj(upload, out, 1 << 20)
    return target


def _options(directory: Path, jsonl: bool, encoding: str | None, mapping: UploadFile | None,
             retrospective: bool, workers: int = 1, cluster: str | None = None) -> BatchOptions:
    mapping_path = _save(mapping.file, directory / "mapping.yaml") if mapping is not None else None
    return BatchOptions(jsonl=jsonl, workers=workers, mapping=mapping_path, encoding=encoding or None,
                        collect_screenings=True, retrospective=retrospective, cluster=cluster)


def _invalid(exc: Exception) -> InvalidRequest:
    return InvalidRequest(f"The file cannot be screened: {exc}")


Jsonl = Annotated[bool, Form(description="Answer with JSON Lines instead of CSV.")]
Encoding = Annotated[str | None, Form(description="Input encoding (default: BOM, else UTF-8, else CP950).")]
Mapping = Annotated[UploadFile | None, File(description="YAML header mapping (docs/batch.md).")]
Upload = Annotated[UploadFile, File(description="The CSV export (docs/batch.md for the columns).")]


@router.post(
    "/screenings:csv", responses={200: {"content": {"text/csv": {}, JSONL_TYPE: {}}, "description": "The result"},
                                  **problem_responses(401, 403, 409, 413, 422, 503)},
    summary="Screen a small CSV file and answer with the result CSV",
)
def screen_csv(
    file: Upload, caller: ScreenerDep, context: ContextDep, session: SessionDep, state: StateDep,
    idempotency: IdempotencyDep, request_id: RequestIdDep, jsonl: Jsonl = False, encoding: Encoding = None,
    mapping: Mapping = None, retrospective: Retrospective = False,
) -> Response:
    """One result row per input row; every screened shipment recorded before the answer is sent."""
    media_type = JSONL_TYPE if jsonl else CSV_TYPE
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return Response(stored.body, media_type=media_type, headers={"Idempotent-Replayed": "true"})
    with tempfile.TemporaryDirectory(prefix="screen-csv-") as scratch:
        directory = Path(scratch)
        source = _save(file.file, directory / "input.csv")
        result = directory / "result"
        collected: list[ChunkOutcome] = []
        try:
            options = _options(directory, jsonl, encoding, mapping, retrospective)
            summary = run_batch(source, result, state.settings, options, context=with_all_standing(session, context),
                                on_screenings=collected.append)
        except (MappingError, InputUnreadable) as exc:
            raise _invalid(exc) from exc
        body = result.read_bytes()
    rows = [_audit_row(declaration, verdict, state.stamp, caller.key_id, request_id)
            for outcome in collected for declaration, verdict in outcome.screenings]
    with state.writing():
        add_screenings(session, rows)
        answer = commit_answer(session, caller, idempotency, 200, body)
    headers = {"X-Rows": str(summary.rows), "X-Error-Rows": str(summary.error_rows)}
    return Response(answer.body, media_type=media_type, headers=headers)


def _audit_row(declaration: Any, verdict: Any, stamp: ScreeningStamp, caller_key_id: str, request_id: str) -> Any:
    return new_screening(declaration=declaration.model_dump(mode="json"), verdict=verdict, stamp=stamp,
                         caller_key_id=caller_key_id, request_id=request_id)


@router.post(
    "/batches", status_code=202, response_model=BatchJobView,
    responses=problem_responses(401, 403, 409, 413, 422, 503), summary="Upload a CSV file to screen as a job",
)
def submit_batch(
    file: Upload, caller: ScreenerDep, context: ContextDep, session: SessionDep,
    state: StateDep, idempotency: IdempotencyDep, request_id: RequestIdDep, jsonl: Jsonl = False,
    encoding: Encoding = None, mapping: Mapping = None, retrospective: Retrospective = False,
) -> Response:
    """Store the file (in the data directory, which every replica and worker shares), check its header,
    record a queued job and answer 202 with its id; the first free process runs it."""
    stored = replay(session, caller, idempotency)
    if stored is not None:
        return stored
    job_id = new_id()
    directory = jobs_dir(state) / job_id
    directory.mkdir(parents=True)
    try:
        source = _save(file.file, directory / "input.csv")
        options = _options(directory, jsonl, encoding, mapping, retrospective, workers=os.cpu_count() or 1,
                           cluster=state.settings.dask_scheduler)
        check_header(source, options)
    except (MappingError, InputUnreadable) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise _invalid(exc) from exc
    job = add_job(session, job_id=job_id, filename=file.filename or "upload.csv", caller_key_id=caller.key_id,
                  request_id=request_id, options={"jsonl": jsonl, "encoding": options.encoding,
                                                  "mapping": options.mapping is not None,
                                                  "retrospective": retrospective, RESUMABLE: True})
    body = _view(job).model_dump_json().encode()
    with state.writing():
        answer = commit_answer(session, caller, idempotency, 202, body)
    if state.batch_claimer is not None:  # this process runs background work: start the job now if it is free
        state.batch_claimer.poke()
    answer.headers["Location"] = f"/v1/batches/{job_id}"
    return answer


def _owned_job(session: Session, job_id: str, caller: Caller) -> BatchJob:
    job = get_job(session, job_id)
    if job is None or not (job.caller_key_id == caller.key_id or caller.role.includes(Role.REVIEWER)):
        raise NotFound(f"No batch job with id {job_id!r}.")
    return job


class BatchJobPage(BaseModel):
    """A page of batch jobs, newest first."""

    items: list[BatchJobView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("/batches", response_model=BatchJobPage, responses=problem_responses(401, 422, 503),
            summary="Batch jobs, newest first")
def list_batches(
    caller: CallerDep, session: SessionDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> BatchJobPage:
    """A screener's key sees the jobs it submitted; a reviewer or admin sees every job (as for one job).
    An interrupted job reads `failed` with the reason, as it does alone."""
    own = None if caller.role.includes(Role.REVIEWER) else caller.key_id
    rows = list_jobs(session, caller_key_id=own, status=status.value if status else None, limit=limit + 1,
                     before=decode_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    return BatchJobPage(items=[_view(job) for job in page],
                        next_cursor=encode_cursor(page[-1].id) if more and page else None)


@router.get("/batches/{job_id}", response_model=BatchJobView, responses=problem_responses(401, 404, 422, 503),
            summary="Progress of a batch job")
def read_batch(job_id: JobId, caller: CallerDep, session: SessionDep) -> BatchJobView:
    """Status, rows done of rows total, counts; an interrupted job reads `failed` with the reason."""
    return _view(_owned_job(session, job_id, caller))


@router.get(
    "/batches/{job_id}/result", responses={200: {"content": {"text/csv": {}, JSONL_TYPE: {}}},
                                           **problem_responses(401, 404, 409, 410, 422, 503)},
    summary="Download the result of a complete batch job",
)
def read_batch_result(job_id: JobId, caller: CallerDep, session: SessionDep, state: StateDep) -> FileResponse:
    """The result file, streamed; 409 until the job is complete."""
    job = _owned_job(session, job_id, caller)
    if job.status != JobStatus.COMPLETE:
        raise BatchNotComplete(f"The job is {job.status}; {job.error or 'try again when it is complete'}.")
    if job.files_removed_at is not None:
        raise BatchResultRemoved(
            f"The result was deleted on {job.files_removed_at:%Y-%m-%d}, after the retention of finished jobs' "
            "files (EXPORT_SCREEN_BATCH_RETENTION_HOURS); every screened shipment is in the audit trail "
            "(GET /v1/screenings).")
    name = "result.jsonl" if job.options.get("jsonl") else "result.csv"
    path = jobs_dir(state) / job.id / name
    if not path.is_file():  # (being deleted past the retention this moment, or removed by hand)
        raise BatchResultRemoved("The result file is no longer in the service's data directory; every screened "
                                 "shipment is in the audit trail (GET /v1/screenings).")
    download = f"{Path(job.filename).stem}-screened.{name.rsplit('.', 1)[1]}"
    return FileResponse(path, media_type=JSONL_TYPE if job.options.get("jsonl") else CSV_TYPE, filename=download)


def jobs_dir(state: ServiceState) -> Path:
    """Where uploads and results of batch jobs are kept."""
    return Path(state.settings.data_dir) / "batches"


class BatchRunner:
    """Runs claimed jobs one at a time in a background thread (each job uses worker processes itself).

    One heartbeat thread renews the lease of every job this process holds, queued or running, so that a
    job waiting behind a long one is not taken for an interrupted one.
    """

    def __init__(self, state: ServiceState, holder: str, lease: timedelta | None = None) -> None:
        self._state = state
        self.holder = holder
        self.lease = lease or timedelta(seconds=state.settings.batch_lease_seconds)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-job")
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._heartbeat, name="batch-heartbeat", daemon=True).start()

    def close(self) -> None:
        """Stop the heartbeat (jobs still held will then read as interrupted once their lease runs out)."""
        self._stopped.set()

    def held(self) -> int:
        """How many jobs this process holds (running or waiting for the runner)."""
        with self._lock:
            return len(self._held)

    def submit(self, job_id: str, caller_key_id: str, options: BatchOptions) -> None:
        """Queue a job this process has claimed (a new one, or an interrupted one to resume)."""
        with self._lock:
            self._held.add(job_id)
        self._pool.submit(self._run, job_id, caller_key_id, options)

    def _run(self, job_id: str, caller_key_id: str, options: BatchOptions) -> None:
        try:
            run_job(self._state, job_id, caller_key_id, options, self.holder)
        finally:
            with self._lock:
                self._held.discard(job_id)

    def _heartbeat(self) -> None:
        while not self._stopped.wait(self.lease.total_seconds() / 6):
            with self._lock:
                held = sorted(self._held)
            for job_id in held:
                try:
                    with Session(self._state.engine) as session:
                        if not beat(session, job_id, self.holder, self.lease):
                            logger.warning("batch job %s: its lease was lost; its next write will stop it", job_id)
                except SQLAlchemyError as exc:
                    logger.warning("batch job %s heartbeat failed: %s", job_id, exc)


def run_job(state: ServiceState, job_id: str, caller_key_id: str, options: BatchOptions, holder: str) -> None:
    """Screen one claimed job's file; complete only after the result is in place, failed with a reason
    otherwise. A resumed job screens the whole file again for its result but records only the chunks after
    the last committed one: no shipment is recorded twice, none is skipped. A run that lost its lease to
    another process stops without touching the job or its files (the new holder owns both)."""
    engine = state.engine
    with Session(engine) as session:
        if not mark_running(session, job_id, holder):
            return
        job = session.get(BatchJob, job_id)
        committed = (job.chunks_committed, job.rows_committed) if job is not None else (0, 0)
    directory = jobs_dir(state) / job_id
    result = directory / ("result.jsonl" if options.jsonl else "result.csv")
    # this run's own file, renamed into place when whole: a run that lost its lease never writes over the next's
    written = result.with_name(f"{result.name}.{holder.replace(':', '-')}")
    try:
        summary = _screen_job(state, job_id, caller_key_id, options, directory / "input.csv", written, committed,
                              holder)
        os.replace(written, result)
    except Exception as exc:  # every failure must end as `failed` with a reason, never `complete`
        logger.error("batch job %s failed: %s", job_id, exc)
        written.unlink(missing_ok=True)
        with Session(engine) as session:
            if mark_failed(session, job_id, _failure(exc), holder):
                result.unlink(missing_ok=True)
        return
    with Session(engine) as session:
        if not mark_complete(session, job_id, summary.rows, _counts(summary), holder):
            raise JobInterrupted(f"job {job_id} was no longer held by this process when it finished")


def _screen_job(state: ServiceState, job_id: str, caller_key_id: str, options: BatchOptions, source: Path,
                result: Path, committed: tuple[int, int], holder: str) -> Summary:
    context: ScreeningContext | None = state.context
    if context is None:
        raise ContextUnavailable(state.context_error or "rules or lists not loaded")
    with Session(state.engine) as session:
        context = with_all_standing(session, context)
    audit_id = f"batch:{job_id}"
    last = [0.0]
    # chunks come in a fixed order (the split-reference pass, then the file's chunks), so a count of
    # chunks says exactly which shipments are recorded; rows count the file's chunks only
    seen = [0, 0]
    stop_after = STOP_AFTER_CHUNKS

    def record(outcome: ChunkOutcome) -> None:
        seen[0] += 1
        seen[1] += 0 if outcome.row_texts else outcome.rows
        if seen[0] <= committed[0]:
            return  # recorded before the interruption
        rows = [_audit_row(d, v, state.stamp, caller_key_id, audit_id) for d, v in outcome.screenings]
        with state.writing(), Session(state.engine) as session:
            add_screenings(session, rows)
            if not record_committed(session, job_id, seen[0], seen[1], holder):
                session.rollback()  # another process holds the job now (and may have recorded this chunk)
                raise JobInterrupted(f"chunk {seen[0]} of job {job_id} was recorded by another process")
            session.commit()
        if stop_after is not None and seen[0] >= stop_after:
            raise JobInterrupted(f"stopped after chunk {seen[0]}")

    def progress(done: int, total: int) -> None:
        clock = time.monotonic()
        if clock - last[0] >= PROGRESS_SECONDS or done == total:
            last[0] = clock
            with Session(state.engine) as session:
                record_progress(session, job_id, done, total, holder)

    return run_batch(source, result, state.settings, options, context=context, progress=progress,
                     on_screenings=record)


def _failure(exc: Exception) -> str:
    if isinstance(exc, SQLAlchemyError):
        return "the audit trail could not be written; the job was stopped and no result was published"
    if isinstance(exc, ContextUnavailable):
        return f"rules or lists could not be loaded, nothing more was screened: {exc}"
    if isinstance(exc, ClusterUnavailable):
        return f"{exc}; no result was published"
    return f"{type(exc).__name__}: {exc}"
