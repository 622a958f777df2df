"""Engine fixtures: the bundled rulebook and a declaration builder with neutral defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.engine.checks.parties import PartyHit
from service.engine.declaration import Declaration
from service.engine.rulebook import Rulebook, load_rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import ListStamp

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

# Furniture: on no Taiwan list, so a declaration built from the defaults is clear.
NEUTRAL_HS = "940360"


class EmptyList:
    """A denied-party screener over an empty list: every name is screened, nothing matches."""

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        return []

    def stamps(self) -> list[ListStamp]:
        return [ListStamp(name="empty", version="sha256:0", entries=0)]


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook(RULES_DIR)


@pytest.fixture(scope="session")
def context(rulebook: Rulebook) -> ScreeningContext:
    """Dated cases, screened as audits of past shipments (rules as of each export date)."""
    return ScreeningContext(rulebook=rulebook, parties=EmptyList(), retrospective=True)


def declaration(**overrides: Any) -> Declaration:
    """A declaration to Germany of neutral goods, with the given fields replaced."""
    data: dict[str, Any] = {
        "reference": "SO-1",
        "export_date": "2024-07-01",
        "exporter": {"name": "Formosa Precision Co., Ltd.", "country": "TW"},
        "consignee": {"name": "Kessler Maschinenbau GmbH", "country": "DE"},
        "end_user": {"name": "Kessler Maschinenbau GmbH", "country": "DE"},
        "destination_country": "DE",
        "items": [{"hs_code": NEUTRAL_HS, "description": "office chairs"}],
    }
    data.update(overrides)
    return Declaration.model_validate(data)
