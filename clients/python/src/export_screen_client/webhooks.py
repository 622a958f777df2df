"""Checking that a webhook request came from the service, on the receiver's side.

Every delivery is signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature:
v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the base64 after `whsec_`), so any
Standard Webhooks verifier accepts it too; `verify_webhook` is this package's. The older
`X-Export-Screen-Signature` header is checked by `verify_signature`. Both raise `InvalidSignature`, and
nothing else, for any missing, malformed or wrong header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

from export_screen_client.errors import InvalidSignature

WEBHOOK_TOLERANCE = 300.0  # seconds a signature's timestamp may be off from the receiver's clock
SECRET_PREFIX = "whsec_"


def verify_webhook(
    secret: str | Sequence[str], headers: Mapping[str, str], body: bytes, tolerance: float = WEBHOOK_TOLERANCE,
    *, at: float | None = None,
) -> str:
    """Check a delivery's Standard Webhooks headers against the raw body; its message id (dedupe on it:
    a delivery may arrive more than once).

    `secret` is the subscription's `whsec_` secret, or several while a rotation overlaps. Pass the body
    exactly as received, before any JSON parsing. The timestamp must be within `tolerance` seconds of now
    (`at`, default the current time), so a captured request cannot be replayed later.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id, stamp = lowered.get("webhook-id"), lowered.get("webhook-timestamp", "")
    given = [part[3:].encode() for part in lowered.get("webhook-signature", "").split(" ") if part.startswith("v1,")]
    if not message_id or not _is_number(stamp) or not given or not all(value.isascii() for value in given):
        raise InvalidSignature("the webhook-id, webhook-timestamp or webhook-signature header is missing or malformed")
    signed = f"{message_id}.{stamp}.".encode() + body
    secrets = [secret] if isinstance(secret, str) else list(secret)
    expected = [base64.b64encode(hmac.new(secret_key(one), signed, hashlib.sha256).digest()) for one in secrets]
    if not any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in given):
        raise InvalidSignature("the signature does not match the body")
    _check_time(int(stamp), tolerance, at)
    return message_id


def verify_signature(
    secret: str, header: str | None, body: bytes, tolerance: float = WEBHOOK_TOLERANCE, *, at: float | None = None
) -> int:
    """Check the older `X-Export-Screen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
    header (keyed with the secret's text) against the raw body; the signed timestamp."""
    parts = [item.split("=", 1) for item in (header or "").split(",") if "=" in item]
    timestamps = [value.strip() for name, value in parts if name.strip() == "t"]
    candidates = [value.strip().encode() for name, value in parts
                  if name.strip() == "v1" and value.strip().isascii()]
    if len(timestamps) != 1 or not _is_number(timestamps[0]) or not candidates:
        raise InvalidSignature("the signature header is missing or malformed")
    timestamp = int(timestamps[0])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("the signature does not match the body")
    _check_time(timestamp, tolerance, at)
    return timestamp


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret as Standard Webhooks verifiers derive it (lenient base64)."""
    text = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(text + "==")
    except (binascii.Error, ValueError):
        key = b""
    return key or hashlib.sha256(secret.encode()).digest()


def _is_number(text: str) -> bool:
    """Plain ASCII digits only (`str.isdigit` also takes "²" and "٣")."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def _check_time(timestamp: int, tolerance: float, at: float | None) -> None:
    if abs((time.time() if at is None else at) - timestamp) > tolerance:
        raise InvalidSignature(f"the signature's timestamp is more than {tolerance:.0f} s away from now")
