"""Response bodies shared by the screening and decision routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from service.engine.verdict import ListStamp, Outcome, Verdict
from service.stamps import Thresholds
from service.store.decisions import DecisionKind, ReasonCode
from service.store.tables import Decision, Screening


class ScreeningResult(Verdict):
    """The verdict as answered, with the id under which it was recorded and what it was made with."""

    id: str = Field(description="Id of the recorded screening (UUIDv7).")
    screened_at: datetime
    software_version: str = Field(description="Version of the software that screened.")
    thresholds: Thresholds = Field(description="The verdict-changing settings in force.")


class DecisionRecord(BaseModel):
    """One entry of a screening's decision history."""

    id: int
    screening_id: str
    decision: DecisionKind
    reason_code: ReasonCode
    note: str
    decided_at: datetime
    decided_by_key_id: str
    decided_by_role: str
    request_id: str


class ScreeningSummary(BaseModel):
    """One row of a screening list."""

    id: str
    screened_at: datetime
    reference: str
    verdict: Outcome
    risk_score: int
    rulebook_version: str
    retrospective: bool = Field(description="Screened as an audit of a past shipment (rules as of its export date).")
    decision: DecisionKind | None = Field(description="The latest decision, or null while undecided.")


class ScreeningRecord(ScreeningSummary):
    """A stored screening: what was screened, the verdict, rules and lists used, who asked, what was decided."""

    lists: list[ListStamp]
    declaration: dict[str, Any] = Field(description="The declaration as screened (normalised).")
    result: Verdict = Field(description="The verdict exactly as answered, findings included.")
    caller_key_id: str
    request_id: str = Field(description="The service's id of the request that screened it (X-Request-ID).")
    client_request_id: str | None = Field(
        default=None, description="The X-Request-ID the client sent with that request, if any (kept apart).")
    idempotency_key: str | None
    software_version: str | None = Field(description="Version of the software that screened; null if not recorded.")
    thresholds: Thresholds | None = Field(description="The verdict-changing settings in force; null if not recorded.")
    decisions: list[DecisionRecord]


class ScreeningPage(BaseModel):
    """A page of screenings, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[ScreeningSummary]
    next_cursor: str | None


def utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def decision_record(row: Decision) -> DecisionRecord:
    """The wire form of a stored decision."""
    return DecisionRecord(
        id=row.id or 0, screening_id=row.screening_id, decision=DecisionKind(row.decision),
        reason_code=ReasonCode(row.reason_code), note=row.note, decided_at=utc(row.decided_at),
        decided_by_key_id=row.decided_by_key_id, decided_by_role=row.decided_by_role, request_id=row.request_id,
    )


def screening_record(row: Screening, decisions: list[Decision]) -> ScreeningRecord:
    """The wire form of a stored screening with its decision history."""
    return ScreeningRecord(
        **_summary_fields(row, decisions),
        lists=[ListStamp.model_validate(stamp) for stamp in row.lists], declaration=row.declaration,
        result=Verdict.model_validate(row.answered_verdict()), caller_key_id=row.caller_key_id,
        request_id=row.request_id,
        client_request_id=row.client_request_id, idempotency_key=row.idempotency_key,
        software_version=row.software_version,
        thresholds=Thresholds.model_validate(row.thresholds) if row.thresholds is not None else None,
        decisions=[decision_record(d) for d in decisions],
    )


def screening_summary(row: Screening, decisions: list[Decision]) -> ScreeningSummary:
    """The list form of a stored screening."""
    return ScreeningSummary(**_summary_fields(row, decisions))


def _summary_fields(row: Screening, decisions: list[Decision]) -> dict[str, Any]:
    return {
        "id": row.id, "screened_at": utc(row.screened_at), "reference": row.reference,
        "verdict": Outcome(row.verdict), "risk_score": row.risk_score, "rulebook_version": row.rulebook_version,
        "retrospective": row.retrospective, "decision": DecisionKind(decisions[-1].decision) if decisions else None,
    }
