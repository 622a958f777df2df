"""screen(): determinism, ordering, risk score bands, and fail-closed party screening."""

from __future__ import annotations

from service.engine.rulebook import Rulebook
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import Action, Category, Finding, outcome_of, risk_score
from tests.engine.conftest import declaration

RISKY = {
    "consignee": {"name": "Bosphorus Logistics", "country": "TR"},
    "end_user": {"name": "OOO Stanko", "country": "RU"},
    "destination_country": "TR", "transit_countries": ["GE"], "end_use": "military",
    "items": [{"hs_code": "854231"}, {"hs_code": "846012"}, {"hs_code": "845710", "unit_value": "5000000"}],
}


def test_same_input_same_output(context: ScreeningContext) -> None:
    first = screen(declaration(**RISKY), context).model_dump_json()
    assert all(screen(declaration(**RISKY), context).model_dump_json() == first for _ in range(3))


def test_most_severe_first_and_stamped(context: ScreeningContext, rulebook: Rulebook) -> None:
    verdict = screen(declaration(**RISKY), context)
    severities = [f.action for f in verdict.findings]
    assert severities == sorted(severities, key=[Action.BLOCK, Action.REVIEW, Action.INFO].index)
    assert verdict.verdict.value == "block" and verdict.risk_score >= 90
    assert verdict.rulebook.version == rulebook.version
    assert str(verdict.rulebook.as_of) == "2024-07-01"
    assert [s.name for s in verdict.lists] == ["empty"]


def test_every_finding_explains_itself(context: ScreeningContext) -> None:
    for finding in screen(declaration(**RISKY), context).findings:
        assert finding.rule_id and finding.message.endswith(".") and finding.legal_basis and finding.source


def test_no_party_screener_is_never_clear(rulebook: Rulebook) -> None:
    verdict = screen(declaration(), ScreeningContext(rulebook=rulebook, parties=None, retrospective=True))
    assert verdict.verdict.value == "review"
    assert [(f.rule_id, f.category) for f in verdict.findings] == [
        ("PARTIES-NOT-SCREENED", Category.INCOMPLETE_DATA)]


def _finding(action: Action) -> Finding:
    return Finding(rule_id="X", category=Category.RED_FLAG, action=action, message="m.", legal_basis="b", source="s")


def test_risk_bands_never_contradict_the_verdict() -> None:
    for blocks in range(4):
        for reviews in range(12):
            for infos in range(4):
                findings = ([_finding(Action.BLOCK)] * blocks + [_finding(Action.REVIEW)] * reviews
                            + [_finding(Action.INFO)] * infos)
                score, outcome = risk_score(findings), outcome_of(findings).value
                band = {"block": range(90, 101), "review": range(40, 86), "clear": range(31)}[outcome]
                assert score in band, (blocks, reviews, infos, score)
