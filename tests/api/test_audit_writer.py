"""The audit writer: screenings queued meanwhile are committed together, each answered only once committed."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from service.api import audit_writer
from service.api.audit_writer import AuditWriter
from service.settings import Settings
from service.store.database import CHECKPOINT_UNDER_LOCK_EVERY, WAL_CHECKPOINT_PAGES
from tests.api.conftest import declaration, runs_in_lifespan

pytestmark = pytest.mark.asyncio


class HeldWriter:
    """Holds the writer's first transaction until `release`, so the requests sent meanwhile queue up."""

    def __init__(self, writer: AuditWriter) -> None:
        self.writer, self.real = writer, writer.sessions
        self.entered, self.gate, self.opened = threading.Event(), threading.Event(), 0
        writer.sessions = self.sessions

    def sessions(self) -> Session:
        self.entered.set()
        self.gate.wait(timeout=10)
        self.opened += 1
        return self.real()

    async def queued(self, count: int) -> None:
        while self.writer.waiting() < count:
            await asyncio.sleep(0.01)


async def send_while_held(app: FastAPI, client: httpx.AsyncClient, requests: list[dict[str, Any]]) -> tuple[
        HeldWriter, list[httpx.Response]]:
    """The first request is taken by the writer and held; the others queue; then everything is released."""
    held = HeldWriter(app.state.service.audit)
    first = asyncio.create_task(client.post("/v1/screenings", **requests[0]))
    while not held.entered.is_set():
        await asyncio.sleep(0.01)
    rest = [asyncio.create_task(client.post("/v1/screenings", **request)) for request in requests[1:]]
    await held.queued(len(rest))
    held.gate.set()
    return held, list(await asyncio.gather(first, *rest))


async def test_queued_screenings_share_one_commit(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    requests = [{"json": declaration(f"G-{number}"), "headers": as_screener} for number in range(6)]
    held, answers = await send_while_held(app, client, requests)
    assert [answer.status_code for answer in answers] == [201] * 6
    assert held.opened == 2  # the first alone, the five queued behind it together
    listed = (await client.get("/v1/screenings", headers=as_screener)).json()["items"]
    assert sorted(item["id"] for item in listed) == sorted(answer.json()["id"] for answer in answers)


async def test_a_conflict_in_a_shared_commit_costs_no_other_request_its_answer(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two retries with one Idempotency-Key both miss the stored answer (simulated) and queue together.
    monkeypatch.setattr("service.api.routers.screenings.replay", lambda *_: None)
    retry = {"json": declaration("R-1"), "headers": {**as_screener, "Idempotency-Key": "retry-1"}}
    others = [{"json": declaration(f"G-{number}"), "headers": as_screener} for number in range(3)]
    held, answers = await send_while_held(app, client, [others[0], retry, others[1], retry, others[2]])
    assert [answer.status_code for answer in answers] == [201] * 5
    assert answers[1].content == answers[3].content  # the loser answers with the winner's stored answer
    assert held.opened == 1 + 1 + 4  # the first; the failed shared commit; then each of the four alone
    listed = (await client.get("/v1/screenings", headers=as_screener)).json()["items"]
    assert sorted(item["reference"] for item in listed) == ["G-0", "G-1", "G-2", "R-1"]


async def test_the_writer_runs_while_the_app_is_up(settings: Settings, rulebook: Any) -> None:
    assert await runs_in_lifespan(settings, rulebook, "audit-writer")


def _trickle(writer: AuditWriter, items: list[Any], every: float) -> threading.Thread:
    def put() -> None:
        for item in items:
            time.sleep(every)
            writer._queue.put(item)

    thread = threading.Thread(target=put)
    thread.start()
    return thread


async def test_answers_that_follow_closely_share_a_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "COMPANY_SECONDS", 0.3)  # (seconds, not the service's fraction of a
    monkeypatch.setattr(audit_writer, "GATHER_SECONDS", 3.0)   # millisecond: a busy test machine keeps up)
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)
    arriving = _trickle(writer, ["b", "c", "d"], every=0.02)
    assert writer._gathered("a") == ["a", "b", "c", "d"]  # type: ignore[arg-type,comparison-overlap]
    arriving.join()
    late = _trickle(writer, ["f"], every=1.0)
    assert writer._gathered("e") == ["e"]  # type: ignore[arg-type,comparison-overlap]
    late.join()


async def test_a_group_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "COMPANY_SECONDS", 0.3)
    monkeypatch.setattr(audit_writer, "GATHER_SECONDS", 0.25)
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)
    arriving = _trickle(writer, list(range(40)), every=0.02)
    group = writer._gathered("first")  # type: ignore[arg-type]
    assert 1 < len(group) < 41
    arriving.join()


async def test_a_group_waits_for_answers_still_being_screened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "COMPANY_SECONDS", 0.05)
    monkeypatch.setattr(audit_writer, "GATHER_SECONDS", 0.1)
    monkeypatch.setattr(audit_writer, "COMING_SECONDS", 3.0)
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)

    def screened_slowly() -> None:  # a request screened for longer than a group waits for company
        with writer.screening():
            time.sleep(0.4)
            writer._queue.put("b")  # type: ignore[arg-type]

    screening = threading.Thread(target=screened_slowly)
    screening.start()
    while writer._coming == 0:
        time.sleep(0.001)
    assert writer._gathered("a") == ["a", "b"]  # type: ignore[arg-type,comparison-overlap]
    screening.join()
    assert writer._coming == 0


async def test_a_group_waits_for_a_request_being_screened_only_so_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "COMPANY_SECONDS", 0.05)
    monkeypatch.setattr(audit_writer, "COMING_SECONDS", 0.3)
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)
    with writer.screening():  # never answered while the group gathers
        started = time.monotonic()
        assert writer._gathered("a") == ["a"]  # type: ignore[arg-type,comparison-overlap]
        assert 0.3 <= time.monotonic() - started < 2.0


async def test_a_group_holding_an_answer_for_every_open_connection_is_committed_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "COMPANY_SECONDS", 2.0)
    monkeypatch.setattr(audit_writer, "GATHER_SECONDS", 3.0)
    open_connections = [2]
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext,
                         connections=lambda: open_connections[0])
    writer._queue.put("b")  # type: ignore[arg-type]
    started = time.monotonic()
    assert writer._gathered("a") == ["a", "b"]  # type: ignore[arg-type,comparison-overlap]
    open_connections[0] = 1  # a client sending one request at a time: nothing to wait for
    assert writer._gathered("c") == ["c"]  # type: ignore[arg-type,comparison-overlap]
    assert time.monotonic() - started < 1.0  # (not the two seconds' wait for company)


async def test_a_request_counts_as_coming_until_its_answer_is_handed_in() -> None:
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)
    with writer.screening() as arrival:
        assert writer._coming == 1
        answer = asyncio.ensure_future(writer.record([], None, None, 201, b"{}", arrival=arrival))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # recorded, not handed in yet
        assert writer._coming == 1
        await asyncio.sleep(0)  # handed in
        assert writer._coming == 0 and writer.waiting() == 1
    assert writer._coming == 0  # (not counted off twice)
    answer.cancel()
    with pytest.raises(RuntimeError), writer.screening():  # a request that ends without an answer
        raise RuntimeError
    assert writer._coming == 0


async def test_the_answers_of_one_turn_of_the_event_loop_are_handed_in_together() -> None:
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)
    waiting = [asyncio.ensure_future(writer.record([], None, None, 201, b"{}")) for _ in range(3)]  # type: ignore[arg-type]
    await asyncio.sleep(0)  # the three handlers ran in this turn ...
    assert writer.waiting() == 0
    await asyncio.sleep(0)  # ... and are handed in together at its end
    assert writer.waiting() == 3
    for answer in waiting:
        answer.cancel()


async def test_a_stop_signal_reaching_the_writer_does_not_stall_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # CPython's SimpleQueue.get(timeout) waits forever when a signal interrupts it and its deadline has
    # passed by the time the thread holds the interpreter's lock again. SIGTERM lands on any thread: on
    # the writer's, the answers it had gathered were never committed and the worker never shut down.
    monkeypatch.setattr(audit_writer, "COMPANY_SECONDS", 0.05)
    monkeypatch.setattr(audit_writer, "GATHER_SECONDS", 0.2)
    writer = AuditWriter(sessions=lambda: pytest.fail("no commit here"), writing=nullcontext)
    committed: list[list[Any]] = []
    monkeypatch.setattr(writer, "_commit", committed.append)
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: None)
    previous_interval = sys.getswitchinterval()
    writer.start()
    try:
        writer._queue.put("first")  # type: ignore[arg-type]
        time.sleep(0.01)  # the writer now waits for company
        sys.setswitchinterval(1.0)  # this thread keeps the interpreter's lock past the writer's deadline
        assert writer._thread.ident is not None
        signal.pthread_kill(writer._thread.ident, signal.SIGTERM)
        until = time.monotonic() + 0.3
        while time.monotonic() < until:
            pass
        sys.setswitchinterval(previous_interval)
        deadline = time.monotonic() + 3
        while not committed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert committed == [["first"]]
    finally:
        sys.setswitchinterval(previous_interval)
        writer.stop()
        signal.signal(signal.SIGTERM, previous_handler)


async def test_the_audit_writer_checkpoints_a_sqlite_wal_mostly_beside_the_writers(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    """On SQLite the audit writer commits through an engine of its own whose commits do not checkpoint:
    its checkpoints run beside the writers, and every CHECKPOINT_UNDER_LOCK_EVERY-th commit checkpoints
    under the write lock, so that the WAL starts again (service.store.database.AuditCheckpoints). The
    service's other connections still checkpoint in the commit that takes the WAL past 2,000 pages."""
    state = app.state.service
    if state.checkpoints is None:
        pytest.skip("SQLite only")
    for number in range(CHECKPOINT_UNDER_LOCK_EVERY):  # (one at a time: each commits alone)
        response = await client.post("/v1/screenings", json=declaration(f"WAL-{number}"), headers=as_screener)
        assert response.status_code == 201
    assert state.checkpoints.under_lock == 1
    with state.audit.sessions() as session:
        assert session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    with state.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == WAL_CHECKPOINT_PAGES


async def test_a_failure_after_the_commit_leaves_the_screening_recorded_and_answered(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    """What follows a commit under the write lock (the checkpoints) cannot undo it: the request is answered
    201 and recorded once, not committed again as if the commit had failed."""
    writer = app.state.service.audit

    def failing(_connection: object) -> None:
        raise RuntimeError("checkpoint")

    writer.committed = failing
    response = await client.post("/v1/screenings", json=declaration("AFTER-1"), headers=as_screener)
    assert response.status_code == 201
    with Session(app.state.service.engine) as session:
        stored = session.connection().exec_driver_sql(
            "SELECT count(*) FROM screenings WHERE reference = 'AFTER-1'").scalar_one()
    assert stored == 1


async def test_a_group_is_prepared_before_the_write_lock_is_taken(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of a group, or of a request committed alone, are built and their values bound outside
    the write lock, which the other workers' writers wait for (SQLite): under it, only the INSERTs and the
    commit."""
    writer = app.state.service.audit
    held = threading.Event()
    prepared_while: list[bool] = []
    real_writing, real_prepare = writer.writing, audit_writer.prepare_screenings

    @contextmanager
    def writing() -> Iterator[None]:
        with real_writing():
            held.set()
            try:
                yield
            finally:
                held.clear()

    def prepare(dialect: Any, screenings: list[Any]) -> Any:
        prepared_while.append(held.is_set())
        return real_prepare(dialect, screenings)

    monkeypatch.setattr(writer, "writing", writing)
    monkeypatch.setattr(audit_writer, "prepare_screenings", prepare)
    requests = [{"json": declaration(f"P-{number}"), "headers": as_screener} for number in range(4)]
    _, answers = await send_while_held(app, client, requests)  # (the first alone, the three queued together)
    assert [answer.status_code for answer in answers] == [201] * 4
    assert prepared_while == [False, False]
    listed = (await client.get("/v1/screenings", headers=as_screener)).json()["items"]
    assert sorted(item["reference"] for item in listed) == ["P-0", "P-1", "P-2", "P-3"]
