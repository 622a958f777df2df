"""GET /v1/screenings.csv: the listing's screenings as a streamed CSV file, stamps and decisions included."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from service.api.routers import audit as audit_router
from service.store import audit_export
from service.store.audit_export import CSV_COLUMNS
from tests.api.conftest import blocked_declaration, declaration

pytestmark = pytest.mark.asyncio


def _rows(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    return rows


async def _screen(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, object]) -> str:
    answer = await client.post("/v1/screenings", json=body, headers=headers)
    assert answer.status_code == 201
    screening_id: str = answer.json()["id"]
    return screening_id


async def test_export_has_one_row_per_screening_with_stamps_and_decisions(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    clear = await _screen(client, as_screener, declaration("SO-1"))
    held = await _screen(client, as_screener, blocked_declaration("SO-2"))
    decided = await client.post(f"/v1/screenings/{held}/decisions", headers=as_reviewer, json={
        "decision": "hold", "reason_code": "controlled_no_permit", "note": "no SHTC permit on file"})
    assert decided.status_code == 201
    answer = await client.get("/v1/screenings.csv", headers=as_screener)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    header = answer.content.decode("utf-8")[1:].splitlines()[0]
    assert header.split(",") == list(CSV_COLUMNS)
    rows = _rows(answer.content)
    assert [row["id"] for row in rows] == [held, clear]  # newest first, as the listing
    block, ok = rows
    assert block["verdict"] == "block" and block["reference"] == "SO-2" and block["export_date"] == "2024-06-01"
    assert block["rule_ids"] and block["lists"] == "test-list=sha256:test"
    assert block["decision"] == "hold" and block["reason_code"] == "controlled_no_permit"
    assert block["note"] == "no SHTC permit on file" and block["decided_by_role"] == "reviewer"
    assert json.loads(block["decisions"])[0]["decided_by_key_id"] == block["decided_by_key_id"]
    assert block["review_threshold"] == "70.0" and json.loads(block["thresholds"])["block_threshold"] == 90.0
    assert block["software_version"] and block["screened_at"].endswith("Z")
    assert ok["verdict"] == "clear" and ok["decision"] == "" and ok["decisions"] == ""


async def test_export_takes_the_listing_filters(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    await _screen(client, as_screener, declaration("SO-1"))
    held = await _screen(client, as_screener, blocked_declaration("SO-2"))
    only_blocks = _rows((await client.get("/v1/screenings.csv?verdict=block", headers=as_screener)).content)
    assert [row["id"] for row in only_blocks] == [held]
    undecided = _rows((await client.get("/v1/screenings.csv?decision=none&reference=SO-1",
                                        headers=as_screener)).content)
    assert [row["reference"] for row in undecided] == ["SO-1"]
    none = _rows((await client.get("/v1/screenings.csv?since=2999-01-01T00:00:00Z", headers=as_screener)).content)
    assert none == []
    bad = await client.get("/v1/screenings.csv?verdict=maybe", headers=as_screener)
    assert bad.status_code == 422


async def test_cells_that_look_like_formulas_are_defused(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    await _screen(client, as_screener, declaration("=HYPERLINK(\"http://x\")"))
    [row] = _rows((await client.get("/v1/screenings.csv", headers=as_screener)).content)
    assert row["reference"] == "'=HYPERLINK(\"http://x\")"


async def test_export_streams_page_by_page(
    client: httpx.AsyncClient, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_export, "PAGE", 2)
    ids = [await _screen(client, as_screener, declaration(f"SO-{n}")) for n in range(5)]
    rows = _rows((await client.get("/v1/screenings.csv", headers=as_screener)).content)
    assert [row["id"] for row in rows] == ids[::-1]


async def test_export_needs_a_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/screenings.csv")).status_code == 401


async def test_a_database_that_does_not_answer_is_a_503_not_an_empty_file(
    client: httpx.AsyncClient, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> Iterator[dict[str, object]]:
        raise OperationalError("SELECT", {}, Exception("gone"))
        yield {}

    monkeypatch.setattr(audit_router, "audit_records", broken)
    answer = await client.get("/v1/screenings.csv", headers=as_screener)
    assert answer.status_code == 503 and answer.json()["code"] == "store_unavailable"
