"""The OpenAPI contract as clients read it: readable operation ids, named request bodies, an example for
every request and answer, the headers every answer carries, and the webhook events.

FastAPI generates the schema from the routes; this module finishes it once, when it is first asked for:

- **operationId** `<resource>_<action>` from the path and method (`screenings_create`, `batches_get`,
  `webhooks_rotate_secret`), with a few names chosen by hand where the rule reads badly; generated code
  and API consoles show these.
- **Request bodies** of forms get names of their own (`BatchUpload`, not `Body_submit_batch_v1_batches_post`).
- **Examples** come from `openapi_examples.json` beside this module (made by `scripts/openapi_examples.py` from real
  answers of the app), one per operation for the request and the success answer; error answers get the
  problem example of their status. A test checks that every operation has them and that each example
  fits its schema.
- **Headers**: X-Request-ID on every answer, Idempotent-Replayed on the success answers of POSTs,
  Retry-After on 503 (and 429 when rate limits exist).
- **Webhooks**: one entry per event type with the body the service POSTs.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field, create_model

from service.api.errors import PROBLEM_MEDIA_TYPE, TYPE_PREFIX
from service.store.outbox import EventType

EXAMPLES = Path(__file__).resolve().parent / "openapi_examples.json"
# where the rule gives a poor name: a singular sub-resource, a hand-named action, the probes
OPERATION_IDS = {
    ("post", "/v1/batches"): "batches_submit",
    ("get", "/v1/screenings.csv"): "screenings_export",
    ("get", "/v1/batches/{job_id}/result"): "batches_result",
    ("get", "/v1/rules"): "rules_get",
    ("get", "/v1/lists"): "lists_in_use",
    ("get", "/healthz"): "health_live",
    ("get", "/readyz"): "health_ready",
}
BODY_NAMES = {"batches_submit": "BatchUpload", "screenings_csv": "CsvUpload"}
_ACTIONS = {"post": "create", "put": "replace", "patch": "update", "delete": "delete"}
_PROBLEM_CODES = {400: "malformed_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                  405: "method_not_allowed", 408: "body_too_slow", 409: "idempotency_conflict",
                  410: "batch_result_removed", 413: "request_too_large", 422: "invalid_request", 429: "rate_limited",
                  500: "internal_error", 503: "store_unavailable"}
GATE_ANSWERS = {"400": "A key in the URL, or a body that cannot be read", "401": "No key, or an unknown key",
                "408": "The body arrived too slowly", "429": "Over this key's rate limit (when one is set)"}
REQUEST_ID = {"X-Request-ID": {
    "description": "The request's id: the client's X-Request-ID if acceptable, else a new one.",
    "required": True, "schema": {"type": "string"}}}
REPLAYED = {"Idempotent-Replayed": {
    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key "
                   "(nothing was screened or decided again).", "required": False,
    "schema": {"type": "string", "enum": ["true"]}}}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again (the same Idempotency-Key).",
                               "required": False, "schema": {"type": "integer"}}}


def operation_id(method: str, path: str) -> str:
    """`<resource>_<action>`: the path's fixed segments (without the version) and the custom method after
    `:`, else create/list/get/replace/delete by the HTTP method."""
    chosen = OPERATION_IDS.get((method, path))
    if chosen:
        return chosen
    segments = [segment for segment in path.strip("/").split("/") if segment != "v1"]
    last = segments[-1]
    custom = None
    if ":" in re.sub(r"\{[^}]*\}", "", last):  # a custom method (`screenings:batch`, `{id}:disable`)
        segments[-1], custom = last.rsplit(":", 1)
    names = [segment for segment in segments if not segment.startswith("{")]
    if custom:
        action = custom
    elif method == "get":
        action = "get" if segments[-1].startswith("{") else "list"
    else:
        action = _ACTIONS.get(method, method)
    return re.sub(r"[^a-z0-9]+", "_", "_".join([*names, action]).lower()).strip("_")


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The finished schema (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                         routes=app.routes, webhooks=app.webhooks.routes)
    examples = _examples()
    renamed: dict[str, str] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation["operationId"] = identifier = operation_id(method, path)
            if path.startswith("/v1/"):  # the gate may refuse any of them (service/api/gate.py)
                for status, why in GATE_ANSWERS.items():
                    operation["responses"].setdefault(status, {"description": why})
            renamed.update(_named_body(operation, identifier))
            _finish_answers(operation, method, examples.get(identifier, {}))
            _request_example(operation, examples.get(identifier, {}))
    _rename_schemas(schema, renamed)
    app.openapi_schema = schema
    return schema


def _examples() -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # (a schema without examples is still a valid schema; the test catches a missing file)
    return loaded


def _named_body(operation: dict[str, Any], identifier: str) -> dict[str, str]:
    """{generated name: readable name} of a form body's schema."""
    for content in operation.get("requestBody", {}).get("content", {}).values():
        reference = content.get("schema", {}).get("$ref", "")
        generated = reference.rsplit("/", 1)[-1]
        if generated.startswith("Body_"):
            return {generated: BODY_NAMES.get(identifier) or _camel(identifier) + "Body"}
    return {}


def _camel(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("_"))


def _rename_schemas(schema: dict[str, Any], renamed: dict[str, str]) -> None:
    if not renamed:
        return
    components = schema["components"]["schemas"]
    for old, new in renamed.items():
        components[new] = components.pop(old)
        components[new]["title"] = new
    text = json.dumps(schema)
    for old, new in renamed.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    schema.clear()
    schema.update(json.loads(text))


def _finish_answers(operation: dict[str, Any], method: str, example: dict[str, Any]) -> None:
    shown = example.get("responses", {})
    for status, response in operation.get("responses", {}).items():
        headers = response.setdefault("headers", {})
        headers.update(REQUEST_ID)
        if status[0] in "45":
            code = int(status)
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"},
                                                        "example": problem_example(code)}}
            response["description"] = response.get("description") or "Problem (RFC 9457)"
            if code in (429, 503):
                headers.update(RETRY_AFTER)
            continue
        if method == "post":
            headers.update(REPLAYED)
        if status in shown:
            for media, content in response.get("content", {}).items():
                value = shown[status]
                if media.startswith("application/json") or isinstance(value, str):
                    content["example"] = value


def _request_example(operation: dict[str, Any], example: dict[str, Any]) -> None:
    if "request" not in example:
        return
    for content in operation.get("requestBody", {}).get("content", {}).values():
        content["example"] = example["request"]


def problem_example(status: int) -> dict[str, Any]:
    """A problem+json answer of this status as the service sends it."""
    code = _PROBLEM_CODES.get(status, "client_error" if status < 500 else "internal_error")
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code, "title": code.replace("_", " ").capitalize(), "status": status,
        "detail": "What went wrong, in a sentence.", "code": code, "instance": "/v1/screenings",
        "request_id": "6ea8fbeb101deb73cbb907e1658f032c", "errors": [],
    }
    if status == 422:
        body["errors"] = [{"field": "items.0.hs_code", "value": "12",
                           "message": "HS/CCC code '12' has fewer than 4 digits"}]
    return body


# The webhook events: the body POSTed to a subscriber, one model per event type.

class ScreeningEventData(BaseModel):
    """A screening held for review or blocked."""

    screening_id: str
    reference: str
    verdict: Literal["review", "block"]
    risk_score: int
    screened_at: datetime
    rulebook_version: str
    rule_ids: list[str]
    request_id: str
    url: str = Field(description="Path of the full record on this service.")


class DecisionEventData(BaseModel):
    """A release or hold recorded on a screening."""

    decision_id: int
    screening_id: str
    reference: str
    verdict: str
    risk_score: int
    decision: Literal["release", "hold"]
    reason_code: str
    decided_at: datetime
    decided_by_role: str
    request_id: str
    url: str


class BatchCompletedData(BaseModel):
    """A batch job whose result is in place."""

    batch_id: str
    status: Literal["complete"]
    rows: int | None
    counts: dict[str, Any] | None
    url: str
    result_url: str


class BatchFailedData(BaseModel):
    """A batch job that failed or was found interrupted."""

    batch_id: str
    status: Literal["failed"]
    error: str | None
    url: str


class AlertEventData(BaseModel):
    """A new hit found by screening again after a list or rules change."""

    alert_id: str
    screening_id: str | None
    party_external_id: str | None = Field(description="The monitored party's id, when the alert is about one.")
    reference: str | None
    party_role: str | None
    party_name: str | None
    list_name: str | None
    entry_id: str | None
    listed_name: str | None
    score: float | None
    action: Literal["review", "block"]
    cause: Literal["list_changed", "rules_changed"]
    created_at: datetime
    url: str


EVENT_DATA: dict[EventType, type[BaseModel]] = {
    EventType.SCREENING_REVIEW: ScreeningEventData, EventType.SCREENING_BLOCK: ScreeningEventData,
    EventType.DECISION_CREATED: DecisionEventData, EventType.BATCH_COMPLETED: BatchCompletedData,
    EventType.BATCH_FAILED: BatchFailedData, EventType.ALERT_CREATED: AlertEventData,
}


def install_webhooks(app: FastAPI) -> None:
    """Describe each event type's request under the schema's `webhooks` (what a receiver must accept)."""
    for event, data in EVENT_DATA.items():
        body = _event_model(event, data)

        def receive(event_body: Any) -> None:
            """(Documentation only: the receiver is the subscriber's.)"""

        receive.__annotations__ = {"event_body": body, "return": None}  # (the model made for this event)
        app.webhooks.post(
            event.value, operation_id=f"event_{event.value.replace('.', '_')}", status_code=200,
            summary=f"The {event.value} event", response_description="Any 2xx acknowledges the delivery.",
            description="POSTed to each subscriber of this event, signed (webhook-id, webhook-timestamp, "
                        "webhook-signature; docs/api.md). Answer 2xx quickly; anything else is retried.",
        )(receive)


def _event_model(event: EventType, data: type[BaseModel]) -> type[BaseModel]:
    kind: Any = Literal[event.value]  # (a one-value Literal made at run time)
    return create_model(
        _camel(event.value.replace(".", "_")) + "Event", __doc__=f"The body of a {event.value} delivery.",
        id=(str, Field(description="The event's id.")), type=(kind, ...), created_at=(datetime, ...), data=(data, ...),
    )
