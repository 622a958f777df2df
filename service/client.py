"""A small HTTP client for ERP integrations: screen, read, decide, page through the audit trail.

Every POST carries an Idempotency-Key (generated unless given), so a retry after a timeout or a 503 can
never screen or decide twice: the service answers a repeated key with the stored result.
`verify_signature` is for the other direction: an ERP's webhook receiver checks that a request came
from the service.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import BaseModel

RETRY_STATUSES = frozenset({502, 503, 504})
WEBHOOK_TOLERANCE = 300.0  # seconds a webhook signature's timestamp may be off from the receiver's clock


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

    def match_name(
        self, name: str, *, country: str | None = None, kind: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Screen a party name alone (onboarding a customer): its hits, list versions and outcome, recorded."""
        body = {key: value for key, value in {"name": name, "country": country, "kind": kind}.items() if value}
        return dict(self._post("/v1/parties:match", body, idempotency_key))

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


class InvalidSignature(Exception):
    """A webhook request whose X-Export-Screen-Signature does not prove it came from the service."""


def verify_signature(
    secret: str, header: str | None, body: bytes, tolerance: float = WEBHOOK_TOLERANCE, *, at: float | None = None
) -> int:
    """Check a webhook's `X-Export-Screen-Signature` against the raw request body; the signed timestamp.

    Raises `InvalidSignature` when the header is missing or malformed, no `v1` value matches the HMAC of
    `"<t>.<body>"` under `secret`, or `t` is more than `tolerance` seconds from now (`at`, default the
    current time), so a captured request cannot be replayed later. Pass the body exactly as received,
    before any JSON parsing. Deliveries may arrive more than once: dedupe on X-Export-Screen-Delivery.
    """
    parts = [item.split("=", 1) for item in (header or "").split(",") if "=" in item]
    timestamps = [value.strip() for name, value in parts if name.strip() == "t"]
    candidates = [value.strip() for name, value in parts if name.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not candidates:
        raise InvalidSignature("the signature header is missing or malformed")
    timestamp = int(timestamps[0])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("the signature does not match the body")
    if abs((time.time() if at is None else at) - timestamp) > tolerance:
        raise InvalidSignature(f"the signature's timestamp is more than {tolerance:.0f} s away from now")
    return timestamp
