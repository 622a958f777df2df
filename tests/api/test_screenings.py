"""POST/GET /v1/screenings: recorded before answered, idempotent, filtered and paged newest first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from service.api.routers.wire import ScreeningResult
from tests.api.conftest import blocked_declaration, declaration, review_declaration

pytestmark = pytest.mark.asyncio


async def test_screening_is_answered_with_its_record_id_and_stored(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    answer = await client.post("/v1/screenings", json=blocked_declaration(), headers=as_screener)
    assert answer.status_code == 201
    verdict = answer.json()
    assert verdict["verdict"] == "block" and verdict["id"] and verdict["screened_at"].endswith("Z")
    assert ScreeningResult.model_validate(verdict).model_dump(mode="json") == verdict  # the documented shape
    record = (await client.get(f"/v1/screenings/{verdict['id']}", headers=as_screener)).json()
    stamps = ("software_version", "thresholds")
    assert record["result"] == {k: v for k, v in verdict.items() if k not in ("id", "screened_at", *stamps)}
    assert {k: record[k] for k in stamps} == {k: verdict[k] for k in stamps}
    assert record["declaration"]["destination_country"] == "RU"
    assert record["rulebook_version"] == verdict["rulebook"]["version"]
    assert record["lists"] == [{"name": "test-list", "version": "sha256:test", "entries": 1}]
    assert record["caller_key_id"] and record["request_id"] == answer.headers["x-request-id"]
    assert record["decision"] is None and record["decisions"] == []


async def test_denied_party_hit_from_the_loaded_list_blocks(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    body = declaration(consignee={"name": "Denied Trading LLC", "country": "JP"})
    verdict = (await client.post("/v1/screenings", json=body, headers=as_screener)).json()
    assert verdict["verdict"] == "block"
    assert any(f["category"] == "denied_party" for f in verdict["findings"])


async def test_invalid_declaration_names_field_and_value(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    body = declaration(destination_country="Atlantis")
    answer = await client.post("/v1/screenings", json=body, headers=as_screener)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert [(e["field"], e["value"]) for e in errors] == [("destination_country", "Atlantis")]


async def test_same_idempotency_key_and_body_returns_the_stored_answer(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    headers = {**as_screener, "Idempotency-Key": "order-42"}
    first = await client.post("/v1/screenings", json=declaration(), headers=headers)
    again = await client.post("/v1/screenings", json=declaration(), headers=headers)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    page = (await client.get("/v1/screenings", headers=as_screener)).json()
    assert len(page["items"]) == 1  # screened and recorded once


async def test_same_idempotency_key_with_another_body_is_a_conflict(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    headers = {**as_screener, "Idempotency-Key": "order-43"}
    await client.post("/v1/screenings", json=declaration("A"), headers=headers)
    conflict = await client.post("/v1/screenings", json=declaration("B"), headers=headers)
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"


async def test_idempotency_keys_are_scoped_per_api_key(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_admin: dict[str, str]
) -> None:
    await client.post("/v1/screenings", json=declaration("A"), headers={**as_screener, "Idempotency-Key": "k"})
    other = await client.post("/v1/screenings", json=declaration("B"), headers={**as_admin, "Idempotency-Key": "k"})
    assert other.status_code == 201 and other.json()["reference"] == "B"


async def test_list_is_newest_first_with_filters_and_cursor(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    for index in range(5):
        await client.post("/v1/screenings", json=declaration(f"C-{index}"), headers=as_screener)
    await client.post("/v1/screenings", json=blocked_declaration("B-1"), headers=as_screener)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "verdict": "clear", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/screenings", params=params, headers=as_screener)).json()
        seen += [item["reference"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["C-4", "C-3", "C-2", "C-1", "C-0"]
    by_reference = (await client.get("/v1/screenings", params={"reference": "B-1"}, headers=as_screener)).json()
    assert [item["verdict"] for item in by_reference["items"]] == ["block"]
    later = (await client.get("/v1/screenings", params={"since": "2999-01-01T00:00:00Z"}, headers=as_screener))
    assert later.json()["items"] == []
    earlier = (await client.get("/v1/screenings", params={"until": "2999-01-01T00:00:00"}, headers=as_screener))
    assert len(earlier.json()["items"]) == 6


async def test_bad_cursor_is_a_validation_problem(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.get("/v1/screenings", params={"cursor": "nonsense"}, headers=as_screener)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "cursor"


async def test_unknown_screening_is_404(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    answer = await client.get("/v1/screenings/00000000-0000-7000-8000-000000000000", headers=as_screener)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


async def test_failed_audit_write_answers_503_without_a_verdict(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    state = app.state.service

    def session_that_cannot_commit() -> Session:
        session = Session(state.engine)

        def refuse() -> None:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        session.commit = refuse  # type: ignore[method-assign]
        return session

    working, state.audit.sessions = state.audit.sessions, session_that_cannot_commit
    answers = await asyncio.gather(*(client.post("/v1/screenings", json=review_declaration(), headers=as_screener)
                                     for _ in range(3)))
    state.audit.sessions = working
    for answer in answers:
        assert answer.status_code == 503
        body = answer.json()
        assert body["code"] == "store_unavailable" and "verdict" not in body and "findings" not in body
    assert (await client.get("/v1/screenings", headers=as_screener)).json()["items"] == []


async def test_no_rules_loaded_means_503_never_a_verdict(
    app: FastAPI, client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    app.state.service.context, app.state.service.context_error = None, "rules/10.yaml:3: broken"
    answer = await client.post("/v1/screenings", json=declaration(), headers=as_screener)
    assert answer.status_code == 503 and answer.json()["code"] == "rules_unavailable"
    assert "rules/10.yaml:3" in answer.json()["detail"]
    assert (await client.get("/readyz")).status_code == 503


async def test_the_documented_example_declaration_screens(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "declaration.json"
    answer = await client.post("/v1/screenings", content=example.read_bytes(),
                               headers={**as_screener, "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text


async def test_concurrent_retry_with_the_same_key_gets_the_first_answer(
    client: httpx.AsyncClient, as_screener: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**as_screener, "Idempotency-Key": "race-1"}
    first = await client.post("/v1/screenings", json=declaration(), headers=headers)
    # The second request checks before the first has committed (simulated: its look-up finds nothing),
    # so it screens too; its commit then collides on the key and it answers with the stored result.
    monkeypatch.setattr("service.api.routers.screenings.replay", lambda *_: None)
    second = await client.post("/v1/screenings", json=declaration(), headers=headers)
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert len((await client.get("/v1/screenings", headers=as_screener)).json()["items"]) == 1


async def test_past_export_date_is_a_review_unless_retrospective(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    body = declaration(export_date="2024-04-01")  # the test clock says 2024-06-01: 61 days back
    current = (await client.post("/v1/screenings", json=body, headers=as_screener)).json()
    assert current["verdict"] == "review" and [f["rule_id"] for f in current["findings"]] == ["EXPORT-DATE-PAST"]
    assert current["rulebook"]["retrospective"] is False
    audit = await client.post("/v1/screenings", json=body, headers=as_screener, params={"retrospective": "true"})
    assert audit.status_code == 201
    assert audit.json()["verdict"] == "clear" and audit.json()["rulebook"]["retrospective"] is True
    record = (await client.get(f"/v1/screenings/{audit.json()['id']}", headers=as_screener)).json()
    assert record["retrospective"] is True and record["result"]["rulebook"]["as_of"] == "2024-04-01"
    listed = (await client.get("/v1/screenings", headers=as_screener)).json()["items"]
    assert [item["retrospective"] for item in listed] == [True, False]


async def test_retrospective_batch_of_declarations(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    batch = [declaration("OLD", export_date="2024-01-02")]
    answer = await client.post("/v1/screenings:batch", json=batch, headers=as_screener,
                               params={"retrospective": "true"})
    screening = answer.json()["results"][0]["screening"]
    assert screening["verdict"] == "clear" and screening["rulebook"]["retrospective"] is True


async def test_export_date_more_than_a_year_ahead_is_refused(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    answer = await client.post("/v1/screenings", json=declaration(export_date="2099-01-01"), headers=as_screener)
    assert answer.status_code == 422
    assert [(e["field"], e["value"]) for e in answer.json()["errors"]] == [("export_date", "2099-01-01")]


async def test_full_width_codes_are_screened_and_stored_in_ascii(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    body = blocked_declaration()
    body["items"] = [{"hs_code": "８５４２．３１", "eccn": "３Ａ００１", "quantity": "１，０００".replace("，", "")}]
    verdict = (await client.post("/v1/screenings", json=body, headers=as_screener)).json()
    assert verdict["verdict"] == "block"
    record = (await client.get(f"/v1/screenings/{verdict['id']}", headers=as_screener)).json()
    item = record["declaration"]["items"][0]
    assert (item["hs_code"], item["eccn"], item["quantity"]) == ("854231", "3A001", "1000")
