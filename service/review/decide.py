"""The decision form, read: the same decision, reason codes and note limits as the API's DecisionRequest."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.api.routers.decisions import DecisionRequest
from service.store.decisions import HOLD_REASONS, RELEASE_REASONS, ReasonCode
from service.workflow.deciding import Choice


def reasons_for() -> dict[str, list[str]]:
    """The reason codes that fit each decision, in the order of ReasonCode."""
    return {"release": [code.value for code in ReasonCode if code in RELEASE_REASONS],
            "hold": [code.value for code in ReasonCode if code in HOLD_REASONS]}


def read_choice(form: FormData) -> tuple[Choice | None, str | None]:
    """The choice a form makes, or None with a sentence naming the field that is wrong."""
    fields = {name: form.get(name) for name in ("decision", "reason_code", "note")}
    try:
        body = DecisionRequest.model_validate({name: value for name, value in fields.items() if value})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "form"
        shown = fields.get(name) or ""
        return None, f"{name.replace('_', ' ').capitalize()} {shown!r}: {first['msg'].lower()}." if shown else \
            f"{name.replace('_', ' ').capitalize()} is required."
    return Choice(body.decision, body.reason_code, body.note), None
