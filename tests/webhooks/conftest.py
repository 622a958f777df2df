"""Webhook test helpers."""

from __future__ import annotations


def public_resolver(host: str, port: int) -> list[str]:
    """Resolves every receiver name to one public address: the tests' receivers (erp.invalid, ...) are
    httpx mock transports that no request leaves for, and no test needs DNS."""
    return ["93.184.215.14"]
