"""Stored Idempotency-Key answers are kept for the retention, then purged a batch at a time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlmodel import Session

from service.store.database import make_engine
from service.store.idempotency import ANSWERS, AnswerJanitor, find_answer, purge_answers

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _store(database_url: str, ages_in_hours: dict[str, float]) -> None:
    """Answers of key "k", one per Idempotency-Key, stored that many hours before NOW."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.connection().execute(insert(ANSWERS), [
            {"caller_key_id": "k", "idempotency_key": key, "request_hash": "h", "status_code": 201,
             "body": b"{}", "created_at": NOW - timedelta(hours=hours)} for key, hours in ages_in_hours.items()])
        session.commit()
    engine.dispose()


def _kept(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        kept = sorted(session.connection().execute(select(ANSWERS.c.idempotency_key)).scalars())
    engine.dispose()
    return kept


def test_only_answers_past_the_retention_are_purged(database_url: str) -> None:
    _store(database_url, {"old": 200, "older": 400, "week-less-a-minute": 168 - 1 / 60, "new": 0.5})
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert purge_answers(session, NOW - timedelta(hours=168)) == 2
        session.commit()
        assert find_answer(session, "k", "old") is None and find_answer(session, "k", "new") is not None
    engine.dispose()
    assert _kept(database_url) == ["new", "week-less-a-minute"]


def test_a_purge_takes_a_batch_the_oldest_first(database_url: str) -> None:
    _store(database_url, {f"a{hours}": hours for hours in (300, 500, 200, 400, 250)} | {"new": 1})
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert purge_answers(session, NOW - timedelta(hours=168), limit=2) == 2
        session.commit()
    engine.dispose()
    assert _kept(database_url) == ["a200", "a250", "a300", "new"]  # 500 and 400 hours went first


def test_the_janitor_goes_round_after_round_while_full_batches_come_out(database_url: str) -> None:
    _store(database_url, {f"a{n}": 200 + n for n in range(5)} | {"new": 1})
    engine = make_engine(database_url)
    janitor = AnswerJanitor(engine, timedelta(hours=168), batch=2, clock=lambda: NOW)
    assert [janitor.tick(), janitor.tick(), janitor.tick()] == [True, True, False]  # 2, 2, then 1: done
    engine.dispose()
    assert _kept(database_url) == ["new"]


def test_a_failed_purge_is_logged_and_left_for_the_next_round(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")  # no tables: the DELETE fails
    janitor = AnswerJanitor(engine, timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="service.store"):
        assert janitor.tick() is False
    engine.dispose()
    assert "deleting stored Idempotency-Key answers past their retention failed: OperationalError" in caplog.text
