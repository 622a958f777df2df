"""Taking batch jobs: new ones waiting for a process, and interrupted ones whose holder is gone.

Every process with background work (an API replica, unless EXPORT_SCREEN_BACKGROUND=false, and
`export-screen worker`) runs a `BatchClaimer`. Whenever its runner is free, and every
`batch_poll_seconds`, it claims the oldest claimable job (service.store.batches.claim_job: SKIP LOCKED
on PostgreSQL and a conditional update, so exactly one process gets each job) and queues it with the
options the job was submitted with, read from the job's record and its files in the shared data
directory. A job whose lease ran out is resumed: the run screens the whole upload again, so the result
file is rebuilt in order from the first row, but it records in the audit trail only the chunks after
the last committed one. A job interrupted too often, or whose upload is gone, ends `failed` with the
row up to which its shipments are recorded.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.routers.batches import BatchRunner, jobs_dir
from service.api.state import ServiceState
from service.batch.run import BatchOptions
from service.periodic import Periodic
from service.store.batches import BatchJob, claim_job, fail_stale_jobs, interruption, mark_failed
from service.store.leases import process_holder

logger = logging.getLogger("service.api")
CAPACITY = 1  # jobs a process runs at a time: each job already uses every core through its worker processes


def resume_options(directory: Path, options: dict[str, Any], cluster: str | None = None) -> BatchOptions:
    """The BatchOptions a job was submitted with, from its recorded options and its stored files; it runs
    where this process runs jobs (the Dask cluster configured here, if any)."""
    return BatchOptions(jsonl=bool(options.get("jsonl")), workers=os.cpu_count() or 1,
                        mapping=directory / "mapping.yaml" if options.get("mapping") else None,
                        encoding=options.get("encoding") or None, collect_screenings=True,
                        retrospective=bool(options.get("retrospective")), cluster=cluster)


class BatchClaimer(Periodic):
    """Claims jobs while this process's runner has room, and queues them on it."""

    def __init__(self, state: ServiceState, interval: float | None = None, holder: str | None = None) -> None:
        super().__init__("batch-claimer", interval or state.settings.batch_poll_seconds)
        self.state = state
        self.runner = BatchRunner(state, holder or process_holder())
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Stop claiming and renewing (jobs still held are taken over by another process)."""
        super().stop()
        self.runner.close()

    def poke(self) -> None:
        """Look now (a job was just submitted), from the caller's thread; a failure waits for the next round."""
        self.tick()

    def check(self) -> list[str]:
        """Fail what cannot be resumed, then claim and queue what fits; the ids of the jobs queued."""
        queued: list[str] = []
        if self.state.context is None:  # rules or lists not loaded here: leave the jobs to a process that has them
            return queued
        with self._lock:
            try:
                while self.runner.held() < CAPACITY:
                    job = self._claim()
                    if job is None:
                        break
                    if self._queue(job):
                        queued.append(job.id)
            except SQLAlchemyError as exc:
                logger.warning("cannot look for batch jobs to run: %s", type(exc).__name__)
        return queued

    def _claim(self) -> BatchJob | None:
        with self.state.writing(), Session(self.state.engine) as session:
            fail_stale_jobs(session)
            return claim_job(session, self.runner.holder, self.runner.lease)

    def _queue(self, job: BatchJob) -> bool:
        directory = jobs_dir(self.state) / job.id
        if not (directory / "input.csv").is_file():
            why = (f"its upload is not in the data directory {self.state.settings.data_dir} (is it shared by "
                   "every process?), so it cannot be run")
            with self.state.writing(), Session(self.state.engine) as session:
                mark_failed(session, job.id, f"{interruption(job)}; {why}" if job.resumes else why, self.runner.holder)
            return False
        if job.resumes:
            logger.info("resuming batch job %s after chunk %d (row %d)", job.id, job.chunks_committed,
                        job.rows_committed)
        options = resume_options(directory, job.options, self.state.settings.dask_scheduler)
        self.runner.submit(job.id, job.caller_key_id, options)
        return True

    def tick(self) -> bool:
        """One look per round; whatever goes wrong is logged and the next round tries again."""
        try:
            self.check()
        except Exception:  # never let the claimer thread die (or an upload fail after its job is recorded)
            logger.exception("looking for batch jobs to run failed")
        return False
