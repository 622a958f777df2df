"""Cursors of the listing endpoints: keyset pagination by row id (UUIDv7, time-ordered), so that pages
stay stable while new rows arrive. A cursor is the last id of the previous page, base64url-encoded: opaque
to clients, and checked on the way back in."""

from __future__ import annotations

import base64
import binascii
import re

from service.api.errors import InvalidRequest

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def encode_cursor(row_id: str) -> str:
    """The cursor after the row with this id."""
    return base64.urlsafe_b64encode(row_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The row id a cursor stands for; 422 for anything this service did not issue."""
    if cursor is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not _UUID.match(decoded):
        raise InvalidRequest("The cursor is not one this service issued.",
                             [{"field": "cursor", "value": cursor, "message": "unknown cursor"}])
    return decoded
