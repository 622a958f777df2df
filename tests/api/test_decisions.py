"""Decisions: reviewers release or hold review/block screenings; append-only; block release needs admin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import blocked_declaration, declaration, review_declaration

pytestmark = pytest.mark.asyncio


async def _screen(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]) -> str:
    answer = await client.post("/v1/screenings", json=body, headers=headers)
    assert answer.status_code == 201
    return str(answer.json()["id"])


def _decision(decision: str, reason: str, note: str = "checked the end-user statement") -> dict[str, str]:
    return {"decision": decision, "reason_code": reason, "note": note}


async def test_reviewer_releases_a_review_and_history_is_appended(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    screening_id = await _screen(client, review_declaration(), as_screener)
    url = f"/v1/screenings/{screening_id}/decisions"
    first = await client.post(url, json=_decision("hold", "insufficient_information"), headers=as_reviewer)
    second = await client.post(url, json=_decision("release", "end_use_verified"), headers=as_reviewer)
    assert (first.status_code, second.status_code) == (201, 201)
    record = (await client.get(f"/v1/screenings/{screening_id}", headers=as_reviewer)).json()
    assert [d["decision"] for d in record["decisions"]] == ["hold", "release"]
    assert record["decision"] == "release" and record["verdict"] == "review"  # the verdict never changes
    history = (await client.get(url, headers=as_screener)).json()
    assert [d["reason_code"] for d in history] == ["insufficient_information", "end_use_verified"]


async def test_releasing_a_block_needs_admin(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str], as_admin: dict[str, str]
) -> None:
    screening_id = await _screen(client, blocked_declaration(), as_screener)
    url = f"/v1/screenings/{screening_id}/decisions"
    refused = await client.post(url, json=_decision("release", "permit_obtained"), headers=as_reviewer)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    held = await client.post(url, json=_decision("hold", "controlled_no_permit"), headers=as_reviewer)
    assert held.status_code == 201
    released = await client.post(url, json=_decision("release", "permit_obtained"), headers=as_admin)
    assert released.status_code == 201 and released.json()["decided_by_role"] == "admin"


async def test_screeners_cannot_decide(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    screening_id = await _screen(client, review_declaration(), as_screener)
    answer = await client.post(f"/v1/screenings/{screening_id}/decisions",
                               json=_decision("release", "other"), headers=as_screener)
    assert answer.status_code == 403


async def test_clear_screenings_take_no_decision(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    screening_id = await _screen(client, declaration(), as_screener)
    answer = await client.post(f"/v1/screenings/{screening_id}/decisions",
                               json=_decision("hold", "other"), headers=as_reviewer)
    assert answer.status_code == 409 and answer.json()["code"] == "decision_not_allowed"


async def test_reason_must_fit_the_decision(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    screening_id = await _screen(client, review_declaration(), as_screener)
    answer = await client.post(f"/v1/screenings/{screening_id}/decisions",
                               json=_decision("release", "confirmed_denied_party"), headers=as_reviewer)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "reason_code", "value": "confirmed_denied_party", "message": "not a release reason"}
    ]
    unknown = await client.post(f"/v1/screenings/{screening_id}/decisions",
                                json=_decision("release", "because"), headers=as_reviewer)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "reason_code"


async def test_decision_on_unknown_screening_is_404(client: httpx.AsyncClient, as_reviewer: dict[str, str]) -> None:
    answer = await client.post("/v1/screenings/00000000-0000-7000-8000-000000000000/decisions",
                               json=_decision("hold", "other"), headers=as_reviewer)
    assert answer.status_code == 404


async def test_decision_is_idempotent(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    screening_id = await _screen(client, review_declaration(), as_screener)
    headers = {**as_reviewer, "Idempotency-Key": "decision-1"}
    url = f"/v1/screenings/{screening_id}/decisions"
    first = await client.post(url, json=_decision("hold", "diversion_risk"), headers=headers)
    again = await client.post(url, json=_decision("hold", "diversion_risk"), headers=headers)
    assert again.content == first.content
    assert len((await client.get(url, headers=as_reviewer)).json()) == 1


async def test_list_filters_by_latest_decision(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str]
) -> None:
    released = await _screen(client, review_declaration("R-1"), as_screener)
    held = await _screen(client, review_declaration("R-2"), as_screener)
    await _screen(client, review_declaration("R-3"), as_screener)
    await client.post(f"/v1/screenings/{released}/decisions", json=_decision("hold", "other"), headers=as_reviewer)
    await client.post(f"/v1/screenings/{released}/decisions",
                      json=_decision("release", "false_positive_party"), headers=as_reviewer)
    await client.post(f"/v1/screenings/{held}/decisions", json=_decision("hold", "diversion_risk"), headers=as_reviewer)

    async def references(decision: str) -> list[str]:
        page = await client.get("/v1/screenings", params={"decision": decision}, headers=as_reviewer)
        return [item["reference"] for item in page.json()["items"]]

    assert await references("release") == ["R-1"]
    assert await references("hold") == ["R-2"]
    assert await references("none") == ["R-3"]
