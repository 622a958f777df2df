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
        errors.append({"field": loc, "value": shown_value(value), "message": message})
    return errors


SHOWN_CHARACTERS = 200


def shown_value(value: Any) -> Any:
    """A rejected value as an error may quote it: simple values only, text cut to 200 characters and made
    encodable (a lone surrogate cannot be written as UTF-8 JSON or printed: it is shown as its escape)."""
    if not (value is None or isinstance(value, str | int | float | bool)):
        return None
    if not isinstance(value, str):
        return value
    if len(value) > SHOWN_CHARACTERS:
        value = value[:SHOWN_CHARACTERS] + f"... ({len(value)} characters)"
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def describe_validation_error(exc: ValidationError) -> str:
    """All errors on one line each: 'field: message (value ...)'."""
    parts = []
    for error in field_errors(exc):
        shown = f" (value {error['value']!r})" if error["value"] is not None else ""
        parts.append(f"{error['field']}: {error['message']}{shown}")
    return "; ".join(parts)
