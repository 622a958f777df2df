"""Party findings: a curated listing applies from its date; before it, the hit is shown as info."""

from __future__ import annotations

from datetime import date

import pytest

from service.engine.checks.parties import PartyHit
from service.engine.rulebook import Rulebook
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import Action, ListStamp
from tests.engine.conftest import declaration

LISTED = {("tw-curated", "tw-el-2025-huawei"): date(2025, 6, 10)}


class HuaweiList:
    """A screener whose only entry is Huawei on the curated list (a review hit, as the matcher gives it)."""

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        if name != "Huawei":
            return []
        return [PartyHit(list_name="tw-curated", entry_id="tw-el-2025-huawei", listed_name="Huawei",
                         matched_name="Huawei", score=85.0, action=Action.REVIEW, explanation="one-word name")]

    def stamps(self) -> list[ListStamp]:
        return [ListStamp(name="tw-curated", version="sha256:test", entries=1)]


def verdict_on(
    rulebook: Rulebook, export_date: str, listed_from: dict[tuple[str, str], date]
) -> tuple[str, dict[str, object]]:
    context = ScreeningContext(rulebook=rulebook, parties=HuaweiList(), listed_from=listed_from, retrospective=True)
    verdict = screen(declaration(export_date=export_date, consignee={"name": "Huawei", "country": "DE"}), context)
    [finding] = [f for f in verdict.findings if f.party_role == "consignee"]
    return verdict.verdict.value, {"action": finding.action.value, "message": finding.message, **finding.evidence}


@pytest.mark.parametrize(("export_date", "outcome", "action"), [
    ("2025-06-09", "clear", "info"), ("2025-06-10", "review", "review"), ("2026-01-05", "review", "review"),
])
def test_a_listing_applies_from_its_date(rulebook: Rulebook, export_date: str, outcome: str, action: str) -> None:
    verdict, finding = verdict_on(rulebook, export_date, LISTED)
    assert (verdict, finding["action"]) == (outcome, action)


def test_a_hit_before_the_listing_says_why_it_does_not_apply(rulebook: Rulebook) -> None:
    _, finding = verdict_on(rulebook, "2025-01-15", LISTED)
    assert "applies from 2025-06-10, after the export date 2025-01-15" in finding["message"]
    assert finding["listed_from"] == "2025-06-10" and finding["hit_action"] == "review"


def test_an_entry_without_a_date_applies_at_all_dates(rulebook: Rulebook) -> None:
    verdict, finding = verdict_on(rulebook, "2001-01-01", {})
    assert (verdict, finding["action"]) == ("review", "review")
