"""POST /v1/screenings:batch: bounded, input order kept, invalid items reported in place."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import blocked_declaration, declaration

pytestmark = pytest.mark.asyncio


async def test_results_in_input_order_with_invalid_items_in_place(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    batch = [declaration("A"), {"reference": "broken", "items": []}, blocked_declaration("C")]
    answer = await client.post("/v1/screenings:batch", json=batch, headers=as_screener)
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, "screened"), (1, "invalid"), (2, "screened")]
    assert [results[0]["screening"]["verdict"], results[2]["screening"]["verdict"]] == ["clear", "block"]
    assert {e["field"] for e in results[1]["errors"]} >= {"consignee", "destination_country", "items"}
    stored = (await client.get(f"/v1/screenings/{results[2]['screening']['id']}", headers=as_screener)).json()
    assert stored["reference"] == "C"


async def test_batch_over_the_limit_is_refused(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.post("/v1/screenings:batch", json=[declaration()] * 6, headers=as_screener)
    assert answer.status_code == 413 and answer.json()["code"] == "batch_too_large"
    assert "at most 5" in answer.json()["detail"]


async def test_batch_route_does_not_collide_with_screening_ids(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    assert (await client.get("/v1/screenings:batch", headers=as_screener)).status_code == 405
    as_id = await client.get("/v1/screenings/:batch", headers=as_screener)  # an (unknown) id, not the batch
    assert as_id.status_code == 404 and as_id.json()["code"] == "not_found"


async def test_batch_is_idempotent(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    headers = {**as_screener, "Idempotency-Key": "batch-7"}
    first = await client.post("/v1/screenings:batch", json=[declaration("A")], headers=headers)
    again = await client.post("/v1/screenings:batch", json=[declaration("A")], headers=headers)
    assert again.content == first.content
    assert len((await client.get("/v1/screenings", headers=as_screener)).json()["items"]) == 1
