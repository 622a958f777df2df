"""Batch fixtures: the bundled rulebook with a tiny denied-party list, and a CSV writer for test files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from service.engine.checks.parties import PartyHit
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import Action, ListStamp

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
SCREENING_DATE = date(2024, 7, 1)  # the export date of the test rows: screened on the day the goods leave
HEADER = (
    "reference", "export_date", "consignee_name", "consignee_country", "destination_country",
    "transit_countries", "hs_code", "eccn", "description", "quantity", "unit_value", "currency",
)


class TinyList:
    """A denied-party screener that knows one name (`Vector Denied LLC`) and counts its lookups."""

    def __init__(self) -> None:
        self.calls = 0

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        self.calls += 1
        if "vector denied" not in name.casefold():
            return []
        return [PartyHit(list_name="tiny", entry_id="T-1", listed_name="Vector Denied LLC",
                         matched_name="Vector Denied LLC", score=100.0, action=Action.BLOCK,
                         explanation="exact name")]

    def stamps(self) -> list[ListStamp]:
        return [ListStamp(name="tiny", version="sha256:1", entries=1)]


@pytest.fixture(scope="session")
def context() -> ScreeningContext:
    return ScreeningContext(rulebook=load_rulebook(RULES_DIR), parties=TinyList(), screening_day=lambda: SCREENING_DATE)


def row(reference: str, hs_code: str = "940360", *, consignee: str = "Kessler GmbH", country: str = "DE",
        destination: str | None = None, eccn: str = "", transit: str = "", description: str = "chairs") -> list[str]:
    """A data row of the default test header."""
    return [reference, "2024-07-01", consignee, country, destination or country, transit, hs_code, eccn,
            description, "1", "10", "USD"]


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER, *,
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """Write header and rows as CSV in the given encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_output(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    """The result CSV as dicts (BOM stripped); written with the input's delimiter."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=delimiter))
