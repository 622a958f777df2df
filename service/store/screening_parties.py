"""The named parties of every recorded screening, in a narrow table a list change can search quickly.

Written in the same INSERT transaction as the screenings themselves; read by the re-screening after a
list change, which needs the parties of shipments still to leave without parsing a million declarations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from service.store.workflow_tables import SCREENING_PARTIES


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


def add_screening_parties(session: Session, screenings: list[dict[str, Any]]) -> None:
    """Append the parties of screenings being recorded (in the caller's transaction)."""
    rows = party_rows(screenings)
    if rows:
        session.connection().execute(insert(SCREENING_PARTIES), rows)
