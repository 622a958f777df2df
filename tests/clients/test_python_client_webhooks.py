"""The client's webhook checks: what the service signs (service.webhooks.signing), verify_webhook and
verify_signature accept (and so does the Standard Webhooks reference verifier); nothing else, and nothing
raises but InvalidSignature."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime

import pytest
from export_screen_client import InvalidSignature, verify_signature, verify_webhook
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook as StandardWebhook

from service.store.webhooks import new_secret
from service.webhooks.signing import signature, standard_signature

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"screening.block","data":{}}'
NOW = 1_800_000_000


def test_a_signature_the_dispatcher_made_verifies() -> None:
    assert verify_signature(SECRET, signature(SECRET, NOW, BODY), BODY, at=NOW + 10) == NOW


def test_any_of_several_v1_values_may_match() -> None:
    header = signature(SECRET, NOW, BODY) + ",v1=" + "0" * 64
    assert verify_signature(SECRET, header, BODY, at=NOW) == NOW


@pytest.mark.parametrize(("secret", "header", "body", "at"), [
    (SECRET, signature(SECRET, NOW, BODY), BODY.replace(b"block", b"clear"), NOW),  # body changed
    ("whsec_other", signature(SECRET, NOW, BODY), BODY, NOW),  # another secret
    (SECRET, signature(SECRET, NOW, BODY), BODY, NOW + 301),  # replayed too late
    (SECRET, signature(SECRET, NOW, BODY), BODY, NOW - 301),  # from the future
    (SECRET, signature(SECRET, NOW, BODY).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, NOW),  # timestamp changed
    (SECRET, None, BODY, NOW),
    (SECRET, "", BODY, NOW),
    (SECRET, f"t={NOW}", BODY, NOW),  # no v1
    (SECRET, "v1=abc", BODY, NOW),  # no t
    (SECRET, f"t=x{NOW},v1=abc", BODY, NOW),
])
def test_anything_else_is_refused(secret: str, header: str | None, body: bytes, at: int) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature(secret, header, body, at=at)


def test_the_tolerance_is_the_callers() -> None:
    assert verify_signature(SECRET, signature(SECRET, NOW, BODY), BODY, tolerance=3600, at=NOW + 3000) == NOW


@pytest.mark.parametrize("header", [
    f"t={NOW},v1=\u00e9", "t=\u00b2,v1=abc", f"t=\u0663{NOW},v1=abc",  # non-ASCII signature; digits int() refuses
    f"t={'9' * 40},v1=abc", "t=,v1=", "=,=,", "t", ",,,",
])
def test_a_malformed_header_raises_only_invalid_signature(header: str) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature(SECRET, header, BODY, at=NOW)


@given(header=st.text(max_size=80))
def test_no_header_text_raises_anything_but_invalid_signature(header: str) -> None:
    with contextlib.suppress(InvalidSignature):
        verify_signature(SECRET, header, BODY, at=NOW)
    with contextlib.suppress(InvalidSignature):
        verify_webhook(SECRET, {"webhook-id": header, "webhook-timestamp": header, "webhook-signature": header},
                       BODY, at=NOW)


STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the example secret of the Standard Webhooks spec


def _standard_headers(secrets: list[str], message_id: str = "msg_1", timestamp: int = NOW) -> dict[str, str]:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(secrets, message_id, timestamp, BODY)}


@pytest.mark.parametrize("secret", [STANDARD_SECRET, new_secret(), "whsec_" + "a-b_c" * 8])
def test_standard_signatures_are_the_reference_implementations(secret: str) -> None:
    reference = StandardWebhook(secret).sign("msg_1", datetime.fromtimestamp(NOW, UTC), BODY)
    assert standard_signature([secret], "msg_1", NOW, BODY) == reference
    assert verify_webhook(secret, _standard_headers([secret]), BODY, at=NOW + 10) == "msg_1"


def test_the_reference_verifier_accepts_what_the_service_signs_now() -> None:
    moment = int(time.time())
    StandardWebhook(STANDARD_SECRET).verify(BODY, _standard_headers([STANDARD_SECRET], timestamp=moment))


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = _standard_headers([new, old])
    assert verify_webhook(old, headers, BODY, at=NOW) == verify_webhook(new, headers, BODY, at=NOW) == "msg_1"
    assert verify_webhook([new_secret(), new], _standard_headers([new]), BODY, at=NOW) == "msg_1"
    with pytest.raises(InvalidSignature):
        verify_webhook(new_secret(), headers, BODY, at=NOW)


@pytest.mark.parametrize(("headers", "at"), [
    (_standard_headers([SECRET]), NOW + 301),  # replayed too late
    ({**_standard_headers([SECRET]), "webhook-id": "msg_2"}, NOW),  # another message's signature
    ({**_standard_headers([SECRET]), "webhook-timestamp": str(NOW + 1)}, NOW),
    ({**_standard_headers([SECRET]), "webhook-timestamp": "\u0661\u0662"}, NOW),
    ({"webhook-id": "msg_1", "webhook-timestamp": str(NOW)}, NOW),  # no signature
    ({**_standard_headers([SECRET]), "webhook-signature": "v2,abc"}, NOW),
])
def test_a_standard_signature_that_does_not_hold_is_refused(headers: dict[str, str], at: int) -> None:
    with pytest.raises(InvalidSignature):
        verify_webhook(SECRET, headers, BODY, at=at)
