"""A past export date: a review unless the screening is an audit of a past shipment (retrospective)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from service.engine.checks.dates import EXPORT_DATE_PAST
from service.engine.screen import ScreeningContext, screen
from tests.engine.conftest import declaration

TODAY = date(2026, 12, 4)
MACHINING_CENTRE_TO_RU = {"consignee": {"name": "OOO Stanko", "country": "RU"}, "destination_country": "RU",
                          "end_user": None, "items": [{"hs_code": "845710"}]}


def clocked(context: ScreeningContext, retrospective: bool = False, past_days: int = 30) -> ScreeningContext:
    return dataclasses.replace(context, screening_day=lambda: TODAY, retrospective=retrospective, past_days=past_days)


@pytest.mark.parametrize(("export_date", "flagged"), [
    ("2026-11-04", False), ("2026-11-03", True), ("2026-12-04", False), ("2027-03-01", False), ("2021-01-04", True),
])
def test_more_than_30_days_back_is_a_review(context: ScreeningContext, export_date: str, flagged: bool) -> None:
    verdict = screen(declaration(export_date=export_date), clocked(context))
    found = [f for f in verdict.findings if f.rule_id == EXPORT_DATE_PAST]
    assert bool(found) is flagged
    if flagged:
        assert found[0].action.value == "review" and verdict.verdict.value == "review"
        assert "rules applied as of then; a shipment leaving now is screened as of today" in found[0].message
        assert found[0].evidence["screening_date"] == "2026-12-04"


def test_the_allowed_days_are_a_setting(context: ScreeningContext) -> None:
    verdict = screen(declaration(export_date="2026-11-20"), clocked(context, past_days=7))
    assert [f.rule_id for f in verdict.findings] == [EXPORT_DATE_PAST]


def test_backdated_machining_centre_to_russia_is_never_clear(context: ScreeningContext) -> None:
    current = screen(declaration(export_date="2021-01-04", **MACHINING_CENTRE_TO_RU), clocked(context))
    assert current.verdict.value == "review"
    assert current.rulebook.as_of == date(2021, 1, 4) and current.rulebook.screened_on == TODAY
    [backdated] = current.findings
    assert backdated.evidence["as_of_today"] == {"verdict": "block", "rules": ["TW-RUBY-CHPL"]}
    assert "as of today the rules say block (TW-RUBY-CHPL)" in backdated.message
    assert current.rulebook.retrospective is False


def test_retrospective_applies_the_rules_of_then_without_the_finding(context: ScreeningContext) -> None:
    audit = screen(declaration(export_date="2021-01-04", **MACHINING_CENTRE_TO_RU), clocked(context, True))
    assert audit.verdict.value == "clear"  # Russia became a control region on 2022-03-01
    assert audit.rulebook.retrospective is True
    later = screen(declaration(export_date="2024-07-01", **MACHINING_CENTRE_TO_RU), clocked(context, True))
    assert later.verdict.value == "block" and EXPORT_DATE_PAST not in {f.rule_id for f in later.findings}


def test_the_clock_defaults_to_today_in_taipei(context: ScreeningContext) -> None:
    from service.engine.declaration import today_in_taipei

    live = dataclasses.replace(context, retrospective=False, screening_day=None)
    assert live.today() == today_in_taipei()
    assert screen(declaration(export_date=today_in_taipei().isoformat()), live).verdict.value == "clear"
