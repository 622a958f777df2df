"""The OpenAPI contract as a client reads it: readable unique operation ids, named request bodies, an
example for every request and answer that fits its schema, the documented headers, and every webhook event."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.requests import Request

from service.api.app import create_app
from service.api.errors import NotReady, problem_response
from service.api.openapi import EXAMPLES, operation_id
from service.settings import Settings
from service.store.outbox import EventType


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, methods in schema["paths"].items()
            for method, operation in methods.items()]


def test_every_operation_has_a_readable_unique_id(schema: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids)) >= 20
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(_[a-z]+)+", i) or "v1" in i or "post" in i] == []
    assert {"screenings_create", "screenings_list", "batches_submit", "webhooks_rotate_secret"} <= set(ids)


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("post", "/v1/screenings:batch", "screenings_batch"),
    ("get", "/v1/screenings/{screening_id}", "screenings_get"),
    ("post", "/v1/alerts/{alert_id}/decisions", "alerts_decisions_create"),
    ("put", "/v1/parties/{external_id}", "parties_replace"),
    ("delete", "/v1/clearances/{clearance_id}", "clearances_delete"),
    ("post", "/v1/parties:match", "parties_match"),
])
def test_the_naming_rule_reads_well_for_new_paths_too(method: str, path: str, expected: str) -> None:
    assert operation_id(method, path) == expected


def test_request_bodies_have_names_of_their_own(schema: dict[str, Any]) -> None:
    names = schema["components"]["schemas"]
    assert [name for name in names if name.startswith("Body_")] == []
    assert {"BatchUpload", "CsvUpload", "Declaration"} <= set(names)


def test_every_request_and_answer_has_an_example_that_fits_its_schema(schema: dict[str, Any]) -> None:
    missing, unfit = [], []
    for method, path, operation in _operations(schema):
        where = f"{method.upper()} {path}"
        contents = [("request", media, content)
                    for media, content in operation.get("requestBody", {}).get("content", {}).items()]
        contents += [(status, media, content) for status, response in operation["responses"].items()
                     for media, content in response.get("content", {}).items()]
        for label, media, content in contents:
            if "example" not in content:
                missing.append(f"{where} {label}")
                continue
            if "json" in media and "schema" in content:
                validator = Draft202012Validator({"components": schema["components"], **content["schema"]})
                errors = [error.message for error in validator.iter_errors(content["example"])]
                if errors:
                    unfit.append(f"{where} {label}: {errors[:2]}")
    assert missing == []
    assert unfit == []


def test_the_examples_file_names_only_operations_that_exist(schema: dict[str, Any]) -> None:
    recorded = set(json.loads(EXAMPLES.read_text(encoding="utf-8")))
    assert recorded == {operation["operationId"] for _, _, operation in _operations(schema)}


def test_answers_document_their_headers(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, (method, path, status)
            if status == "503":
                assert "Retry-After" in headers, (method, path)
            if method == "post" and status.startswith("2"):
                assert "Idempotent-Replayed" in headers, (method, path)


def test_every_event_type_is_described_under_webhooks(schema: dict[str, Any]) -> None:
    webhooks = schema["webhooks"]
    assert set(webhooks) == {event.value for event in EventType}
    for event in EventType:
        body = webhooks[event.value]["post"]["requestBody"]["content"]["application/json"]["schema"]
        model = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        assert set(model["required"]) == {"id", "type", "created_at", "data"}
        assert model["properties"]["type"]["const"] == event.value


def test_a_503_answer_says_when_to_try_again() -> None:
    answer = problem_response(NotReady("not yet"), Request({"type": "http", "path": "/readyz", "headers": []}))
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
