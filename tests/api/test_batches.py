"""CSV batches over HTTP: direct answer for small files, jobs with progress, result download, audit trail."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from service.api.app import create_app
from service.api.routers import batches as batches_router
from service.engine.rulebook import Rulebook
from service.engine.screen import ScreeningContext
from service.settings import Settings
from service.store.batches import JobStatus, add_job
from service.store.database import make_engine, now
from tests.api.conftest import OneNameList, screening_date
from tests.batch.conftest import HEADER, row

pytestmark = pytest.mark.asyncio


def csv_bytes(rows: list[list[str]], header: tuple[str, ...] | list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def parse(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


FILE_ROWS = [row("API-1"), row("API-2", "854231", country="RU"), row("API-2", "940360", country="RU"),
             row("API-3", "12"), row("API-4", consignee="Denied Trading LLC")]


async def test_small_file_answered_with_result_csv_and_recorded(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    response = await client.post("/v1/screenings:csv", headers=as_screener,
                                 files={"file": ("orders.csv", csv_bytes(FILE_ROWS), "text/csv")})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-rows"] == "5" and response.headers["x-error-rows"] == "1"
    rows = parse(response.content)
    assert [(r["reference"], r["verdict"]) for r in rows] == [
        ("API-1", "clear"), ("API-2", "block"), ("API-2", "block"), ("API-3", ""), ("API-4", "block")]
    assert "HS/CCC code '12'" in rows[3]["row_status"]
    trail = (await client.get("/v1/screenings", params={"reference": "API-2"}, headers=as_screener)).json()
    assert [item["verdict"] for item in trail["items"]] == ["block"]


async def test_small_file_as_jsonl(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    response = await client.post("/v1/screenings:csv", headers=as_screener, data={"jsonl": "true"},
                                 files={"file": ("orders.csv", csv_bytes(FILE_ROWS[:1]), "text/csv")})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.json()["verdict"] == "clear"


async def test_unusable_header_is_a_problem(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    response = await client.post("/v1/screenings:csv", headers=as_screener,
                                 files={"file": ("x.csv", b"reference,foo\nA,b\n", "text/csv")})
    assert response.status_code == 422
    assert "required column" in response.json()["detail"]
    response = await client.post("/v1/batches", headers=as_screener,
                                 files={"file": ("x.csv", b"reference,foo\nA,b\n", "text/csv")})
    assert response.status_code == 422


@pytest.mark.parametrize("encoding", ["no-such-codec", "utf-8\x00"])
async def test_unknown_encoding_is_a_problem_naming_it(client: httpx.AsyncClient, as_screener: dict[str, str],
                                                      encoding: str) -> None:
    response = await client.post("/v1/screenings:csv", headers=as_screener, data={"encoding": encoding},
                                 files={"file": ("x.csv", csv_bytes(FILE_ROWS[:1]), "text/csv")})
    assert response.status_code == 422 and "unknown encoding" in response.json()["detail"]


async def test_csv_needs_a_key(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/screenings:csv", files={"file": ("x.csv", csv_bytes(FILE_ROWS), "text/csv")})
    assert response.status_code == 401


async def wait_for(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(200):
        job: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if job["status"] in ("complete", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job did not finish: {job}")


async def test_batch_job_runs_and_result_streams(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    response = await client.post("/v1/batches", headers=as_screener,
                                 files={"file": ("orders.csv", csv_bytes(FILE_ROWS), "text/csv")})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/batches/{job['id']}"
    assert job["status"] in ("queued", "running", "complete")
    done = await wait_for(client, f"/v1/batches/{job['id']}", as_screener)
    assert done["status"] == "complete", done
    assert done["rows_done"] == done["rows_total"] == 5
    assert done["counts"]["rows_by_verdict"] == {"clear": 1, "block": 3, "error": 1}
    result = await client.get(done["result_url"], headers=as_screener)
    assert result.status_code == 200
    assert "attachment" in result.headers["content-disposition"]
    assert [r["reference"] for r in parse(result.content)] == ["API-1", "API-2", "API-2", "API-3", "API-4"]
    trail = (await client.get("/v1/screenings", params={"reference": "API-4"}, headers=as_screener)).json()
    assert trail["items"][0]["verdict"] == "block"


async def test_other_callers_cannot_see_a_job(
    client: httpx.AsyncClient, as_screener: dict[str, str], keys: dict[Any, str]
) -> None:
    from service.store.keys import Role

    job = (await client.post("/v1/batches", headers=as_screener,
                             files={"file": ("o.csv", csv_bytes(FILE_ROWS[:1]), "text/csv")})).json()
    await wait_for(client, f"/v1/batches/{job['id']}", as_screener)
    other = {"Authorization": f"Bearer {keys[Role.ADMIN]}"}
    assert (await client.get(f"/v1/batches/{job['id']}", headers=other)).status_code == 200  # admin may
    assert (await client.get("/v1/batches/nope", headers=as_screener)).status_code == 404


async def test_audit_failure_fails_the_job_without_result(
    client: httpx.AsyncClient, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(batches_router, "add_screenings", broken)
    job = (await client.post("/v1/batches", headers=as_screener,
                             files={"file": ("o.csv", csv_bytes(FILE_ROWS), "text/csv")})).json()
    done = await wait_for(client, f"/v1/batches/{job['id']}", as_screener)
    assert done["status"] == "failed"
    assert "audit trail could not be written" in done["error"]
    result = await client.get(f"/v1/batches/{job['id']}/result", headers=as_screener)
    assert result.status_code == 409
    assert result.json()["code"] == "batch_not_complete"


async def test_interrupted_job_reads_failed_never_complete(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings, keys: dict[Any, str]
) -> None:
    engine = make_engine(settings.database_url)
    caller_key = (await client.get("/v1/screenings", headers=as_screener)).status_code  # the key works
    assert caller_key == 200
    with Session(engine) as session:
        from service.store.keys import find_caller

        caller = find_caller(session, as_screener["Authorization"].removeprefix("Bearer "))
        assert caller is not None
        job = add_job(session, filename="big.csv", options={}, caller_key_id=caller.key_id, request_id="r")
        job.status, job.rows_done, job.rows_total = JobStatus.RUNNING.value, 300, 1000
        job.rows_committed = 500  # progress lags behind what is committed
        job.lease_holder, job.lease_expires_at = "gone", now() - timedelta(minutes=5)
        session.commit()
        job_id = job.id
    engine.dispose()
    seen = (await client.get(f"/v1/batches/{job_id}", headers=as_screener)).json()
    assert seen["status"] == "failed"
    assert "interrupted" in seen["error"] and "row 500 of 1,000" in seen["error"]
    assert (await client.get(f"/v1/batches/{job_id}/result", headers=as_screener)).status_code == 409


async def test_direct_endpoint_keeps_the_request_limit_batches_have_their_own(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings
) -> None:
    big = csv_bytes([row(f"SO-{n}") for n in range(4000)])
    assert settings.max_request_bytes < len(big) < settings.max_upload_bytes
    direct = await client.post("/v1/screenings:csv", headers=as_screener, files={"file": ("o.csv", big, "text/csv")})
    assert direct.status_code == 413
    job = await client.post("/v1/batches", headers=as_screener, files={"file": ("o.csv", big, "text/csv")})
    assert job.status_code == 202
    done = await wait_for(client, f"/v1/batches/{job.json()['id']}", as_screener)
    assert done["status"] == "complete" and done["rows_done"] == 4000


async def test_upload_over_the_batch_limit_is_refused(
    settings: Settings, rulebook: Rulebook, as_screener: dict[str, str]
) -> None:
    app = create_app(settings.model_copy(update={"max_upload_bytes": 5000}),
                     load=lambda _: ScreeningContext(rulebook=rulebook, parties=OneNameList(),
                                                     screening_day=screening_date))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            big = csv_bytes([row(f"SO-{n}") for n in range(100)])
            response = await http.post("/v1/batches", headers=as_screener, files={"file": ("o.csv", big, "text/csv")})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


async def test_runner_renews_the_lease_of_every_job_it_holds(app: Any, client: httpx.AsyncClient,
                                                             settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        job = add_job(session, filename="waiting.csv", options={}, caller_key_id="k", request_id="r")
        job.lease_holder, job.lease_expires_at = "test:1:ab", now() + timedelta(seconds=1)
        job.heartbeat_at = now() - timedelta(seconds=20)
        session.commit()
        job_id, before, until = job.id, job.heartbeat_at, job.lease_expires_at
    runner = batches_router.BatchRunner(app.state.service, "test:1:ab", lease=timedelta(seconds=0.12))
    runner._held.add(job_id)  # held as if queued behind a long job
    await asyncio.sleep(0.3)
    runner.close()
    with Session(engine) as session:
        beaten = session.get(type(job), job_id)
        assert beaten is not None and beaten.status == JobStatus.QUEUED and beaten.lease_holder == "test:1:ab"
        assert beaten.heartbeat_at is not None and beaten.heartbeat_at > before
        assert beaten.lease_expires_at is not None and beaten.lease_expires_at < until  # 0.12 s from the last beat
    engine.dispose()


def _jobs_of(settings: Settings, secret: str, count: int, status: JobStatus = JobStatus.COMPLETE) -> list[str]:
    """`count` jobs of the key with this secret, oldest first (their ids)."""
    from service.store.keys import find_caller

    engine = make_engine(settings.database_url)
    ids = []
    with Session(engine) as session:
        caller = find_caller(session, secret)
        assert caller is not None
        for number in range(count):
            job = add_job(session, filename=f"orders-{number}.csv", options={}, caller_key_id=caller.key_id,
                          request_id="r")
            job.status = status.value
            session.commit()
            ids.append(job.id)
    engine.dispose()
    return ids


async def test_jobs_are_listed_newest_first_a_page_at_a_time(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings, keys: dict[Any, str]
) -> None:
    from service.store.keys import Role

    mine = _jobs_of(settings, keys[Role.SCREENER], 5)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/batches", params=params, headers=as_screener)).json()
        seen += [job["id"] for job in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == mine[::-1]
    first = (await client.get("/v1/batches", params={"limit": 1}, headers=as_screener)).json()["items"][0]
    assert first["filename"] == "orders-4.csv" and first["result_url"] == f"/v1/batches/{mine[-1]}/result"


async def test_a_screener_lists_its_own_jobs_a_reviewer_every_job(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str], settings: Settings,
    keys: dict[Any, str]
) -> None:
    from service.store.keys import Role

    mine = _jobs_of(settings, keys[Role.SCREENER], 1)
    theirs = _jobs_of(settings, keys[Role.ADMIN], 1, JobStatus.FAILED)
    listed = (await client.get("/v1/batches", headers=as_screener)).json()["items"]
    assert [job["id"] for job in listed] == mine
    every = (await client.get("/v1/batches", headers=as_reviewer)).json()["items"]
    assert [job["id"] for job in every] == theirs + mine
    failed = (await client.get("/v1/batches", params={"status": "failed"}, headers=as_reviewer)).json()["items"]
    assert [job["id"] for job in failed] == theirs


async def test_listing_fails_interrupted_jobs_and_refuses_a_foreign_cursor(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings, keys: dict[Any, str]
) -> None:
    from service.store.keys import Role

    (job_id,) = _jobs_of(settings, keys[Role.SCREENER], 1, JobStatus.RUNNING)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:  # its lease ran out five minutes ago: the process is gone
        from service.store.batches import BatchJob

        job = session.get(BatchJob, job_id)
        assert job is not None
        job.lease_holder, job.lease_expires_at = "gone", now() - timedelta(minutes=5)
        session.commit()
    engine.dispose()
    listed = (await client.get("/v1/batches", headers=as_screener)).json()["items"]
    assert listed[0]["status"] == "failed" and listed[0]["error"].startswith("interrupted")
    refused = await client.get("/v1/batches", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=as_screener)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "cursor"


async def test_small_file_in_retrospective_mode_is_recorded_so(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    old = row("OLD-1")
    old[1] = "２０２４／０１／０２"  # full-width, five months before the test clock's date
    for params, verdict in (({}, "review"), ({"retrospective": "true"}, "clear")):
        response = await client.post("/v1/screenings:csv", headers=as_screener, params=params,
                                     files={"file": ("old.csv", csv_bytes([old]), "text/csv")})
        assert response.status_code == 200, response.text
        assert parse(response.content)[0]["verdict"] == verdict
    trail = (await client.get("/v1/screenings", params={"reference": "OLD-1"}, headers=as_screener)).json()
    assert [item["retrospective"] for item in trail["items"]] == [True, False]


async def test_batch_job_in_retrospective_mode(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    old = row("OLD-2")
    old[1] = "2024-01-02"
    response = await client.post("/v1/batches", headers=as_screener, params={"retrospective": "true"},
                                 files={"file": ("old.csv", csv_bytes([old]), "text/csv")})
    assert response.status_code == 202, response.text
    done = await wait_for(client, f"/v1/batches/{response.json()['id']}", as_screener)
    assert done["counts"]["rows_by_verdict"] == {"clear": 1}
    trail = (await client.get("/v1/screenings", params={"reference": "OLD-2"}, headers=as_screener)).json()
    assert [item["retrospective"] for item in trail["items"]] == [True]
