"""Review decisions: an append-only history per screening; the original verdict is never changed."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlmodel import Session, col, select

from service.store.database import now
from service.store.outbox import EventType, add_events, decision_data
from service.store.review_queue import take_off_queue
from service.store.tables import Decision, Screening


class DecisionKind(StrEnum):
    """What a reviewer decided about a held screening."""

    RELEASE = "release"  # the shipment may go
    HOLD = "hold"  # the hold is confirmed: the shipment must not go


class ReasonCode(StrEnum):
    """Why a reviewer decided; each code belongs to release, hold, or both (OTHER)."""

    FALSE_POSITIVE_PARTY = "false_positive_party"
    GOODS_NOT_CONTROLLED = "goods_not_controlled"
    PERMIT_OBTAINED = "permit_obtained"
    END_USE_VERIFIED = "end_use_verified"
    AFFIDAVIT_OBTAINED = "affidavit_obtained"
    CONFIRMED_DENIED_PARTY = "confirmed_denied_party"
    CONTROLLED_NO_PERMIT = "controlled_no_permit"
    DIVERSION_RISK = "diversion_risk"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    OTHER = "other"


RELEASE_REASONS = frozenset({
    ReasonCode.FALSE_POSITIVE_PARTY, ReasonCode.GOODS_NOT_CONTROLLED, ReasonCode.PERMIT_OBTAINED,
    ReasonCode.END_USE_VERIFIED, ReasonCode.AFFIDAVIT_OBTAINED, ReasonCode.OTHER,
})
HOLD_REASONS = frozenset({
    ReasonCode.CONFIRMED_DENIED_PARTY, ReasonCode.CONTROLLED_NO_PERMIT, ReasonCode.DIVERSION_RISK,
    ReasonCode.INSUFFICIENT_INFORMATION, ReasonCode.OTHER,
})


def reason_fits(decision: DecisionKind, reason: ReasonCode) -> bool:
    """True if `reason` can justify `decision` (e.g. a confirmed denied party never justifies a release)."""
    return reason in (RELEASE_REASONS if decision is DecisionKind.RELEASE else HOLD_REASONS)


def add_decision(
    session: Session, *, screening_id: str, decision: DecisionKind, reason_code: ReasonCode, note: str,
    decided_by_key_id: str, decided_by_role: str, request_id: str,
) -> Decision:
    """Append a decision (in the caller's transaction)."""
    row = Decision(
        screening_id=screening_id, decision=decision.value, reason_code=reason_code.value, note=note,
        decided_at=now(), decided_by_key_id=decided_by_key_id, decided_by_role=decided_by_role,
        request_id=request_id,
    )
    session.add(row)
    session.flush()  # the decision's id goes into its webhook event
    take_off_queue(session, screening_id)  # decided: no longer waiting in the reviewers' queue
    screening = session.get(Screening, screening_id)
    if screening is not None:
        add_events(session, [(EventType.DECISION_CREATED, decision_data(row, screening))])
    return row


def decisions_of(session: Session, screening_ids: Iterable[str]) -> dict[str, list[Decision]]:
    """Each screening's decisions, oldest first."""
    ids = list(screening_ids)
    history: dict[str, list[Decision]] = {screening_id: [] for screening_id in ids}
    if not ids:
        return history
    query = select(Decision).where(col(Decision.screening_id).in_(ids)).order_by(col(Decision.id))
    for row in session.exec(query).all():
        history[row.screening_id].append(row)
    return history
