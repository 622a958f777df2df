"""The named parties of every recorded screening, in a narrow table a list change can search quickly.

Written in the same INSERT transaction as the screenings themselves; read by the re-screening after a
list change, which needs the parties of shipments still to leave without parsing a million declarations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import or_, union
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, select

from service.store.appending import Appender, Appending
from service.store.tables import Decision, Screening
from service.store.workflow_tables import SCREENING_PARTIES, ScreeningParty

HELD = ("review", "block")
_APPEND = Appender(SCREENING_PARTIES)


def named_parties(declaration: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The named parties of a stored declaration with their roles, in Declaration.named_parties order."""
    named: list[tuple[str, Any]] = [("consignee", declaration.get("consignee")),
                                    ("end_user", declaration.get("end_user"))]
    named.extend((str(party.get("role", "party")), party) for party in declaration.get("parties") or [])
    named.append(("exporter", declaration.get("exporter")))
    return [(role, party) for role, party in named if isinstance(party, dict) and party.get("name")]


def party_rows(screenings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per named party of each screening (given as its column values)."""
    rows = []
    for values in screenings:
        export_date = values["as_of"]
        if not isinstance(export_date, date):
            export_date = date.fromisoformat(str(export_date))
        for role, party in named_parties(values["declaration"]):
            rows.append({"screening_id": values["id"], "reference": values["reference"], "role": role,
                         "name": str(party["name"]), "country": party.get("country"), "export_date": export_date})
    return rows


def party_appending(dialect: Dialect, screenings: list[dict[str, Any]]) -> Appending | None:
    """The parties of screenings about to be recorded, bound for `dialect` (None: no named party)."""
    return _APPEND.bound(dialect, party_rows(screenings))


def _held_undecided() -> Any:
    """Ids of `review`/`block` screenings nobody has decided yet."""
    decided = select(Decision.id).where(Decision.screening_id == Screening.id).exists()
    return select(Screening.id).where(col(Screening.verdict).in_(HELD)).where(~decided)


def _watched(today: date) -> Any:
    """Screened parties whose shipment may still leave: export date today or later, or held and undecided."""
    return or_(col(ScreeningParty.export_date) >= today, col(ScreeningParty.screening_id).in_(_held_undecided()))


def watched_parties(session: Session, today: date) -> list[tuple[str, str | None]]:
    """Each distinct (name, country) of the shipments still to leave (see `_watched`)."""
    leaving = select(ScreeningParty.name, ScreeningParty.country).where(col(ScreeningParty.export_date) >= today)
    held = (select(ScreeningParty.name, ScreeningParty.country)
            .where(col(ScreeningParty.screening_id).in_(_held_undecided())))
    return [(str(name), country) for name, country in session.exec(union(leaving, held)).all()]  # type: ignore[call-overload]


def watched_rows(session: Session, names: list[str], today: date) -> list[ScreeningParty]:
    """The screened parties with these names on shipments still to leave."""
    rows: list[ScreeningParty] = []
    for start in range(0, len(names), 500):
        query = (select(ScreeningParty).where(col(ScreeningParty.name).in_(names[start:start + 500]))
                 .where(_watched(today)))
        rows.extend(session.exec(query).all())
    return rows


def leaving_screenings(session: Session, today: date, limit: int, after: str | None) -> list[Screening]:
    """Screenings whose export date is today or later, in id order (for a rules change)."""
    query = select(Screening).where(col(Screening.as_of) >= today).where(col(Screening.retrospective).is_(False))
    if after is not None:
        query = query.where(col(Screening.id) > after)
    return list(session.exec(query.order_by(col(Screening.id)).limit(limit)).all())
