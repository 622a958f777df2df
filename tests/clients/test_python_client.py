"""The Python client (clients/python) against the real app: the async client through ASGITransport, the sync
client over loopback HTTP to the app served by uvicorn; typed answers, paging, decisions, batch jobs with
progress and the result download, webhooks, and problems as exceptions."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from export_screen_client import ApiProblem, AsyncClient, BatchJob, Client, RetryPolicy, Screening
from fastapi import FastAPI

from tests.api.conftest import blocked_declaration, declaration, review_declaration
from tests.api.test_batches import FILE_ROWS, csv_bytes

CLIENT_ROOT = Path(__file__).resolve().parents[2] / "clients" / "python"


def _key(headers: dict[str, str]) -> str:
    return headers.get("X-API-Key") or headers["Authorization"].removeprefix("Bearer ")


@pytest.mark.asyncio
async def test_screen_page_and_decide(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    screener = AsyncClient("http://testserver", _key(as_screener), http=client)
    blocked = await screener.screen(blocked_declaration("SO-B1"))
    assert isinstance(blocked, Screening) and blocked.verdict == "block" and blocked.id
    assert blocked.findings and blocked.findings[0].rule_id and blocked.rulebook.version.startswith("sha256:")
    again = await screener.screen(blocked_declaration("SO-B1"), idempotency_key="erp-1")
    replayed = await screener.screen(blocked_declaration("SO-B1"), idempotency_key="erp-1")
    assert again.id == replayed.id != blocked.id  # one record per key
    review = await screener.screen(review_declaration("SO-R1"))
    assert [item.reference async for item in screener.screenings(page_size=1)] == ["SO-R1", "SO-B1", "SO-B1"]
    assert [item.id async for item in screener.screenings(verdict="review")] == [review.id]

    reviewer = AsyncClient("http://testserver", _key(as_reviewer), http=client)
    decision = await reviewer.decide(review.id, "release", "end_use_verified", "end-user statement on file")
    assert (decision.decision, decision.reason_code) == ("release", "end_use_verified")
    assert decision.screening_id == review.id
    record = await reviewer.screening(review.id)
    assert record.decision == "release" and [d.id for d in record.decisions] == [decision.id]
    assert record.result.verdict == "review" and record.declaration["reference"] == "SO-R1"
    assert [d.note for d in await reviewer.decisions(review.id)] == ["end-user statement on file"]


@pytest.mark.asyncio
async def test_problems_are_exceptions_with_the_fields(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    screener = AsyncClient("http://testserver", _key(as_screener), http=client)
    with pytest.raises(ApiProblem) as refused:
        await screener.screen(declaration(items=[{"hs_code": "12", "description": "x", "quantity": 1}]))
    assert refused.value.status == 422 and refused.value.code == "invalid_request"
    assert refused.value.errors and refused.value.request_id
    with pytest.raises(ApiProblem) as forbidden:
        await screener.decide("nope", "release", "end_use_verified", "x")
    assert forbidden.value.status == 403
    items = await screener.screen_many([declaration("SO-1"), {"reference": "SO-2"}])
    assert [(item.index, item.status) for item in items] == [(0, "screened"), (1, "invalid")]
    assert items[0].screening is not None and items[0].screening.verdict == "clear" and items[1].errors


@pytest.mark.asyncio
async def test_webhooks_and_secret_rotation(client: httpx.AsyncClient, as_admin: dict[str, str]) -> None:
    admin = AsyncClient("http://testserver", _key(as_admin), http=client)
    created = await admin.create_webhook("https://erp.example.com/hooks", ["screening.block"], description="SAP")
    assert created.secret and created.secret.startswith("whsec_")
    rotated = await admin.rotate_webhook_secret(created.id, keep_previous_seconds=600)
    assert rotated.secret != created.secret and rotated.rotation_overlap_until is not None
    assert [hook.id for hook in await admin.webhooks()] == [created.id]
    assert await admin.deliveries(created.id) == []
    assert (await admin.disable_webhook(created.id)).disabled_at is not None
    assert (await admin.ready()).status == "ready"


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    """The app on a loopback port, in a thread; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def test_a_batch_job_with_upload_progress_polling_and_download(
    served: str, as_screener: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "orders.csv"
    source.write_bytes(csv_bytes(FILE_ROWS))
    sent: list[tuple[int, int]] = []
    seen: list[BatchJob] = []
    with Client(served, _key(as_screener), sleep=time.sleep) as screener:
        job = screener.submit_batch(source, on_upload=lambda done, total: sent.append((done, total)))
        assert job.status in ("queued", "running", "complete")
        done = screener.wait_for_batch(job.id, poll=0.05, timeout=60, on_progress=seen.append)
        assert done.status == "complete" and done.rows_done == 5 and seen[-1] == done
        result = screener.download_batch_result(job.id, tmp_path / "result.csv")
        assert result.read_bytes().decode("utf-8-sig").splitlines()[0].startswith("reference,")
        assert [listed.id for listed in screener.batches()] == [job.id]
        with pytest.raises(ApiProblem) as missing:
            screener.download_batch_result("no-such-job", tmp_path / "other.csv")
        assert missing.value.status == 404 and not (tmp_path / "other.csv").exists()
    assert sent[-1] == (source.stat().st_size, source.stat().st_size)


def test_the_sync_client_retries_a_503_with_the_same_key_and_honours_retry_after() -> None:
    seen: list[httpx.Request] = []
    waits: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "7"}, json={"code": "store_unavailable"})
        if len(seen) == 2:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json=_screening_answer())

    http = httpx.Client(base_url="http://svc", transport=httpx.MockTransport(answer))
    with Client("http://svc", "esk_k", http=http, sleep=waits.append, retry=RetryPolicy(backoff=1.0)) as client:
        assert client.screen({"reference": "SO-1"}).verdict == "clear"
    assert len({request.headers["Idempotency-Key"] for request in seen}) == 1
    assert waits[0] == 7.0 and 0 <= waits[1] <= 2.0  # Retry-After, then backoff with jitter
    assert seen[0].headers["Authorization"] == "Bearer esk_k"


def test_retries_end_and_the_last_problem_is_raised() -> None:
    calls: list[httpx.Request] = []

    def busy(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "1"}, json={"code": "rate_limited", "detail": "slow down"})

    http = httpx.Client(base_url="http://svc", transport=httpx.MockTransport(busy))
    client = Client("http://svc", "k", http=http, sleep=lambda _: None, retry=RetryPolicy(attempts=2))
    with pytest.raises(ApiProblem) as raised:
        client.screen({"reference": "x"})
    assert (raised.value.status, raised.value.code, raised.value.retry_after) == (429, "rate_limited", "1")
    assert len(calls) == 3


def _screening_answer() -> dict[str, object]:
    return {"id": "s1", "reference": "SO-1", "verdict": "clear", "risk_score": 0, "findings": [],
            "rulebook": {"version": "sha256:x", "as_of": "2024-06-01"}, "lists": [],
            "screened_at": "2024-06-01T00:00:00Z", "a_field_added_later": 1}


def test_the_client_needs_only_httpx_and_pydantic() -> None:
    """An ERP installs the client without the service's framework, database drivers or compiled matcher."""
    project = tomllib.loads((CLIENT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert sorted(dependency.split(">")[0] for dependency in project["dependencies"]) == ["httpx", "pydantic"]
    heavy = {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "numpy", "psycopg", "rapidfuzz", "service", "uvicorn"}
    code = f"import sys, export_screen_client; print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy!r}))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"


@pytest.mark.asyncio
async def test_a_name_checked_alone(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    screener = AsyncClient("http://testserver", _key(as_screener), http=client)
    match = await screener.match_name("Denied Trading LLC", country="AE", idempotency_key="onboard-1")
    assert match.outcome == "block" and match.hits and match.hits[0].list_name and match.hits[0].score >= 90
    again = await screener.match_name("Denied Trading LLC", country="AE", idempotency_key="onboard-1")
    assert again.id == match.id
    assert (await screener.match_name("Sakura Furniture KK", country="JP")).outcome == "clear"
