"""Who may take which decision: the rules the API and the reviewers' pages share."""

from __future__ import annotations

from typing import Any

import pytest

from service.store.decisions import DecisionKind, ReasonCode
from service.store.keys import Role
from service.store.tables import Screening
from service.store.workflow_tables import AlertRow
from service.workflow.deciding import Refusal, alert_refusal, screening_refusal

RELEASE, HOLD = DecisionKind.RELEASE, DecisionKind.HOLD


def _screening(verdict: str) -> Screening:
    return Screening(id="s", verdict=verdict)


def _alert(action: str, status: str = "open") -> AlertRow:
    return AlertRow(id="a", action=action, status=status, closed_by="decision:1")


@pytest.mark.parametrize(("verdict", "role", "decision", "reason", "refusal"), [
    ("review", Role.REVIEWER, RELEASE, ReasonCode.END_USE_VERIFIED, None),
    ("review", Role.REVIEWER, HOLD, ReasonCode.DIVERSION_RISK, None),
    ("block", Role.REVIEWER, HOLD, ReasonCode.CONTROLLED_NO_PERMIT, None),
    ("block", Role.REVIEWER, RELEASE, ReasonCode.PERMIT_OBTAINED, Refusal.NEEDS_ADMIN),
    ("block", Role.ADMIN, RELEASE, ReasonCode.PERMIT_OBTAINED, None),
    ("clear", Role.ADMIN, HOLD, ReasonCode.OTHER, Refusal.NOT_HELD),
    ("review", Role.REVIEWER, RELEASE, ReasonCode.CONFIRMED_DENIED_PARTY, Refusal.REASON_MISFIT),
    ("review", Role.REVIEWER, HOLD, ReasonCode.FALSE_POSITIVE_PARTY, Refusal.REASON_MISFIT),
])
def test_screening_decisions(verdict: str, role: Role, decision: DecisionKind, reason: ReasonCode,
                             refusal: Refusal | None) -> None:
    refused = screening_refusal(_screening(verdict), role, decision, reason)
    assert (refused.refusal if refused else None) is refusal


@pytest.mark.parametrize(("alert", "role", "decision", "refusal"), [
    ({"action": "review"}, Role.REVIEWER, RELEASE, None),
    ({"action": "block"}, Role.REVIEWER, RELEASE, Refusal.NEEDS_ADMIN),
    ({"action": "block"}, Role.ADMIN, RELEASE, None),
    ({"action": "review", "status": "closed"}, Role.ADMIN, HOLD, Refusal.NOT_HELD),
])
def test_alert_decisions(alert: dict[str, Any], role: Role, decision: DecisionKind, refusal: Refusal | None) -> None:
    refused = alert_refusal(_alert(**alert), role, decision, ReasonCode.OTHER)
    assert (refused.refusal if refused else None) is refusal


def test_a_misfit_names_the_reason_and_the_decision() -> None:
    refused = screening_refusal(_screening("review"), Role.ADMIN, RELEASE, ReasonCode.CONTROLLED_NO_PERMIT)
    assert refused is not None and (refused.reason_code, refused.decision) == ("controlled_no_permit", "release")
    assert str(refused) == "Reason 'controlled_no_permit' does not justify a release."
