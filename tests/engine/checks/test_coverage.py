"""Coverage findings: a verdict says when no official list was loaded (info) or a list is out of date (review)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.engine.checks.coverage import LIST_OUT_OF_DATE, NO_OFFICIAL_LIST, ListAge, coverage_findings
from service.engine.rulebook import Rulebook
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import Action
from tests.engine.conftest import EmptyList, declaration

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CURATED = ListAge(name="tw-curated", entries=4, official=False, imported_at=None, max_age=None)


def ofac(days_old: float) -> ListAge:
    return ListAge(name="ofac-sdn", entries=8976, official=True, imported_at=NOW - timedelta(days=days_old),
                   max_age=timedelta(days=7))


def context(rulebook: Rulebook, *lists: ListAge) -> ScreeningContext:
    return ScreeningContext(rulebook=rulebook, parties=EmptyList(), lists=lists, clock=lambda: NOW,
                            retrospective=True)  # the declarations are dated: judged as of then


def test_curated_only_says_so_without_changing_the_verdict(rulebook: Rulebook) -> None:
    verdict = screen(declaration(), context(rulebook, CURATED))
    assert verdict.verdict.value == "clear"
    assert [(f.rule_id, f.action) for f in verdict.findings] == [(NO_OFFICIAL_LIST, Action.INFO)]
    assert "tw-curated (4 entries)" in verdict.findings[0].message


def test_curated_only_does_not_hide_a_real_result(rulebook: Rulebook) -> None:
    verdict = screen(declaration(destination_country="RU", consignee={"name": "OOO Stanko", "country": "RU"},
                                 items=[{"hs_code": "854231"}]), context(rulebook, CURATED))
    assert verdict.verdict.value == "block"
    assert verdict.findings[-1].rule_id == NO_OFFICIAL_LIST


@pytest.mark.parametrize(("days_old", "expected"), [
    (1, []), (6.9, []), (7.5, [LIST_OUT_OF_DATE]), (40, [LIST_OUT_OF_DATE]),
])
def test_a_list_older_than_its_interval_is_review(rulebook: Rulebook, days_old: float, expected: list[str]) -> None:
    verdict = screen(declaration(), context(rulebook, CURATED, ofac(days_old)))
    assert [f.rule_id for f in verdict.findings] == expected
    assert verdict.verdict.value == ("review" if expected else "clear")


def test_the_out_of_date_finding_names_the_list_and_its_age() -> None:
    [finding] = coverage_findings((ofac(10),), NOW)
    assert "ofac-sdn list is 10 days old" in finding.message and "update interval of 7 days" in finding.message
    assert finding.evidence["max_age_days"] == 7 and finding.evidence["age_days"] == 10


def test_no_list_information_means_no_finding() -> None:
    assert coverage_findings(None, NOW) == []


def test_no_list_at_all_is_said() -> None:
    [finding] = coverage_findings((), NOW)
    assert finding.rule_id == NO_OFFICIAL_LIST and "only against: none" in finding.message
