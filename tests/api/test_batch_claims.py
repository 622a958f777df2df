"""An interrupted batch job says how far its audit trail goes and, once its holder's lease ran out, is taken
over and resumed from there: every shipment recorded exactly once, the result rebuilt whole and in order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func
from sqlmodel import Session, col, select

from service.api.app import create_app
from service.api.batch_claims import BatchClaimer
from service.api.routers import batches as batches_router
from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.batches import MAX_RESUMES, BatchJob, JobStatus
from service.store.database import now
from service.store.tables import Screening
from tests.api.conftest import clocked_context
from tests.api.test_batches import csv_bytes, parse, wait_for
from tests.batch.conftest import row

pytestmark = pytest.mark.asyncio

# 1,900 rows in 4 chunks of 500 (screened in-process), and one reference split across the file, which
# the split-reference pass screens first, as a chunk of its own
ROWS = [row("SPLIT-1")] + [row(f"SO-{n:04d}") for n in range(1, 1899)] + [row("SPLIT-1", "854231")]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's own claimer takes a job when it is submitted, then looks again only in an hour: the tests
    call check() themselves."""
    return settings.model_copy(update={"batch_poll_seconds": 3600.0})


def _job(app: FastAPI, job_id: str) -> BatchJob:
    with Session(app.state.service.engine) as session:
        job = session.get(BatchJob, job_id)
        assert job is not None
        return job


def _recorded(app: FastAPI, job_id: str) -> list[str]:
    with Session(app.state.service.engine) as session:
        return list(session.exec(select(Screening.reference)
                                 .where(col(Screening.request_id) == f"batch:{job_id}")).all())


def _stop_heart(app: FastAPI, job_id: str) -> None:
    """As after a kill: the job's lease ran out."""
    with Session(app.state.service.engine) as session:
        job = session.get(BatchJob, job_id)
        assert job is not None
        job.lease_expires_at = now() - timedelta(minutes=5)
        session.commit()


async def _interrupted(app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], chunks: int) -> str:
    batches_router.STOP_AFTER_CHUNKS = chunks
    try:
        answer = await client.post("/v1/batches", headers=headers,
                                   files={"file": ("orders.csv", csv_bytes(ROWS), "text/csv")})
        assert answer.status_code == 202, answer.text
        job_id: str = answer.json()["id"]
        for _ in range(400):
            if _job(app, job_id).chunks_committed == chunks:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the runner lets go of the job
    finally:
        batches_router.STOP_AFTER_CHUNKS = None
    _stop_heart(app, job_id)
    return job_id


async def test_an_interrupted_job_resumes_after_its_last_committed_chunk(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    job_id = await _interrupted(app, client, as_screener, chunks=2)
    job = _job(app, job_id)
    recorded = _recorded(app, job_id)
    assert job.status == JobStatus.RUNNING and job.chunks_committed == 2 and job.rows_committed == 500
    assert len(recorded) == 500 and "SPLIT-1" in recorded  # the split reference, then 499 more of the first chunk
    seen = (await client.get(f"/v1/batches/{job_id}", headers=as_screener)).json()
    assert seen["status"] == "running"  # resumable: left for the resumer, not failed by the reader

    assert await run_in_threadpool(BatchClaimer(app.state.service, holder="another:2:cd").check) == [job_id]
    done = await wait_for(client, f"/v1/batches/{job_id}", as_screener)
    assert done["status"] == "complete", done
    recorded = _recorded(app, job_id)
    assert sorted(recorded) == sorted({r[0] for r in ROWS})  # each shipment once: none twice, none skipped
    result = await client.get(f"/v1/batches/{job_id}/result", headers=as_screener)
    assert [r["reference"] for r in parse(result.content)] == [r[0] for r in ROWS]
    assert _job(app, job_id).resumes == 1 and _job(app, job_id).rows_committed == len(ROWS)


async def test_only_one_process_claims_an_interrupted_job(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    job_id = await _interrupted(app, client, as_screener, chunks=1)
    first = BatchClaimer(app.state.service, holder="first:2:cd")
    second = BatchClaimer(app.state.service, holder="second:3:ef")
    claims = await asyncio.gather(run_in_threadpool(first.check), run_in_threadpool(second.check))
    assert sorted(claims, key=len) == [[], [job_id]]
    assert (await wait_for(client, f"/v1/batches/{job_id}", as_screener))["status"] == "complete"
    assert len(_recorded(app, job_id)) == len({r[0] for r in ROWS})


async def test_a_job_interrupted_too_often_fails_and_says_how_far_it_got(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    job_id = await _interrupted(app, client, as_screener, chunks=2)
    with Session(app.state.service.engine) as session:
        job = session.get(BatchJob, job_id)
        assert job is not None
        job.resumes = MAX_RESUMES
        session.commit()
    seen: dict[str, Any] = (await client.get(f"/v1/batches/{job_id}", headers=as_screener)).json()
    assert seen["status"] == "failed"
    assert "at row 500: the shipments of rows 1 to 500 are in the audit trail" in seen["error"]
    with Session(app.state.service.engine) as session:
        count = session.exec(select(func.count()).select_from(Screening)
                             .where(col(Screening.request_id) == f"batch:{job_id}")).one()
    assert count == 500


async def test_a_restarted_service_resumes_the_job_by_itself(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings, rulebook: Rulebook
) -> None:
    job_id = await _interrupted(app, client, as_screener, chunks=3)
    restarted = create_app(settings.model_copy(update={"batch_poll_seconds": 0.1}),  # a new process, same data
                           load=lambda _: clocked_context(rulebook))
    async with restarted.router.lifespan_context(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as again:
            done = await wait_for(again, f"/v1/batches/{job_id}", as_screener)
            result = await again.get(f"/v1/batches/{job_id}/result", headers=as_screener)
    assert done["status"] == "complete" and done["rows_done"] == len(ROWS)
    assert sorted(_recorded(app, job_id)) == sorted({r[0] for r in ROWS})
    assert [r["reference"] for r in parse(result.content)] == [r[0] for r in ROWS]
