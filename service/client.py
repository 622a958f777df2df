"""A small HTTP client for ERP integrations: screen, read, decide, page through the audit trail.

Every POST carries an Idempotency-Key (generated unless given), so a retry after a timeout or a 503 can
never screen or decide twice: the service answers a repeated key with the stored result.
`verify_webhook` (and the older `verify_signature`) is for the other direction: an ERP's webhook
receiver checks that a request came from the service.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
from pydantic import BaseModel

from service.webhooks.signing import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, standard_signature

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
    """A webhook request whose signature does not prove it came from the service (or could not be read)."""


def verify_webhook(
    secret: str | Sequence[str], headers: Mapping[str, str], body: bytes, tolerance: float = WEBHOOK_TOLERANCE,
    *, at: float | None = None,
) -> str:
    """Check a webhook's Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
    against the raw request body; the message id (dedupe on it: deliveries may arrive more than once).

    `secret` is the subscription's `whsec_` secret, or several while a rotation overlaps. Raises
    `InvalidSignature`, and nothing else, when a header is missing or malformed, no `v1,` signature matches
    the HMAC of `"<id>.<timestamp>.<body>"`, or the timestamp is more than `tolerance` seconds from now
    (`at`, default the current time). Any Standard Webhooks verifier accepts the same requests.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id, stamp = lowered.get(WEBHOOK_ID), lowered.get(WEBHOOK_TIMESTAMP, "")
    given = [part[3:].encode() for part in lowered.get(WEBHOOK_SIGNATURE, "").split(" ") if part.startswith("v1,")]
    if not message_id or not _is_number(stamp) or not given or not all(_is_ascii(value) for value in given):
        raise InvalidSignature("the webhook-id, webhook-timestamp or webhook-signature header is missing or malformed")
    secrets = [secret] if isinstance(secret, str) else list(secret)
    expected = [standard_signature([one], message_id, int(stamp), body)[3:].encode() for one in secrets]
    if not any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in given):
        raise InvalidSignature("the signature does not match the body")
    _check_time(int(stamp), tolerance, at)
    return message_id


def verify_signature(
    secret: str, header: str | None, body: bytes, tolerance: float = WEBHOOK_TOLERANCE, *, at: float | None = None
) -> int:
    """Check a webhook's older `X-Export-Screen-Signature` header against the raw request body; the signed
    timestamp. (New receivers: `verify_webhook`, on the Standard Webhooks headers.)

    Raises `InvalidSignature`, and nothing else, when the header is missing or malformed, no `v1` value
    matches the HMAC of `"<t>.<body>"` under `secret`, or `t` is more than `tolerance` seconds from now
    (`at`, default the current time), so a captured request cannot be replayed later. Pass the body exactly
    as received, before any JSON parsing. Deliveries may arrive more than once: dedupe on
    X-Export-Screen-Delivery.
    """
    parts = [item.split("=", 1) for item in (header or "").split(",") if "=" in item]
    timestamps = [value.strip() for name, value in parts if name.strip() == "t"]
    candidates = [value.strip().encode() for name, value in parts
                  if name.strip() == "v1" and _is_ascii(value.strip().encode())]
    if len(timestamps) != 1 or not _is_number(timestamps[0]) or not candidates:
        raise InvalidSignature("the signature header is missing or malformed")
    timestamp = int(timestamps[0])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("the signature does not match the body")
    _check_time(timestamp, tolerance, at)
    return timestamp


def _is_number(text: str) -> bool:
    """Plain ASCII digits only (`str.isdigit` also takes "²" and "٣", which int() refuses or reads)."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def _is_ascii(value: bytes) -> bool:
    return value.isascii()


def _check_time(timestamp: int, tolerance: float, at: float | None) -> None:
    if abs((time.time() if at is None else at) - timestamp) > tolerance:
        raise InvalidSignature(f"the signature's timestamp is more than {tolerance:.0f} s away from now")
