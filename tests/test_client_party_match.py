"""The ERP client's name check, against httpx.MockTransport."""

from __future__ import annotations

import json

import httpx

from service.client import ScreeningClient


def test_match_name_sends_only_what_was_given_and_retries_with_one_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, json={"code": "store_unavailable", "detail": "retry"})
        return httpx.Response(200, json={"id": "m1", "outcome": "clear", "hits": []})

    with ScreeningClient("http://svc", "esk_k", backoff=0, transport=httpx.MockTransport(answer)) as client:
        assert client.match_name("Acme Trading", country="JP")["outcome"] == "clear"
    assert [request.url.path for request in seen] == ["/v1/parties:match"] * 2
    assert json.loads(seen[0].content) == {"name": "Acme Trading", "country": "JP"}
    assert seen[0].headers["Idempotency-Key"] == seen[1].headers["Idempotency-Key"]
