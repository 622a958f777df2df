"""What the party screening rested on: a verdict says when no official list was loaded, or one was old.

A default install screens parties against the bundled curated list only (a handful of entries). Its
verdicts carry an `info` finding that says so: the goods rules still decide the verdict, and making
every such verdict `review` would hide what the rules found. A production install requires the
official lists (EXPORT_SCREEN_REQUIRED_LISTS) and never screens without them.

A list older than its expected update interval is a `review` finding: parties listed since it was
taken are missing from it, so a `clear` would rest on out-of-date data. A person must re-screen after
`export-screen lists update`, or accept the risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from service.engine.verdict import Action, Category, Finding

NO_OFFICIAL_LIST = "LISTS-NO-OFFICIAL"
LIST_OUT_OF_DATE = "LIST-OUT-OF-DATE"
SOURCE = "export-screen configuration (docs/lists.md, list coverage)"
BASIS = "Foreign Trade Act Art. 13 (Entity List); internal compliance programme"


@dataclass(frozen=True)
class ListAge:
    """One loaded list: whether it is an official snapshot, its size, when it was taken, how long it keeps."""

    name: str
    entries: int
    official: bool  # a snapshot of a published list (not a bundled curated file)
    imported_at: datetime | None  # None for bundled files
    max_age: timedelta | None  # the expected update interval; None: no limit

    def age(self, now: datetime) -> timedelta | None:
        """How old the snapshot is at `now` (None for bundled files)."""
        return None if self.imported_at is None else now - self.imported_at

    def out_of_date(self, now: datetime) -> bool:
        """Older than its expected update interval."""
        age = self.age(now)
        return age is not None and self.max_age is not None and age > self.max_age


def coverage_findings(lists: tuple[ListAge, ...] | None, now: datetime) -> list[Finding]:
    """An info finding if no official list was loaded; a review finding per list past its interval."""
    if lists is None:  # a context built without list information (tests, tools): nothing to say
        return []
    findings = [_out_of_date(entry, now) for entry in lists if entry.out_of_date(now)]
    if not any(entry.official for entry in lists):
        names = ", ".join(f"{entry.name} ({entry.entries} entries)" for entry in lists) or "none"
        findings.append(Finding(
            rule_id=NO_OFFICIAL_LIST, category=Category.INCOMPLETE_DATA, action=Action.INFO,
            message=(f"Parties were screened without any official denied-party list, only against: {names}. "
                     "Import the official lists (export-screen lists update) before relying on a clear verdict."),
            legal_basis=BASIS, source=SOURCE, evidence={"lists": [entry.name for entry in lists]},
        ))
    return findings


def _out_of_date(entry: ListAge, now: datetime) -> Finding:
    age, limit = entry.age(now), entry.max_age
    assert age is not None and limit is not None and entry.imported_at is not None
    days, limit_days = age.total_seconds() / 86_400, limit.total_seconds() / 86_400
    return Finding(
        rule_id=LIST_OUT_OF_DATE, category=Category.INCOMPLETE_DATA, action=Action.REVIEW,
        message=(f"The {entry.name} list is {days:.0f} days old (taken {entry.imported_at:%Y-%m-%d %H:%M} UTC), "
                 f"older than its update interval of {limit_days:g} days: parties listed since are missing. "
                 "Update the list (export-screen lists update) and screen again."),
        legal_basis=BASIS, source=SOURCE,
        evidence={"list": entry.name, "imported_at": entry.imported_at.isoformat(), "age_days": round(days, 1),
                  "max_age_days": limit_days},
    )
