"""The webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`.

The timestamp is signed with the body, so a captured request cannot be replayed later than the receiver's
tolerance; receivers check it with `service.client.verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Export-Screen-Signature"
EVENT_HEADER = "X-Export-Screen-Event"
DELIVERY_HEADER = "X-Export-Screen-Delivery"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value that signs `body` as sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
