"""Batch jobs on a Dask cluster: every shipment recorded once by the coordinating process, a resumed job
records only what was not yet recorded, and a cluster that cannot be reached fails the job with the reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select

from service.api.batch_claims import BatchClaimer
from service.api.routers import batches as batches_router
from service.settings import Settings
from service.store.batches import BatchJob
from service.store.database import now
from service.store.tables import Screening
from tests.api.test_batches import csv_bytes, parse
from tests.batch.conftest import row

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

# 2,400 rows: 5 chunks of 500 on the cluster, and one reference split across the file (screened first)
ROWS = [row("SPLIT-1")] + [row(f"SO-{n:04d}") for n in range(1, 2399)] + [row("SPLIT-1", "854231")]


@pytest.fixture
def scheduler(dask_cluster: str) -> str:
    return dask_cluster


@pytest.fixture
def settings(database_url: str, tmp_path: Path, scheduler: str) -> Settings:
    """The API's test settings, with batch jobs on the cluster."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var", migrate_on_start=False,
                    max_request_bytes=200_000, max_batch_size=5, dask_scheduler=scheduler,
                    dask_timeout_seconds=5.0, batch_poll_seconds=3600.0)  # claimed on upload; resumed by the test


def _recorded(app: FastAPI, job_id: str) -> list[str]:
    with Session(app.state.service.engine) as session:
        return list(session.exec(select(Screening.reference)
                                 .where(col(Screening.request_id) == f"batch:{job_id}")).all())


async def wait_for(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The job once it has ended (workers loading rules and lists on a busy machine take a while)."""
    for _ in range(1200):
        job: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if job["status"] in ("complete", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job did not finish: {job}")


async def _submit(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    upload = {"file": ("orders.csv", csv_bytes(ROWS), "text/csv")}
    answer = await client.post("/v1/batches", headers=headers, files=upload)
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["id"]
    return job_id


async def test_a_job_on_the_cluster_records_every_shipment_once(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    job_id = await _submit(client, as_screener)
    done = await wait_for(client, f"/v1/batches/{job_id}", as_screener)
    assert done["status"] == "complete", done
    assert sorted(_recorded(app, job_id)) == sorted({r[0] for r in ROWS})
    result = await client.get(f"/v1/batches/{job_id}/result", headers=as_screener)
    assert [r["reference"] for r in parse(result.content)] == [r[0] for r in ROWS]


async def test_an_interrupted_job_resumes_on_the_cluster_after_its_last_committed_chunk(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    batches_router.STOP_AFTER_CHUNKS = 2
    try:
        job_id = await _submit(client, as_screener)
        for _ in range(1200):
            with Session(app.state.service.engine) as session:
                job = session.get(BatchJob, job_id)
                if job is not None and job.chunks_committed == 2 and job.status == "running":
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
    finally:
        batches_router.STOP_AFTER_CHUNKS = None
    assert len(_recorded(app, job_id)) == 500  # the split reference, then 499 shipments of the first chunk
    with Session(app.state.service.engine) as session:
        job = session.get(BatchJob, job_id)
        assert job is not None
        job.lease_expires_at = now() - timedelta(minutes=5)  # as after a kill: the lease ran out
        session.commit()
    assert await run_in_threadpool(BatchClaimer(app.state.service, holder="another:2:cd").check) == [job_id]
    done = await wait_for(client, f"/v1/batches/{job_id}", as_screener)
    assert done["status"] == "complete", done
    assert sorted(_recorded(app, job_id)) == sorted({r[0] for r in ROWS})  # none twice, none skipped


@pytest.mark.parametrize("scheduler", ["tcp://127.0.0.1:9"])
async def test_a_cluster_that_cannot_be_reached_fails_the_job(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    job_id = await _submit(client, as_screener)
    done = await wait_for(client, f"/v1/batches/{job_id}", as_screener)
    assert done["status"] == "failed"
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done["error"]
    assert "no result was published" in done["error"]
    assert _recorded(app, job_id) == []
    result = await client.get(f"/v1/batches/{job_id}/result", headers=as_screener)
    assert result.status_code == 409
