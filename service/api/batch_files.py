"""Batch job files past their retention: each finished job's upload and result are deleted, the job stays.

An upload is an ERP export with customers, goods and prices, and up to 2 GB: kept for good, they fill the
disk and keep business data longer than anyone needs it. So the files of a job that ended (complete or
failed) more than `Settings.batch_retention_hours` ago (30 days by default) are deleted by this janitor,
which every API process runs. The job's row stays (its status, counts and timestamps, with
`files_removed_at`), and so does the audit trail: every shipment the job screened is recorded with its
verdict. A removed result is `410 batch_result_removed`.
"""

from __future__ import annotations

import logging
import shutil
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from service.store.batches import jobs_with_expired_files, mark_files_removed
from service.store.database import Clock, Writing, now
from service.store.retention import Janitor

logger = logging.getLogger("service.api")
BATCH = 100  # jobs whose files are removed per round
INTERVAL = 600.0  # seconds between rounds while no backlog is waiting


class BatchFileJanitor(Janitor):
    """Deletes the directories of jobs finished before the retention, a batch of jobs per round (see
    Janitor for the rounds)."""

    what = "batch jobs' files"

    def __init__(self, engine: Engine, jobs_dir: Path, retention: timedelta, *, interval: float = INTERVAL,
                 batch: int = BATCH, writing: Writing = nullcontext, clock: Clock = now) -> None:
        super().__init__("batch-file-purge", engine, retention, interval=interval, batch=batch, writing=writing,
                         clock=clock)
        self.jobs_dir = jobs_dir

    def purge(self) -> int:
        """One round; the number of jobs whose files went. A job is marked only once its directory is gone
        (a directory that cannot be removed is logged and tried again next round)."""
        with Session(self.engine) as session:
            expired = jobs_with_expired_files(session, self.cutoff(), self.batch)
        removed = 0
        for job_id in expired:
            directory = self.jobs_dir / job_id
            try:
                shutil.rmtree(directory)
            except FileNotFoundError:
                pass  # (removed by another worker, or never written: nothing to keep either way)
            except OSError as exc:
                logger.warning("cannot remove the files of batch job %s: %s", job_id, exc)
                continue
            with self.writing(), Session(self.engine) as session:
                mark_files_removed(session, job_id)
                session.commit()
            removed += 1
        return removed
