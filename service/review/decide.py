"""The decision form, read: the same decision, reason codes and note limits as the API's DecisionRequest."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.api.routers.decisions import DecisionRequest
from service.review.auth import PageError
from service.store.decisions import HOLD_REASONS, RELEASE_REASONS, DecisionKind, ReasonCode
from service.workflow.deciding import Choice, Refusal, Refused


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


def refusal_page(refused: Refused) -> PageError:
    """A refusal that the form cannot mend, as a page: 403 for a role too low, 409 for a case already
    decided. (A reason that does not fit the decision is shown on the form again instead.)"""
    return PageError(403 if refused.refusal is Refusal.NEEDS_ADMIN else 409, "Not allowed", refused.message)


def unconfirmed_block_release(held_as: str, choice: Choice, form: FormData) -> bool:
    """A release of a block that the confirmation step has not yet confirmed."""
    return held_as == "block" and choice.decision is DecisionKind.RELEASE and form.get("confirm") != "yes"
