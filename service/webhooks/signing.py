"""Webhook signatures, in two forms sent side by side on every delivery.

- **Standard Webhooks** (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and `webhook-signature:
  v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the base64 part of the `whsec_`
  secret. Receivers can check it with any existing verifier (the `standardwebhooks` packages, Svix's),
  or with `export_screen_client.verify_webhook`.
- The older `X-Export-Screen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with
  the secret's text, for receivers written against it (`export_screen_client.verify_signature`). It will be
  dropped in a later release.

The timestamp is signed with the body, so a captured request cannot be replayed later than the receiver's
tolerance. While a subscription's secret is being rotated, each header carries one signature per valid
secret (space-separated for Standard Webhooks, repeated `v1=` for the older header), so a receiver that
still holds the old secret, or already holds the new one, accepts the delivery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Export-Screen-Signature"
EVENT_HEADER = "X-Export-Screen-Event"
DELIVERY_HEADER = "X-Export-Screen-Delivery"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"


def signature(secret: str, timestamp: int, body: bytes, *more_secrets: str) -> str:
    """The `X-Export-Screen-Signature` value that signs `body` as sent at `timestamp` (one `v1` per secret)."""
    digests = [hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
               for key in (secret, *more_secrets)]
    return ",".join([f"t={timestamp}", *(f"v1={digest}" for digest in digests)])


def standard_signature(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,<base64>` for each secret, separated by spaces."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()
                    for secret in secrets)


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret as Standard Webhooks verifiers derive it: the base64 after the
    prefix, decoded leniently (padding added, characters outside the alphabet skipped), so that the same
    text gives the same key here and in theirs. A secret that does not decode to any bytes falls back to
    a hash of its text (only possible for a secret typed by hand; the service makes base64 ones)."""
    text = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(text + "==")
    except (binascii.Error, ValueError):
        key = b""
    return key or hashlib.sha256(secret.encode()).digest()
