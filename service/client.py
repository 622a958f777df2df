"""A small HTTP client for ERP integrations: screen, read, decide, page through the audit trail.

Every POST carries an Idempotency-Key (generated unless given), so a retry after a timeout or a 503 can
never screen or decide twice: the service answers a repeated key with the stored result.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import BaseModel

RETRY_STATUSES = frozenset({502, 503, 504})


class ApiProblem(Exception):
    """An error answer from the service (its problem+json body, RFC 9457)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.code = str(problem.get("code", "unknown"))
        self.detail = str(problem.get("detail", ""))
        self.errors: list[dict[str, Any]] = list(problem.get("errors", []))
        self.request_id = problem.get("request_id")
        super().__init__(f"{status} {self.code}: {self.detail}")


class ScreeningClient:
    """Talks to one export-screen service with one API key."""

    def __init__(
        self, base_url: str, api_key: str, *, timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(
            base_url=base_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "export-screen-client/1"},
        )

    def __enter__(self) -> ScreeningClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def screen(self, declaration: dict[str, Any] | BaseModel, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Screen one declaration; the verdict with its record id."""
        return dict(self._post("/v1/screenings", _json(declaration), idempotency_key))

    def screen_batch(
        self, declarations: list[dict[str, Any] | BaseModel], *, idempotency_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Screen several declarations; one result per declaration, in order (invalid ones carry errors)."""
        answer = self._post("/v1/screenings:batch", [_json(d) for d in declarations], idempotency_key)
        return list(answer["results"])

    def screening(self, screening_id: str) -> dict[str, Any]:
        """The stored record of one screening, with its decisions."""
        return dict(self._send("GET", f"/v1/screenings/{screening_id}"))

    def screenings(self, *, page_size: int = 100, **filters: str) -> Iterator[dict[str, Any]]:
        """Every screening matching `filters` (verdict, decision, reference, since, until), newest first."""
        params: dict[str, Any] = {"limit": page_size, **filters}
        while True:
            page = self._send("GET", "/v1/screenings", params=params)
            yield from page["items"]
            if not page["next_cursor"]:
                return
            params["cursor"] = page["next_cursor"]

    def decide(
        self, screening_id: str, decision: str, reason_code: str, note: str, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Release or hold a screened shipment (reviewer role; releasing a block needs admin)."""
        body = {"decision": decision, "reason_code": reason_code, "note": note}
        return dict(self._post(f"/v1/screenings/{screening_id}/decisions", body, idempotency_key))

    def _post(self, path: str, body: Any, idempotency_key: str | None) -> Any:
        key = idempotency_key or str(uuid.uuid4())  # one key for every retry of this call
        return self._send("POST", path, json=body, headers={"Idempotency-Key": key})

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return _result(response)
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt


def _json(value: dict[str, Any] | BaseModel) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value


def _result(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {"code": "unexpected_answer", "detail": response.text[:200]}
    raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
