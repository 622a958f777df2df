"""Validation errors in words: each names the field (as a dotted path) and the value that was given."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """One entry per error: field path, offending value, message (pydantic's 'Value error, ' prefix removed)."""
    errors = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "(body)"
        value = error.get("input")
        message = str(error["msg"]).removeprefix("Value error, ")
        errors.append({"field": loc, "value": value if _simple(value) else None, "message": message})
    return errors


def _simple(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def describe_validation_error(exc: ValidationError) -> str:
    """All errors on one line each: 'field: message (value ...)'."""
    parts = []
    for error in field_errors(exc):
        shown = f" (value {error['value']!r})" if error["value"] is not None else ""
        parts.append(f"{error['field']}: {error['message']}{shown}")
    return "; ".join(parts)
