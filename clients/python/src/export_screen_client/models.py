"""Typed answers of the service. Unknown fields are kept (`extra="allow"`), so a newer service never breaks
an older client; values with a closed set today (verdicts, actions) are plain strings for the same reason."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """Base of every answer model."""

    model_config = ConfigDict(extra="allow")


class Finding(Answer):
    """One reason for the verdict: which rule, why, on what legal basis, with the evidence."""

    rule_id: str
    category: str
    action: str = Field(description="block, review or info.")
    message: str
    legal_basis: str
    source: str
    verification: str = "verified"
    item_line: int | None = None
    party_role: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class RulebookStamp(Answer):
    version: str
    as_of: date
    screened_on: date | None = None
    retrospective: bool = False


class ListStamp(Answer):
    name: str
    version: str
    entries: int


class Verdict(Answer):
    """What the screen says and why."""

    reference: str
    verdict: str = Field(description="clear, review or block.")
    risk_score: int
    findings: list[Finding]
    rulebook: RulebookStamp
    lists: list[ListStamp] = Field(default_factory=list)


class Screening(Verdict):
    """A verdict as answered by POST /v1/screenings, with the id it was recorded under."""

    id: str
    screened_at: datetime


class BatchItem(Answer):
    """One declaration's outcome in POST /v1/screenings:batch, at its position in the request."""

    index: int
    status: str = Field(description="screened or invalid.")
    screening: Screening | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class Decision(Answer):
    """One entry of a screening's decision history."""

    id: int
    screening_id: str
    decision: str = Field(description="release or hold.")
    reason_code: str
    note: str
    decided_at: datetime
    decided_by_key_id: str
    decided_by_role: str
    request_id: str


class ScreeningSummary(Answer):
    """One row of the audit trail's listing."""

    id: str
    screened_at: datetime
    reference: str
    verdict: str
    risk_score: int
    rulebook_version: str
    retrospective: bool = False
    decision: str | None = None


class ScreeningRecord(ScreeningSummary):
    """A stored screening with what was screened, the verdict as answered and the decisions."""

    lists: list[ListStamp]
    declaration: dict[str, Any]
    result: Verdict
    caller_key_id: str
    request_id: str
    idempotency_key: str | None = None
    decisions: list[Decision] = Field(default_factory=list)


class BatchJob(Answer):
    """A batch job: status, progress and, once complete, where its result is."""

    id: str
    status: str = Field(description="queued, running, complete or failed.")
    filename: str
    format: str
    rows_total: int | None = None
    rows_done: int = 0
    counts: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result_url: str | None = None
    files_removed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """Complete or failed: nothing more will happen to it."""
        return self.status in ("complete", "failed")


class Webhook(Answer):
    """A webhook subscription (its secret only in `NewWebhook`, once)."""

    id: str
    url: str
    events: list[str]
    description: str | None = None
    created_at: datetime
    disabled_at: datetime | None = None
    rotation_overlap_until: datetime | None = None


class NewWebhook(Webhook):
    secret: str | None = None


class Delivery(Answer):
    """One event sent (or to be sent) to a subscription, with its latest attempt."""

    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class Readiness(Answer):
    """GET /readyz: what the service has loaded."""

    status: str
    rulebook_version: str
    lists: int
    list_details: list[dict[str, Any]] = Field(default_factory=list)
    official_lists: bool | None = None
    database: str


class NameHit(Answer):
    """A listed name that matched a name checked alone (`list_name` is the answer's `list`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    list_name: str = Field(alias="list")
    entry_id: str
    listed_name: str
    matched_name: str
    score: float
    action: str = Field(description="block or review.")
    explanation: str
    listed_kind: str | None = None
    programs: list[str] = Field(default_factory=list)
    listed_from: date | None = None


class NameMatch(Answer):
    """POST /v1/parties:match: the hits for one name, best first, recorded under `id`."""

    id: str
    matched_at: datetime
    query: str
    country: str | None = None
    kind: str | None = None
    outcome: str = Field(description="clear, review or block.")
    hits: list[NameHit]
    notes: list[Finding] = Field(default_factory=list)
    lists: list[ListStamp] = Field(default_factory=list)
