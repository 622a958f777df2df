"""The reviewers' queue: held (`review`/`block`) screenings nobody has decided yet, riskiest or newest first.

A held screening enters the queue as one narrow row (verdict, risk score, time, reference) in its own
INSERT transaction, and leaves it in the transaction of its first decision; its rules, lists and
countries are written beside it as facets, and leave with it. The queue is read from these small rows through their
indexes, never from the stored verdicts, so a page costs the same with a million screenings on record.
Clear screenings never enter it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    and_,
    delete,
    func,
    or_,
    text,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Dialect
from sqlmodel import Field, Session, SQLModel, col, select

from service.store.appending import Appender, Appending
from service.store.screening_parties import named_parties
from service.store.tables import Decision, Screening
from service.store.workflow_tables import AlertRow, ScreeningParty

HELD = ("review", "block")


class ScreeningFacet(SQLModel, table=True):
    """One rule, list or country of a queued screening, with its risk score: the queue of that value.

    The primary key is the queue of each value riskiest first, newest first within a score; newest first
    across scores merges the runs of each score (`queue_page`). A second index in id order would serve
    that directly, but every held screening adds about eight facet rows, each in a different value's part
    of every such index: with two of them the facets were over half the pages a commit of the audit trail
    wrote, and with one fewer the service answered 15-25% more screenings per second on SQLite."""

    __tablename__ = "screening_facets"
    __table_args__ = (Index("ix_screening_facets_screening_id", "screening_id"),)

    facet: str = Field(sa_column=Column(String(16), primary_key=True))  # rule, list or country
    value: str = Field(sa_column=Column(String(200), primary_key=True))
    risk_score: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    screening_id: str = Field(sa_column=Column(String(36), ForeignKey("screenings.id"), primary_key=True))


class QueuedScreening(SQLModel, table=True):
    """A held screening nobody has decided yet: what the queue shows and sorts by."""

    __tablename__ = "review_queue"
    __table_args__ = (
        Index("ix_review_queue_riskiest", "risk_score", "screening_id"),
        Index("ix_review_queue_verdict", "verdict", "risk_score", "screening_id"),
    )

    # UUIDv7 like the screening's: sorting by it is newest first
    screening_id: str = Field(sa_column=Column(String(36), ForeignKey("screenings.id"), primary_key=True))
    verdict: str = Field(sa_column=Column(String(8), nullable=False))
    risk_score: int = Field(sa_column=Column(Integer, nullable=False))
    screened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reference: str = Field(sa_column=Column(String(200), nullable=False))
    reference_key: str = Field(sa_column=Column(String(200), nullable=False, index=True))  # casefolded, for search


FACETS: Table = ScreeningFacet.__table__  # type: ignore[attr-defined]
QUEUE: Table = QueuedScreening.__table__  # type: ignore[attr-defined]
_APPEND_QUEUE, _APPEND_FACETS = Appender(QUEUE), Appender(FACETS)


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


_LAST_CHARACTER = "\U0010ffff"  # sorts after every character: key + it bounds the keys that start with key


def reference_key(reference: str) -> str:
    """How a reference is searched: in any case (casefolded), at most as long as the column."""
    return reference.casefold()[:200]


def queue_appendings(dialect: Dialect, screenings: Iterable[dict[str, Any]]) -> list[Appending]:
    """The queue rows of the held ones of screenings about to be recorded, then their facets, bound for
    `dialect` (appended in that order, in the transaction that records the screenings)."""
    queued, facets = queue_rows(screenings)
    bound = [_APPEND_QUEUE.bound(dialect, queued), _APPEND_FACETS.bound(dialect, facets)] if queued else []
    return [appending for appending in bound if appending is not None]


def queue_rows(screenings: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The queue rows of the held ones of screenings (their column values), and their facet rows."""
    held = [values for values in screenings if values["verdict"] in HELD]
    queued = [{"screening_id": values["id"], "verdict": values["verdict"], "risk_score": values["risk_score"],
               "screened_at": values["screened_at"], "reference": values["reference"],
               "reference_key": reference_key(values["reference"])} for values in held]
    facets = [{"screening_id": values["id"], "facet": facet, "value": value, "risk_score": values["risk_score"]}
              for values in held for facet, value in sorted(facets_of(values))]
    return queued, facets


def take_off_queue(session: Session, screening_id: str) -> None:
    """A decision was taken: the screening leaves the queue and its facets (in the decision's transaction)."""
    session.connection().execute(delete(QUEUE).where(QUEUE.c.screening_id == screening_id))
    session.connection().execute(delete(FACETS).where(FACETS.c.screening_id == screening_id))


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


def _facet_filters(where: QueueFilter) -> list[tuple[Facet, str]]:
    wanted = ((Facet.RULE, where.rule), (Facet.LIST, where.list_name), (Facet.COUNTRY, where.country))
    return [(facet, value) for facet, value in wanted if value]


def _narrowed(query: Any, where: QueueFilter, facets: list[tuple[Facet, str]]) -> Any:
    if where.verdict:
        query = query.where(QUEUE.c.verdict == where.verdict)
    for facet, value in facets:  # (a look-up in the facets' primary key per row: the whole key is known)
        other = FACETS.alias()  # (not the facets the page may be read from)
        query = query.where(sa_select(other.c.screening_id).where(
            other.c.facet == facet.value, other.c.value == value, other.c.risk_score == QUEUE.c.risk_score,
            other.c.screening_id == QUEUE.c.screening_id).exists())
    if where.since:
        query = query.where(QUEUE.c.screened_at >= where.since)
    if where.until:
        query = query.where(QUEUE.c.screened_at < where.until)
    if where.reference:
        key = reference_key(where.reference)  # a range of the index, then the exact prefix
        query = query.where(QUEUE.c.reference_key >= key, QUEUE.c.reference_key < key + _LAST_CHARACTER,
                            QUEUE.c.reference_key.startswith(key, autoescape=True))
    return query


def queue_page(session: Session, where: QueueFilter, order: Order, limit: int, after: Position | None,
               ) -> list[QueueRow]:
    """One page of the queue; `after` is the last row of the previous page (keyset pagination).

    With a rule, list or country filter the page is read from that value's facets, which hold the risk
    score and the id in the queue's risk order: the database walks only the rows of that value, so a page
    costs the same whether the value is rare or common. Newest first, it walks the value's rows of each
    risk score present and merges them: a held screening scores 40-85 in steps of 5 or 90-100, so at most
    21 runs (docs/performance.md, Review page, gives what that costs)."""
    facets = _facet_filters(where)
    columns = [QUEUE.c.screening_id, QUEUE.c.screened_at, QUEUE.c.reference, QUEUE.c.verdict, QUEUE.c.risk_score]
    if facets:
        (facet, value), others = facets[0], facets[1:]
        query = _narrowed(sa_select(*columns).select_from(FACETS.join(QUEUE, QUEUE.c.screening_id ==
                                                                      FACETS.c.screening_id))
                          .where(FACETS.c.facet == facet.value, FACETS.c.value == value), where, others)
        risk, row_id = FACETS.c.risk_score, FACETS.c.screening_id
    else:
        query, risk, row_id = _narrowed(sa_select(*columns), where, []), QUEUE.c.risk_score, QUEUE.c.screening_id
    if order is Order.RISK:
        if after is not None:
            query = query.where(or_(risk < after.risk_score, and_(risk == after.risk_score, row_id < after.id)))
        query = query.order_by(risk.desc(), row_id.desc())
    elif facets:
        scores = _scores_of(session, *facets[0])
        if not scores:
            return []
        alone = not (others or where.verdict or where.since or where.until or where.reference)
        query = (_newest_of_value(facets[0], scores, columns, after, limit) if alone
                 else _newest_merged(query, scores, after, limit))
    else:
        if after is not None:
            query = query.where(row_id < after.id)
        query = query.order_by(row_id.desc())
    return [QueueRow(*row) for row in session.connection().execute(query.limit(limit)).all()]


def _newest_merged(query: Any, scores: list[int], after: Position | None, limit: int) -> Any:
    """Newest first across the facet's score runs: each score's newest rows, a page at most, then the
    page of them all (`query` reads the facet's rows joined to the queue, narrowed by the other filters)."""
    if after is not None:
        query = query.where(FACETS.c.screening_id < after.id)
    merged = _runs_together([query.where(FACETS.c.risk_score == score) for score in scores], limit)
    return sa_select(merged).order_by(merged.c.screening_id.desc())


def _newest_of_value(facet: tuple[Facet, str], scores: list[int], columns: list[Any], after: Position | None,
                     limit: int) -> Any:
    """Newest first within one facet value and no other filter: the page's ids from the primary key
    alone, then their queue rows (a join per line of the page, not per row of every score's run)."""
    (kind, value), newer = facet, [FACETS.c.screening_id < after.id] if after is not None else []
    ids = _runs_together([sa_select(FACETS.c.screening_id).where(
        FACETS.c.facet == kind.value, FACETS.c.value == value, FACETS.c.risk_score == score, *newer)
        for score in scores], limit)
    page = sa_select(ids.c.screening_id).order_by(ids.c.screening_id.desc()).limit(limit)
    return sa_select(*columns).where(QUEUE.c.screening_id.in_(page)).order_by(QUEUE.c.screening_id.desc())


def _runs_together(runs: list[Any], limit: int) -> Any:
    """Each score's run newest first, a page of it at most, all in one subquery (to order and cut)."""
    return union_all(*[sa_select(run.order_by(FACETS.c.screening_id.desc()).limit(limit).subquery())
                       for run in runs]).subquery()


_SCORES = text(
    "WITH RECURSIVE scores(score) AS ("
    " SELECT max(risk_score) FROM screening_facets WHERE facet = :facet AND value = :value"
    " UNION ALL"
    " SELECT (SELECT max(risk_score) FROM screening_facets"
    "         WHERE facet = :facet AND value = :value AND risk_score < scores.score)"
    " FROM scores WHERE scores.score IS NOT NULL)"
    " SELECT score FROM scores WHERE score IS NOT NULL")


def _scores_of(session: Session, facet: Facet, value: str) -> list[int]:
    """The risk scores of a value's queued screenings, highest first: one seek in the primary key per
    score (a loose index scan), not a read of the value's rows."""
    found = session.connection().execute(_SCORES, {"facet": facet.value, "value": value})
    return [int(score) for (score,) in found]


@dataclass(frozen=True)
class QueueCounts:
    """How much is waiting: undecided reviews and blocks, and open alerts."""

    review: int
    block: int
    open_alerts: int


def queue_counts(session: Session) -> QueueCounts:
    """The counts at the top of the queue (not narrowed by its filters)."""
    query = sa_select(QUEUE.c.verdict, func.count()).group_by(QUEUE.c.verdict)
    counts = {str(verdict): int(count) for verdict, count in session.connection().execute(query).all()}
    alerts = session.exec(select(func.count()).select_from(AlertRow).where(col(AlertRow.status) == "open")).one()
    return QueueCounts(review=counts.get("review", 0), block=counts.get("block", 0), open_alerts=int(alerts))


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


