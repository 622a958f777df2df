"""Resuming batch jobs that a restart or crash interrupted.

Every API process runs a `BatchResumer`. Every few seconds it claims jobs whose heartbeat stopped
(service.store.batches.claim_interrupted: one conditional update, so only one process gets each job),
and queues each on its own batch runner with the options the job was submitted with. The run screens
the whole upload again, so the result file is rebuilt in order from the first row, but it records in
the audit trail only the chunks after the last committed one (the count is committed with each chunk's
screenings). A job interrupted too often, or whose upload is gone, ends `failed` with the row up to
which its shipments are recorded.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.routers.batches import jobs_dir, runner
from service.api.state import ServiceState
from service.batch.run import BatchOptions
from service.periodic import Periodic
from service.store.batches import BatchJob, claim_interrupted, interruption, mark_failed

logger = logging.getLogger("service.api")
RESUME_POLL_SECONDS = 5.0


def resume_options(directory: Path, options: dict[str, Any], cluster: str | None = None) -> BatchOptions:
    """The BatchOptions a job was submitted with, from its recorded options and its stored files; it runs
    where this process runs jobs (the cluster configured here, if any)."""
    return BatchOptions(jsonl=bool(options.get("jsonl")), workers=os.cpu_count() or 1,
                        mapping=directory / "mapping.yaml" if options.get("mapping") else None,
                        encoding=options.get("encoding") or None, collect_screenings=True,
                        retrospective=bool(options.get("retrospective")), cluster=cluster)


class BatchResumer(Periodic):
    """Claims interrupted jobs and queues them again on this process's runner."""

    def __init__(self, app: FastAPI, state: ServiceState, interval: float | None = None) -> None:
        super().__init__("batch-resumer", interval or RESUME_POLL_SECONDS)
        self.app, self.state = app, state

    def check(self) -> list[str]:
        """Claim and queue what is interrupted; the ids of the jobs queued again."""
        try:
            with self.state.writing(), Session(self.state.engine) as session:
                claimed = claim_interrupted(session)
        except SQLAlchemyError as exc:
            logger.warning("cannot look for interrupted batch jobs: %s", type(exc).__name__)
            return []
        return [job.id for job in claimed if self._queue(job)]

    def _queue(self, job: BatchJob) -> bool:
        directory = jobs_dir(self.state) / job.id
        if not (directory / "input.csv").is_file():
            with self.state.writing(), Session(self.state.engine) as session:
                mark_failed(session, job.id, f"{interruption(job)}; its upload is gone, so it cannot be resumed")
            return False
        logger.info("resuming batch job %s after chunk %d (row %d)", job.id, job.chunks_committed,
                    job.rows_committed)
        options = resume_options(directory, job.options, self.state.settings.dask_scheduler)
        runner(self.app, self.state).submit(job.id, job.caller_key_id, options)
        return True

    def tick(self) -> bool:
        """One look per round."""
        self.check()
        return False
