"""A NUL character anywhere in a request is a 422 naming the field, on SQLite and PostgreSQL alike (PostgreSQL
cannot store it, so without the check the audit commit failed with a 503); nothing is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from service.api.routing import CheckedRoute
from tests.api.conftest import declaration, review_declaration

pytestmark = pytest.mark.asyncio


def _with(path: tuple[str | int, ...], value: str) -> dict[str, Any]:
    body = declaration()
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(("path", "field"), [
    (("reference",), "reference"),
    (("items", 0, "description"), "items.0.description"),
    (("consignee", "name"), "consignee.name"),
    (("consignee", "address"), "consignee.address"),
])
async def test_a_nul_in_a_declaration_names_the_field(
    client: httpx.AsyncClient, as_screener: dict[str, str], path: tuple[str | int, ...], field: str
) -> None:
    raw = json.dumps(_with(path, "Sakura\x00 KK")).encode()
    answer = await client.post("/v1/screenings", content=raw,
                               headers={**as_screener, "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == field and "NUL" in error["message"] and error["value"] == "Sakura\x00 KK"
    listed = await client.get("/v1/screenings", headers=as_screener)
    assert listed.json()["items"] == []  # nothing was recorded


async def test_a_nul_in_a_batch_of_declarations_names_its_place(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    body = [declaration("SO-1"), declaration("SO-2\x00")]
    answer = await client.post("/v1/screenings:batch", content=json.dumps(body).encode(),
                               headers={**as_screener, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text  # the item alone is refused; the others are screened
    first, second = answer.json()["results"]
    assert first["status"] == "screened"
    assert second["status"] == "invalid" and [e["field"] for e in second["errors"]] == ["reference"]


async def test_a_nul_in_a_decision_note_or_webhook_description_is_refused(
    client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str], as_admin: dict[str, str]
) -> None:
    screening = (await client.post("/v1/screenings", json=review_declaration(), headers=as_screener)).json()
    note = {"decision": "release", "reason_code": "false_positive_party", "note": "checked\x00"}
    answer = await client.post(f"/v1/screenings/{screening['id']}/decisions", json=note, headers=as_reviewer)
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "note")
    hook = {"url": "https://erp.example.com/hook", "events": ["screening.block"], "description": "SAP\x00"}
    answer = await client.post("/v1/webhooks", json=hook, headers=as_admin)
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "description")


async def test_a_nul_in_the_query_or_the_path_is_refused(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    answer = await client.get("/v1/screenings", params={"reference": "SO\x00-1"}, headers=as_screener)
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "query.reference")
    answer = await client.get("/v1/screenings/abc%00def", headers=as_screener)
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "path.screening_id")


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    answer = await client.post("/v1/screenings", json=declaration("SO-\\u0000"), headers=as_screener)
    assert answer.status_code == 201 and answer.json()["reference"] == "SO-\\u0000"


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # an included router, as FastAPI keeps it
        if included is not None:
            yield from _api_routes(included.routes)


async def test_every_route_of_the_app_refuses_nul(app: FastAPI) -> None:
    routes = list(_api_routes(app.routes))
    assert len(routes) > 20
    assert [route.path for route in routes if not isinstance(route, CheckedRoute)] == []


@pytest.mark.parametrize(("path", "content_type", "raw"), [
    ("/v1/screenings", "application/json", b'{"reference": '),
    ("/v1/screenings", "application/json", b"\xff\xfe{}"),
    ("/v1/webhooks", "application/json", b"[1,2"),
    ("/v1/batches", "multipart/form-data", b"garbage"),  # no boundary
])
async def test_a_body_that_cannot_be_read_is_a_400_client_error(
    client: httpx.AsyncClient, as_admin: dict[str, str], path: str, content_type: str, raw: bytes
) -> None:
    answer = await client.post(path, content=raw, headers={**as_admin, "Content-Type": content_type})
    assert (answer.status_code, answer.json()["code"]) == (400, "malformed_request"), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
