"""The ERP client, against httpx.MockTransport: retries reuse the Idempotency-Key, problems become exceptions."""

from __future__ import annotations

import json

import httpx
import pytest

from service.client import ApiProblem, ScreeningClient


def test_screen_retries_a_503_with_the_same_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, json={"code": "store_unavailable", "detail": "retry"})
        return httpx.Response(201, json={"id": "s1", "verdict": "clear"})

    with ScreeningClient("http://svc", "esk_k", backoff=0, transport=httpx.MockTransport(answer)) as client:
        assert client.screen({"reference": "SO-1"})["verdict"] == "clear"
    assert len(seen) == 2
    assert seen[0].headers["Idempotency-Key"] == seen[1].headers["Idempotency-Key"]
    assert seen[0].headers["Authorization"] == "Bearer esk_k"
    assert json.loads(seen[0].content) == {"reference": "SO-1"}


def test_connection_errors_are_retried_then_raised() -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = ScreeningClient("http://svc", "k", retries=2, backoff=0, transport=httpx.MockTransport(refuse))
    with pytest.raises(httpx.ConnectError):
        client.screen({"reference": "x"})
    assert calls == 3


def test_problems_become_api_problem() -> None:
    def invalid(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"code": "invalid_request", "detail": "bad", "request_id": "r1",
                                         "errors": [{"field": "destination_country", "value": "X", "message": "?"}]})

    client = ScreeningClient("http://svc", "k", transport=httpx.MockTransport(invalid))
    with pytest.raises(ApiProblem) as caught:
        client.screen({"reference": "x"})
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (422, "invalid_request", "r1")
    assert caught.value.errors[0]["field"] == "destination_country"


def test_screenings_follow_the_cursor() -> None:
    pages = {None: {"items": [{"id": "b"}, {"id": "a"}], "next_cursor": "c1"},
             "c1": {"items": [{"id": "z"}], "next_cursor": None}}

    def page(request: httpx.Request) -> httpx.Response:
        assert request.url.params["verdict"] == "block"
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    client = ScreeningClient("http://svc", "k", transport=httpx.MockTransport(page))
    assert [s["id"] for s in client.screenings(verdict="block", page_size=2)] == ["b", "a", "z"]


def test_decide_and_batch_send_their_bodies() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith(":batch"):
            return httpx.Response(200, json={"results": [{"index": i} for i, _ in enumerate(body)]})
        return httpx.Response(201, json=body)

    client = ScreeningClient("http://svc", "k", transport=httpx.MockTransport(echo))
    assert client.decide("s1", "hold", "diversion_risk", "n")["reason_code"] == "diversion_risk"
    assert [r["index"] for r in client.screen_batch([{"reference": "a"}, {"reference": "b"}])] == [0, 1]
