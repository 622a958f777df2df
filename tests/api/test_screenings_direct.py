"""POST /v1/screenings answers its usual request directly, and leaves everything else to the full route.

The direct handler skips FastAPI's dependency solving; it must give the same answer, and it must never
answer a request the route would refuse or treat otherwise (those reach the route, which solves its
dependencies: counted here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import fastapi.routing
import httpx
import pytest

from tests.api.conftest import blocked_declaration, declaration

pytestmark = pytest.mark.asyncio
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the requests for which FastAPI solved a route's dependencies."""
    paths: list[str] = []
    original = fastapi.routing.solve_dependencies  # type: ignore[attr-defined]

    async def counting(*args: Any, **kwargs: Any) -> Any:
        paths.append(kwargs["request"].url.path)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    yield paths


@pytest.mark.parametrize("headers", [
    {}, {"Idempotency-Key": "order-77"}, {"Content-Type": "application/json; charset=utf-8"},
])
async def test_the_usual_request_is_answered_directly(
    client: httpx.AsyncClient, as_screener: dict[str, str], solved: list[str], headers: dict[str, str]
) -> None:
    answer = await client.post("/v1/screenings", content=json.dumps(blocked_declaration()).encode(),
                               headers={**as_screener, **JSON, **headers})
    assert answer.status_code == 201, answer.text
    assert answer.json()["verdict"] == "block"
    assert solved == []
    record = await client.get(f"/v1/screenings/{answer.json()['id']}", headers=as_screener)
    assert record.json()["verdict"] == "block"  # recorded as any screening


async def test_a_direct_answer_equals_the_routes_answer(
    client: httpx.AsyncClient, as_screener: dict[str, str], solved: list[str]
) -> None:
    body = json.dumps(blocked_declaration()).encode()
    direct = (await client.post("/v1/screenings", content=body, headers={**as_screener, **JSON})).json()
    # the same declaration through the full route (`?retrospective=false` is the default mode, not direct)
    full = (await client.post("/v1/screenings?retrospective=false", content=body,
                              headers={**as_screener, **JSON})).json()
    assert solved == ["/v1/screenings"]
    for answer in (direct, full):
        del answer["id"], answer["screened_at"]
    assert direct == full


async def test_a_replayed_idempotency_key_is_answered_directly(
    client: httpx.AsyncClient, as_screener: dict[str, str], solved: list[str]
) -> None:
    headers = {**as_screener, **JSON, "Idempotency-Key": "k-1"}
    first = await client.post("/v1/screenings", content=json.dumps(declaration()).encode(), headers=headers)
    again = await client.post("/v1/screenings", content=json.dumps(declaration()).encode(), headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = await client.post("/v1/screenings", content=json.dumps(declaration("SO-2")).encode(), headers=headers)
    assert other.status_code == 409
    assert solved == []


@pytest.mark.parametrize(("content", "headers", "field"), [
    (b'{"reference": "SO-1"}', {}, "consignee"),  # does not validate: the route names the fields
    (json.dumps(declaration()).encode(), {"Idempotency-Key": "k" * 256}, "header.Idempotency-Key"),
])
async def test_a_refusal_comes_from_the_route(
    client: httpx.AsyncClient, as_screener: dict[str, str], solved: list[str], content: bytes,
    headers: dict[str, str], field: str,
) -> None:
    answer = await client.post("/v1/screenings", content=content, headers={**as_screener, **JSON, **headers})
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert solved == ["/v1/screenings"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/jsonx", ""])
async def test_another_content_type_is_left_to_the_route(
    client: httpx.AsyncClient, as_screener: dict[str, str], solved: list[str], content_type: str
) -> None:
    await client.post("/v1/screenings", content=json.dumps(declaration()).encode(),
                      headers={**as_screener, "Content-Type": content_type})
    assert solved == ["/v1/screenings"]


async def test_a_query_is_left_to_the_route(
    client: httpx.AsyncClient, as_screener: dict[str, str], solved: list[str]
) -> None:
    answer = await client.post("/v1/screenings?retrospective=true", content=json.dumps(declaration()).encode(),
                               headers={**as_screener, **JSON})
    assert answer.status_code == 201
    assert solved == ["/v1/screenings"]
    record = await client.get(f"/v1/screenings/{answer.json()['id']}", headers=as_screener)
    assert record.json()["retrospective"] is True
