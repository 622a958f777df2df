"""The audit report: what was screened in a period and what became of it, counted from the audit trail."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, text
from sqlmodel import Session, col, select

from service.store.audit_export import screenings_with_decisions
from service.store.database import as_utc
from service.store.party_matches import PartyMatch
from service.store.screenings import ScreeningFilter
from service.store.tables import Decision, Screening

OUTCOMES = ("clear", "review", "block")
HELD = ("review", "block")
DENIED_PARTY = "denied_party"


@dataclass
class AuditReport:
    """Counts over the screenings (and names screened alone) recorded in [since, until)."""

    since: datetime
    until: datetime
    by_verdict: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)  # screenings in which the rule raised a finding
    list_screenings: Counter[tuple[str, str]] = field(default_factory=Counter)  # (list, version) -> screenings
    list_hits: Counter[tuple[str, str]] = field(default_factory=Counter)  # (list, version) -> party findings
    decisions_by_reason: Counter[tuple[str, str]] = field(default_factory=Counter)  # (decision, reason)
    awaiting_decision: int = 0  # review or block screenings nobody has decided yet
    decision_seconds: list[float] = field(default_factory=list)  # screening to first decision, per decided one
    names_by_outcome: Counter[str] = field(default_factory=Counter)
    open_alerts: int | None = None  # None: this database has no alerts to count

    @property
    def screenings(self) -> int:
        """How many screenings the period holds."""
        return sum(self.by_verdict.values())

    def median_seconds_to_decision(self) -> float | None:
        """The median time from a screening to its first decision; None if nothing was decided."""
        return statistics.median(self.decision_seconds) if self.decision_seconds else None

    def as_json(self) -> dict[str, Any]:
        """The report as JSON data (counts sorted most first)."""
        return {
            "from": self.since.isoformat(), "to": self.until.isoformat(), "screenings": self.screenings,
            "by_verdict": {verdict: self.by_verdict[verdict] for verdict in OUTCOMES},
            "by_rule": dict(self.by_rule.most_common()),
            "by_list": [{"list": name, "version": version, "screenings": count,
                         "party_hits": self.list_hits[(name, version)]}
                        for (name, version), count in sorted(self.list_screenings.items())],
            "decisions_by_reason": [{"decision": decision, "reason_code": reason, "count": count}
                                    for (decision, reason), count in self.decisions_by_reason.most_common()],
            "decided": len(self.decision_seconds), "awaiting_decision": self.awaiting_decision,
            "median_seconds_to_decision": self.median_seconds_to_decision(),
            "names_screened_alone": {outcome: self.names_by_outcome[outcome] for outcome in OUTCOMES},
            "open_alerts": self.open_alerts,
        }


def audit_report(session: Session, since: datetime, until: datetime) -> AuditReport:
    """Count the screenings recorded in [since, until), their decisions, the names screened alone, open alerts."""
    report = AuditReport(since=since, until=until)
    for row, decisions in screenings_with_decisions(session, ScreeningFilter(since=since, until=until)):
        _count_screening(report, row, decisions)
    report.names_by_outcome.update(_names_by_outcome(session, since, until))
    report.open_alerts = open_alert_count(session)
    return report


def _count_screening(report: AuditReport, row: Screening, decisions: list[Decision]) -> None:
    report.by_verdict[row.verdict] += 1
    report.by_rule.update(set(finding["rule_id"] for finding in row.findings))  # once per screening
    versions = {stamp["name"]: stamp["version"] for stamp in row.lists}
    report.list_screenings.update(versions.items())
    for finding in row.findings:
        listed_on = (finding.get("evidence") or {}).get("list")
        if finding.get("category") == DENIED_PARTY and isinstance(listed_on, str) and listed_on in versions:
            report.list_hits[(listed_on, versions[listed_on])] += 1
    report.decisions_by_reason.update((decision.decision, decision.reason_code) for decision in decisions)
    if decisions:
        report.decision_seconds.append((as_utc(decisions[0].decided_at) - as_utc(row.screened_at)).total_seconds())
    elif row.verdict in HELD:
        report.awaiting_decision += 1


def _names_by_outcome(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    query = (select(PartyMatch.outcome, func.count()).where(col(PartyMatch.matched_at) >= since)
             .where(col(PartyMatch.matched_at) < until).group_by(col(PartyMatch.outcome)))
    return {outcome: count for outcome, count in session.exec(query).all()}


def open_alert_count(session: Session) -> int | None:
    """Alerts still open now, or None where the database holds no alerts (the report shows "n/a").

    The one place the report learns about alerts: it counts the rows of a table `alerts` whose `status`
    is 'open', and answers None (never 0) while no such table and column exist, so a missing count is
    never read as "nothing open"."""
    connection = session.connection()
    inspector = inspect(connection)
    if not inspector.has_table("alerts"):
        return None
    if "status" not in {column["name"] for column in inspector.get_columns("alerts")}:
        return None
    return int(connection.execute(text("SELECT count(*) FROM alerts WHERE status = 'open'")).scalar_one())
