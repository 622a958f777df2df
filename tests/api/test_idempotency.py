"""Idempotency-Key answers: replayed while kept, purged after the retention by a janitor each API process runs."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from service.engine.rulebook import Rulebook
from service.settings import Settings
from service.store.database import make_engine, now
from service.store.idempotency import purge_answers
from tests.api.conftest import declaration, runs_in_lifespan

pytestmark = pytest.mark.asyncio


async def test_an_answer_purged_after_its_retention_is_not_replayed(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings
) -> None:
    headers = {**as_screener, "Idempotency-Key": "order-44"}
    first = await client.post("/v1/screenings", json=declaration(), headers=headers)
    again = await client.post("/v1/screenings", json=declaration(), headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["id"] == first.json()["id"]
    engine = make_engine(settings.database_url)
    with Session(engine) as session:  # what the janitor does once the answer is older than the retention
        assert purge_answers(session, now() + timedelta(seconds=1)) == 1
        session.commit()
    engine.dispose()
    later = await client.post("/v1/screenings", json=declaration(), headers=headers)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]  # screened and recorded again


@pytest.mark.parametrize(("hours", "running"), [(168.0, True), (0.0, False)])
async def test_the_janitor_runs_unless_answers_are_kept_for_ever(
    settings: Settings, rulebook: Rulebook, hours: float, running: bool
) -> None:
    kept = settings.model_copy(update={"idempotency_retention_hours": hours})
    assert await runs_in_lifespan(kept, rulebook, "idempotency-purge") is running
