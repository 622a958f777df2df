"""Deciding a held screening or an open alert: who may, with which reasons, and what a decision writes.

The API and the reviewers' pages both decide through here, so the rules are stated once: only `review`
and `block` screenings (and open alerts) take decisions, releasing a block needs the admin role, and the
reason code must fit the decision. A decision is appended with its webhook event, and a false-positive
release or a confirmed-denied-party hold adds the standing decisions it implies, all in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from service.store.alerts import decide_alert
from service.store.clearances import add_alert_standing, add_standing
from service.store.decisions import DecisionKind, ReasonCode, add_decision, reason_fits
from service.store.keys import Caller, Role
from service.store.tables import Decision, Screening
from service.store.workflow_tables import AlertDecisionRow, AlertRow


class Refusal(StrEnum):
    """Why a decision cannot be taken."""

    NOT_HELD = "not_held"  # a clear screening, or an alert already closed
    NEEDS_ADMIN = "needs_admin"  # releasing a block
    REASON_MISFIT = "reason_misfit"  # e.g. a confirmed denied party as the reason for a release


@dataclass(frozen=True)
class Refused(Exception):
    """A decision refused, with the sentence that says why."""

    refusal: Refusal
    message: str
    reason_code: str | None = None  # the reason code that does not fit, for a REASON_MISFIT
    decision: str | None = None  # the decision it does not fit

    def __str__(self) -> str:
        return self.message


def screening_refusal(screening: Screening, role: Role, decision: DecisionKind, reason: ReasonCode) -> Refused | None:
    """Why `role` may not take this decision on the screening, or None if it may."""
    if screening.verdict == "clear":
        return Refused(Refusal.NOT_HELD, "The screening was clear; only review and block verdicts take decisions.")
    if screening.verdict == "block" and decision is DecisionKind.RELEASE and role is not Role.ADMIN:
        return Refused(Refusal.NEEDS_ADMIN, "Releasing a blocked screening needs the admin role.")
    return _reason_refusal(decision, reason)


def alert_refusal(alert: AlertRow, role: Role, decision: DecisionKind, reason: ReasonCode) -> Refused | None:
    """Why `role` may not close the alert with this decision, or None if it may."""
    if alert.status != "open":
        return Refused(Refusal.NOT_HELD, f"The alert is already closed ({alert.closed_by}).")
    if alert.action == "block" and decision is DecisionKind.RELEASE and role is not Role.ADMIN:
        return Refused(Refusal.NEEDS_ADMIN, "Releasing a blocking alert needs the admin role.")
    return _reason_refusal(decision, reason)


def _reason_refusal(decision: DecisionKind, reason: ReasonCode) -> Refused | None:
    if reason_fits(decision, reason):
        return None
    return Refused(Refusal.REASON_MISFIT, f"Reason {reason.value!r} does not justify a {decision.value}.",
                   reason.value, decision.value)


@dataclass(frozen=True)
class Choice:
    """What a reviewer decided, why, and in their words."""

    decision: DecisionKind
    reason_code: ReasonCode
    note: str


def decide_screening(session: Session, screening: Screening, choice: Choice, caller: Caller, request_id: str,
                     clearance_expiry_days: int) -> Decision:
    """Append the decision and what it implies (in the caller's transaction); raises Refused."""
    refused = screening_refusal(screening, caller.role, choice.decision, choice.reason_code)
    if refused is not None:
        raise refused
    row = add_decision(
        session, screening_id=screening.id, decision=choice.decision, reason_code=choice.reason_code,
        note=choice.note, decided_by_key_id=caller.key_id, decided_by_role=caller.role.value, request_id=request_id,
    )
    session.flush()  # assigns the decision's id before the standing decisions refer to it
    add_standing(session, row, screening, clearance_expiry_days)
    return row


def close_alert(session: Session, alert: AlertRow, choice: Choice, caller: Caller, request_id: str,
                clearance_expiry_days: int) -> AlertDecisionRow:
    """Append the decision closing the alert and what it implies (in the caller's transaction); raises Refused."""
    refused = alert_refusal(alert, caller.role, choice.decision, choice.reason_code)
    if refused is not None:
        raise refused
    decided = decide_alert(session, alert, decision=choice.decision, reason_code=choice.reason_code,
                           note=choice.note, key_id=caller.key_id, role=caller.role.value, request_id=request_id)
    add_alert_standing(session, decided, alert, clearance_expiry_days)  # sticks as a screening decision
    session.flush()
    return decided
