"""The Webhooks section of docs/api.md stays true: every event type is listed, and its stand-alone
verification snippet accepts what the dispatcher signs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from service.api.routers.webhooks import DeliveryNotRetryable
from service.store.database import now
from service.store.outbox import EventType, screening_data
from service.webhooks.signing import signature

DOC = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
SECTION = DOC.split("## Webhooks", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("event", list(EventType))
def test_every_event_type_is_documented(event: EventType) -> None:
    assert f"| `{event.value}` |" in SECTION


def test_the_standard_library_snippet_verifies_a_real_signature() -> None:
    [snippet] = [block for block in re.findall(r"```python\n(.*?)```", SECTION, re.S) if "import hashlib" in block]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    check = namespace["signed_by_export_screen"]
    body = b'{"id":"e1","type":"screening.block"}'
    header = signature("whsec_x", int(time.time()), body)
    assert check("whsec_x", header, body)
    assert not check("whsec_x", header, body + b" ")
    assert not check("whsec_y", header, body)
    assert not check("whsec_x", signature("whsec_x", int(time.time()) - 3600, body), body)


@pytest.mark.parametrize("header", ["X-Export-Screen-Event", "X-Export-Screen-Delivery", "X-Export-Screen-Signature",
                                    "webhook-id", "webhook-timestamp", "webhook-signature"])
def test_the_headers_are_documented(header: str) -> None:
    assert header in SECTION


def test_the_example_request_body_has_the_fields_a_delivery_has() -> None:
    request = SECTION.split("### The request", 1)[1].split("```", 2)[1]
    example = json.loads(request[request.index("{"):])
    row = {"id": "s1", "reference": "SO-1", "verdict": "block", "risk_score": 100, "screened_at": now(),
           "rulebook_version": "sha256:x", "request_id": "r", "findings": [{"rule_id": "TW-RUBY-CHPL"}]}
    assert set(example) == {"id", "type", "created_at", "data"}
    assert set(example["data"]) == set(screening_data(row))


def test_the_webhook_problem_code_is_documented() -> None:
    assert f"| 409 | `{DeliveryNotRetryable.code}` |" in DOC
