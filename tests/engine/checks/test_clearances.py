"""Standing decisions as data: party keys, entry digests, clearances that cover exactly one unchanged entry,
and the own deny list."""

from __future__ import annotations

from datetime import date

import pytest

from service.engine.checks.clearances import (
    DeniedParty,
    PartyClearance,
    apply_clearances,
    entry_digest,
    own_list_findings,
    party_key,
    standing_of,
)
from service.engine.declaration import Declaration
from service.engine.parties.entry import ListEntry
from service.engine.verdict import Action, Category, Finding

ENTRY = ListEntry(id="E-1", source_list="test-sdn", name="Acme Trading Co", aliases=["Acme"], countries=["RU"],
                  addresses=["Moscow"], programs=["RUSSIA-EO14024"])


def _declaration(name: str = "Acme Trading Co", country: str = "AE") -> Declaration:
    return Declaration.model_validate({
        "reference": "SO-1", "export_date": "2024-06-01", "destination_country": country,
        "consignee": {"name": name, "country": country},
        "items": [{"hs_code": "9403.60", "description": "tables", "quantity": 1, "unit_value": 1, "currency": "USD"}],
    })


def _hit(entry_hash: str, action: Action = Action.BLOCK) -> Finding:
    return Finding(rule_id="DENIED-PARTY-TEST-SDN", category=Category.DENIED_PARTY, action=action, message="m",
                   legal_basis="b", source="s", party_role="consignee",
                   evidence={"list": "test-sdn", "entry_id": "E-1", "entry_hash": entry_hash})


def _clearance(**changes: object) -> PartyClearance:
    fields: dict[str, object] = {"decision_id": 7, "decided_on": date(2026, 12, 1), "reviewer": "k1",
                                 "name_key": "acme trading co", "country": "AE", "list_name": "test-sdn",
                                 "entry_id": "E-1", "entry_hash": entry_digest(ENTRY)}
    return PartyClearance(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "key"), [
    ("Acme Trading Co.", "acme trading co"), ("ACME  TRADING, CO", "acme trading co"),
    ("Ａｃｍｅ Trading Co", "acme trading co"), ("台灣精密 股份有限公司", "台灣精密 股份有限公司"),
])
def test_party_key_ignores_case_width_punctuation_and_spacing(name: str, key: str) -> None:
    assert party_key(name) == key


@pytest.mark.parametrize("change", [{"name": "Acme Trading"}, {"aliases": ["Acme", "AT Co"]},
                                    {"addresses": ["Minsk"]}, {"programs": ["SDGT"]}, {"countries": ["BY"]}])
def test_the_digest_changes_with_what_a_reviewer_judged(change: dict[str, object]) -> None:
    assert entry_digest(ENTRY.model_copy(update=change)) != entry_digest(ENTRY)


def test_the_digest_ignores_order_and_remarks() -> None:
    same = ENTRY.model_copy(update={"aliases": ["Acme"], "remarks": "new remark"})
    assert entry_digest(same) == entry_digest(ENTRY)


@pytest.mark.parametrize(("clearance", "name", "country", "cleared"), [
    (_clearance(), "Acme Trading Co", "AE", True),
    (_clearance(), "acme trading co.", "AE", True),
    (_clearance(), "Acme Trading Co", "HK", False),
    (_clearance(), "Acme Trading Company", "AE", False),
    (_clearance(entry_hash="sha256:older"), "Acme Trading Co", "AE", False),
    (_clearance(entry_id="E-2"), "Acme Trading Co", "AE", False),
])
def test_a_clearance_covers_one_party_and_one_unchanged_entry(clearance: PartyClearance, name: str, country: str,
                                                              cleared: bool) -> None:
    [finding] = apply_clearances([_hit(entry_digest(ENTRY))], _declaration(name, country),
                                 standing_of([clearance], []))
    assert (finding.action is Action.INFO) is cleared
    if cleared:
        assert finding.evidence["cleared_by"] == 7 and finding.message.startswith("Cleared by decision 7 of 2026-12-01")


def test_a_finding_without_a_digest_is_never_cleared() -> None:
    finding = _hit("").model_copy(update={"evidence": {"list": "test-sdn", "entry_id": "E-1"}})
    [kept] = apply_clearances([finding], _declaration(), standing_of([_clearance()], []))
    assert kept.action is Action.BLOCK


@pytest.mark.parametrize(("listed_country", "country", "blocked"), [
    ("AE", "AE", True), (None, "HK", True), ("AE", "HK", False),
])
def test_the_own_deny_list_blocks_by_name_and_country(listed_country: str | None, country: str,
                                                      blocked: bool) -> None:
    denied = DeniedParty(id=3, name="Acme Trading Co", name_key="acme trading co", country=listed_country,
                         decision_id=9)
    findings = own_list_findings(_declaration("ACME Trading Co.", country), standing_of([], [denied]))
    assert [f.action for f in findings] == ([Action.BLOCK] if blocked else [])
