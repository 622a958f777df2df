"""The reviewers' queue: held (`review`/`block`) screenings nobody has decided yet, riskiest or newest first.

A held screening's rules, lists and countries are written beside it as facets (one narrow row each, in
the screening's own INSERT transaction), so the queue filters by them through an index instead of
reading every stored verdict. Clear screenings get none: they never enter the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, and_, func, insert, or_
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

from service.store.screening_parties import named_parties
from service.store.tables import Decision, Screening
from service.store.workflow_tables import AlertRow, ScreeningParty

HELD = ("review", "block")


class ScreeningFacet(SQLModel, table=True):
    """One rule, list or country of a held screening, for filtering the queue."""

    __tablename__ = "screening_facets"
    __table_args__ = (Index("ix_screening_facets_screening_id", "screening_id"),)

    facet: str = Field(sa_column=Column(String(16), primary_key=True))  # rule, list or country
    value: str = Field(sa_column=Column(String(200), primary_key=True))
    screening_id: str = Field(sa_column=Column(String(36), ForeignKey("screenings.id"), primary_key=True))


FACETS: Table = ScreeningFacet.__table__  # type: ignore[attr-defined]
SCREENINGS: Table = Screening.__table__  # type: ignore[attr-defined]


class Facet(StrEnum):
    """What a held screening can be filtered by besides its own columns."""

    RULE = "rule"
    LIST = "list"
    COUNTRY = "country"


def facets_of(values: dict[str, Any]) -> set[tuple[str, str]]:
    """(facet, value) of one screening given as its column values: the rules that held it, the lists of
    its party hits, and the countries of its route and parties (the exporter's excepted)."""
    if values["verdict"] not in HELD:
        return set()
    found: set[tuple[str, str]] = set()
    for finding in values["findings"]:
        if finding.get("action") in HELD:
            found.add((Facet.RULE.value, str(finding["rule_id"])[:200]))
        listed = (finding.get("evidence") or {}).get("list")
        if finding.get("category") == "denied_party" and listed:
            found.add((Facet.LIST.value, str(listed)[:200]))
    declaration = values["declaration"]
    countries = [declaration.get("destination_country"), *(declaration.get("transit_countries") or [])]
    countries.extend(party.get("country") for role, party in named_parties(declaration) if role != "exporter")
    found.update((Facet.COUNTRY.value, str(country)) for country in countries if country)
    return found


def add_screening_facets(session: Session, screenings: Iterable[dict[str, Any]]) -> None:
    """Append the facets of screenings being recorded (in the caller's transaction)."""
    rows = [{"screening_id": values["id"], "facet": facet, "value": value}
            for values in screenings for facet, value in sorted(facets_of(values))]
    if rows:
        session.connection().execute(insert(FACETS), rows)


class Order(StrEnum):
    """How the queue is sorted."""

    RISK = "risk"  # highest risk score first, newest first within a score
    NEWEST = "newest"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; None means no restriction."""

    verdict: str | None = None
    rule: str | None = None
    list_name: str | None = None
    country: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    reference: str | None = None  # the start of the ERP reference, in any case


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue (the declaration and verdict are not read: a page needs only these)."""

    id: str
    screened_at: datetime
    reference: str
    verdict: str
    risk_score: int


@dataclass(frozen=True)
class Position:
    """Where the previous page ended: its last row's risk score and id."""

    risk_score: int
    id: str


def _undecided() -> Any:
    return ~select(Decision.id).where(Decision.screening_id == Screening.id).exists()


def _narrowed(query: Any, where: QueueFilter) -> Any:
    # (the same IN list as the partial indexes of migration 0014, so the planner can use them)
    query = query.where(col(Screening.verdict).in_(HELD)).where(_undecided())
    if where.verdict:
        query = query.where(col(Screening.verdict) == where.verdict)
    for facet, value in ((Facet.RULE, where.rule), (Facet.LIST, where.list_name), (Facet.COUNTRY, where.country)):
        if value:
            tagged = select(FACETS.c.screening_id).where(FACETS.c.facet == facet.value, FACETS.c.value == value)
            query = query.where(col(Screening.id).in_(tagged))
    if where.since:
        query = query.where(col(Screening.screened_at) >= where.since)
    if where.until:
        query = query.where(col(Screening.screened_at) < where.until)
    if where.reference:
        query = query.where(col(Screening.reference).istartswith(where.reference, autoescape=True))
    return query


def queue_page(session: Session, where: QueueFilter, order: Order, limit: int, after: Position | None,
               ) -> list[QueueRow]:
    """One page of the queue; `after` is the last row of the previous page (keyset pagination)."""
    columns = [SCREENINGS.c.id, SCREENINGS.c.screened_at, SCREENINGS.c.reference, SCREENINGS.c.verdict,
               SCREENINGS.c.risk_score]
    query = _narrowed(sa_select(*columns), where)
    if order is Order.RISK:
        if after is not None:
            query = query.where(or_(col(Screening.risk_score) < after.risk_score,
                                    and_(col(Screening.risk_score) == after.risk_score, col(Screening.id) < after.id)))
        query = query.order_by(col(Screening.risk_score).desc(), col(Screening.id).desc())
    else:
        if after is not None:
            query = query.where(col(Screening.id) < after.id)
        query = query.order_by(col(Screening.id).desc())
    return [QueueRow(*row) for row in session.exec(query.limit(limit)).all()]


@dataclass(frozen=True)
class QueueCounts:
    """How much is waiting: undecided reviews and blocks, and open alerts."""

    review: int
    block: int
    open_alerts: int


def queue_counts(session: Session) -> QueueCounts:
    """The counts at the top of the queue (not narrowed by its filters)."""
    query = _narrowed(select(Screening.verdict, func.count()), QueueFilter()).group_by(col(Screening.verdict))
    counts = {str(verdict): int(count) for verdict, count in session.exec(query).all()}
    alerts = session.exec(select(func.count()).select_from(AlertRow).where(col(AlertRow.status) == "open")).one()
    return QueueCounts(review=counts.get("review", 0), block=counts.get("block", 0), open_alerts=int(alerts))


def facet_values(session: Session, facet: Facet) -> list[str]:
    """Every value a facet takes in the queue's screenings (for the filter's choices), sorted."""
    query = select(FACETS.c.value).where(FACETS.c.facet == facet.value).distinct().order_by(FACETS.c.value)
    return [str(value) for value in session.exec(query).all()]


def findings_of(session: Session, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The findings of the screenings on one page (for each line's leading reason)."""
    if not ids:
        return {}
    query = select(Screening.id, Screening.findings).where(col(Screening.id).in_(ids))
    return {str(row_id): list(findings) for row_id, findings in session.exec(query).all()}


def earlier_decisions(session: Session, names: list[str], screening_id: str, limit: int = 20,
                      ) -> list[tuple[Decision, str, str]]:
    """Decisions on other screenings of the same party names, newest first: (decision, reference, party name)."""
    if not names:
        return []
    query = (select(Decision, ScreeningParty.reference, ScreeningParty.name)
             .join(ScreeningParty, col(ScreeningParty.screening_id) == col(Decision.screening_id))
             .where(col(ScreeningParty.name).in_(names)).where(col(Decision.screening_id) != screening_id)
             .order_by(col(Decision.id).desc()).limit(limit))
    return [(decision, str(reference), str(name)) for decision, reference, name in session.exec(query).all()]



# The queue's two orders over held screenings only (partial indexes: clear screenings, most of the trail,
# are not in them). Defined here, beside the queries that need them, on the screenings table.
_HELD_ONLY = col(Screening.verdict).in_(HELD)
Index("ix_screenings_held_newest", col(Screening.id), sqlite_where=_HELD_ONLY, postgresql_where=_HELD_ONLY)
Index("ix_screenings_held_riskiest", col(Screening.risk_score), col(Screening.id), sqlite_where=_HELD_ONLY,
      postgresql_where=_HELD_ONLY)
