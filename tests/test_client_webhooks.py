"""The receiver-side webhook check: what the dispatcher signs, verify_signature accepts; nothing else."""

from __future__ import annotations

import pytest

from service.client import InvalidSignature, verify_signature
from service.webhooks.signing import signature

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
