"""The query parameters that narrow the audit trail, shared by the listing and the CSV export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, Query

from service.api.routers.wire import utc
from service.engine.verdict import Outcome
from service.store.decisions import DecisionKind
from service.store.screenings import UNDECIDED, ScreeningFilter


def screening_filter(
    verdict: Annotated[Outcome | None, Query(description="Only this verdict.")] = None,
    decision: Annotated[
        Literal["release", "hold", "none"] | None, Query(description="Latest decision; `none` = undecided.")
    ] = None,
    reference: Annotated[str | None, Query(max_length=200, description="Only this ERP reference.")] = None,
    since: Annotated[datetime | None, Query(description="Screened at or after (ISO 8601; UTC if no zone).")] = None,
    until: Annotated[datetime | None, Query(description="Screened before (ISO 8601; UTC if no zone).")] = None,
) -> ScreeningFilter:
    """The filter the query asks for."""
    return ScreeningFilter(
        verdict=verdict.value if verdict else None, decision=_decision_filter(decision), reference=reference,
        since=_as_utc(since), until=_as_utc(until),
    )


ScreeningFilterDep = Annotated[ScreeningFilter, Depends(screening_filter)]


def _decision_filter(decision: str | None) -> str | None:
    if decision is None or decision == UNDECIDED:
        return decision
    return DecisionKind(decision).value


def _as_utc(moment: datetime | None) -> datetime | None:
    # Times are stored in UTC (SQLite keeps them as zone-less text), so filters are compared in UTC too.
    return utc(moment).astimezone(UTC) if moment is not None else None
