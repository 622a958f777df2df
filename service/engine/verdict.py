"""Findings and the verdict: what the screen says and why.

A verdict is the sum of its findings: the most severe action wins, and every finding carries the rule
id, a message a compliance officer understands, the legal basis, the source and the evidence.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Action(StrEnum):
    """What a finding asks for, most severe first in SEVERITY."""

    BLOCK = "block"
    REVIEW = "review"
    INFO = "info"


class Outcome(StrEnum):
    """The answer to 'may this shipment go?'."""

    CLEAR = "clear"
    REVIEW = "review"
    BLOCK = "block"


class Category(StrEnum):
    """What kind of concern a finding raises."""

    CONTROLLED_GOODS = "controlled_goods"
    TRANSSHIPMENT = "transshipment"
    DENIED_PARTY = "denied_party"
    RED_FLAG = "red_flag"
    INCOMPLETE_DATA = "incomplete_data"


SEVERITY: dict[Action, int] = {Action.BLOCK: 0, Action.REVIEW: 1, Action.INFO: 2}


class Finding(BaseModel):
    """One reason behind a verdict."""

    model_config = ConfigDict(frozen=True)

    rule_id: str = Field(description="Id of the rule that produced the finding.")
    category: Category
    action: Action
    message: str = Field(description="A sentence a compliance officer understands.")
    legal_basis: str
    source: str = Field(description="Where the rule's facts come from (title and URL).")
    verification: str = Field(default="verified", description="verified, secondary or unverified.")
    item_line: int | None = None
    party_role: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class RulebookStamp(BaseModel):
    """Which rules were applied: the content hash of the loaded rule files and the date applied."""

    version: str
    as_of: date = Field(description="The export date: rules applied as in force on that day.")
    screened_on: date | None = Field(default=None, description="The screening date (today in Asia/Taipei).")
    retrospective: bool = Field(
        default=False, description="An audit of a past shipment: a past export date drew no review finding."
    )


class ListStamp(BaseModel):
    """Which denied-party list snapshot was used."""

    name: str
    version: str
    entries: int


class Verdict(BaseModel):
    """The screening result for one declaration."""

    reference: str
    verdict: Outcome
    risk_score: int = Field(ge=0, le=100)
    findings: list[Finding]
    rulebook: RulebookStamp
    lists: list[ListStamp] = Field(default_factory=list)


def outcome_of(findings: list[Finding]) -> Outcome:
    """The most severe finding decides; info findings alone leave the shipment clear."""
    actions = {finding.action for finding in findings}
    if Action.BLOCK in actions:
        return Outcome.BLOCK
    if Action.REVIEW in actions:
        return Outcome.REVIEW
    return Outcome.CLEAR


def risk_score(findings: list[Finding]) -> int:
    """0-100, monotone in severity: block 90-100, review 40-85, clear 0-30.

    Within a band more findings mean more risk, so a reviewer can sort a queue by it. The bands never
    overlap, so the score never contradicts the verdict.
    """
    blocks = sum(1 for f in findings if f.action is Action.BLOCK)
    reviews = sum(1 for f in findings if f.action is Action.REVIEW)
    infos = sum(1 for f in findings if f.action is Action.INFO)
    if blocks:
        return min(100, 90 + 2 * (blocks - 1) + reviews)
    if reviews:
        return min(85, 40 + 5 * (reviews - 1))
    return min(30, 10 * infos)


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first; otherwise the order the checks produced them (stable, deterministic)."""
    return sorted(findings, key=lambda finding: SEVERITY[finding.action])
