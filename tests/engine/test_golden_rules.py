"""Golden cases for every Taiwan rule: before and after each effective date, each country, prefix and
coarse codes, the transshipment hubs and the red flags.

Each case pins the verdict and the exact set of (rule id, action) findings, so a change in any rule's
reach shows up here.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.engine.screen import ScreeningContext, screen
from tests.engine.conftest import declaration

RU = {"name": "OOO Tekhnopark", "country": "RU"}
BY = {"name": "OAO Minsk Tools", "country": "BY"}
DE = {"name": "Kessler Maschinenbau GmbH", "country": "DE"}
TR = {"name": "Anadolu Makine A.Ş.", "country": "TR"}
CN = {"name": "Shenzhen Bright Electronics Co., Ltd.", "country": "CN"}


def to(party: dict[str, str], **more: Any) -> dict[str, Any]:
    """Consignee, end user and destination all in the party's country."""
    return {"consignee": party, "end_user": party, "destination_country": party["country"], **more}


def items(*codes: str, eccn: str | None = None, **fields: Any) -> list[dict[str, Any]]:
    return [{"hs_code": code, "eccn": eccn, **fields} for code in codes]


CASES: list[tuple[str, dict[str, Any], str, set[tuple[str, str]]]] = [
    # Rule 1: multilateral-regime control numbers; RU from 2022-03-01, BY from 2022-05-06.
    # Before the control region an SHTC item still needs a permit (Art. 13, any destination).
    ("region-ru-before", to(RU, export_date="2022-02-28", items=items("854239", eccn="3A001")), "review",
     {("TW-SHTC-PERMIT", "review")}),
    ("region-ru-on", to(RU, export_date="2022-03-01", items=items("854239", eccn="3A001")), "block",
     {("TW-RUBY-REGION", "block")}),
    ("region-ru-subparagraph", to(RU, export_date="2023-05-01", items=items("901380", eccn="6a003.b.4")), "block",
     {("TW-RUBY-REGION", "block")}),
    ("region-by-before", to(BY, export_date="2022-05-05", items=items("880730", eccn="7A003")), "review",
     {("TW-SHTC-PERMIT", "review")}),
    ("region-by-on", to(BY, export_date="2022-05-06", items=items("880730", eccn="7A003")), "block",
     {("TW-RUBY-REGION-BY", "block")}),
    ("region-1c101", to(RU, export_date="2022-03-02", items=items("940360", eccn="1C101")), "block",
     {("TW-RUBY-REGION", "block")}),
    ("region-not-to-de", to(DE, export_date="2024-07-01", items=items("940360", eccn="3A001")), "review",
     {("TW-SHTC-PERMIT", "review")}),
    # Rule 2: the 57-item list, x9xx of categories 3-9; RU 2022-04-06, BY 2022-05-06.
    ("list57-ru-before", to(RU, export_date="2022-04-05", items=items("940360", eccn="5A992")), "clear",
     {("TW-RUBY-DESTINATION", "info")}),
    ("list57-ru-on", to(RU, export_date="2022-04-06", items=items("940360", eccn="5A992")), "block",
     {("TW-RUBY-LIST-57", "block")}),
    ("list57-4a994", to(RU, export_date="2022-06-01", items=items("940360", eccn="4A994")), "block",
     {("TW-RUBY-LIST-57", "block")}),
    ("list57-by-before", to(BY, export_date="2022-05-05", items=items("940360", eccn="3A991")), "clear", set()),
    ("list57-by-on", to(BY, export_date="2022-05-06", items=items("940360", eccn="3A991")), "block",
     {("TW-RUBY-LIST-57", "block")}),
    ("list57-categories-0-2-not-yet", to(RU, export_date="2022-12-31", items=items("940360", eccn="1C991")),
     "clear", {("TW-RUBY-DESTINATION", "info")}),
    # Rule 3: categories 0-2 from 2023-01-04 for both countries.
    ("list02-ru-on", to(RU, export_date="2023-01-04", items=items("940360", eccn="1C991")), "block",
     {("TW-RUBY-LIST-0-2", "block")}),
    ("list02-by-2b991", to(BY, export_date="2023-01-04", items=items("940360", eccn="2B991")), "block",
     {("TW-RUBY-LIST-0-2", "block")}),
    ("list02-by-before", to(BY, export_date="2023-01-03", items=items("940360", eccn="2B991")), "clear",
     {("TW-RUBY-DESTINATION", "info")}),
    ("ear99-declared", to(RU, export_date="2024-07-01", items=items("940360", eccn="EAR99")), "clear",
     {("TW-RUBY-DESTINATION", "info")}),
    # Rule 4: CHPL HS codes from 2024-01-25, by prefix.
    ("chpl-ru-on", to(RU, export_date="2024-01-25", items=items("854231")), "block", {("TW-RUBY-CHPL", "block")}),
    ("chpl-ccc-11-digits", to(RU, export_date="2024-02-01", items=items("8542.31.00.00-1")), "block",
     {("TW-RUBY-CHPL", "block")}),
    ("chpl-by-bearings", to(BY, export_date="2024-07-01", items=items("848210")), "block",
     {("TW-RUBY-CHPL", "block")}),
    ("chpl-secondary-code", to(RU, export_date="2024-07-01", items=items("9030.20.00")), "block",
     {("TW-RUBY-CHPL", "block")}),
    ("chpl-not-listed-neighbour", to(RU, export_date="2024-07-01", items=items("854290")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("chpl-not-listed-neighbour-ear99", to(RU, export_date="2024-07-01", items=items("854290", eccn="EAR99")),
     "clear", {("TW-RUBY-CLASSIFY", "info"), ("TW-RUBY-DESTINATION", "info")}),
    # Rule 8: a code coarser than a listed code cannot rule it out.
    ("chpl-coarse-heading", to(RU, export_date="2024-07-01", items=items("8542")), "review",
     {("TW-RUBY-CHPL", "review")}),
    ("chpl-coarse-to-de", to(DE, items=items("8542")), "clear", set()),
    # Rule 7: CHPL code without a control number between 2022-04-06 and 2024-01-24.
    ("no-eccn-before-list", to(RU, export_date="2022-04-05", items=items("854231")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("no-eccn-ru", to(RU, export_date="2022-04-06", items=items("854231")), "review",
     {("TW-RUBY-CHPL-NO-ECCN", "review")}),
    ("no-eccn-ru-last-day", to(RU, export_date="2024-01-24", items=items("848220")), "review",
     {("TW-RUBY-CHPL-NO-ECCN", "review")}),
    ("no-eccn-by-before", to(BY, export_date="2022-05-05", items=items("854231")), "clear", set()),
    ("no-eccn-by-on", to(BY, export_date="2022-05-06", items=items("854231")), "review",
     {("TW-RUBY-CHPL-NO-ECCN", "review")}),
    ("no-eccn-but-ear99", to(RU, export_date="2023-06-01", items=items("854231", eccn="EAR99")), "clear",
     {("TW-RUBY-CLASSIFY", "info"), ("TW-RUBY-DESTINATION", "info")}),
    # Rule 5: machine tools from 2024-03-08: CHPL codes stay block, other 8456-8466 codes review.
    ("tools-before", to(RU, export_date="2024-03-07", items=items("846012")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("tools-before-nlr", to(RU, export_date="2024-03-07", items=items("846012", eccn="NLR")), "clear",
     {("TW-RUBY-CLASSIFY", "info"), ("TW-RUBY-DESTINATION", "info")}),
    ("tools-on", to(RU, export_date="2024-03-08", items=items("846012")), "review",
     {("TW-RUBY-MACHINE-TOOLS", "review")}),
    ("tools-chpl-stays-block", to(BY, export_date="2024-03-08", items=items("845710")), "block",
     {("TW-RUBY-CHPL", "block")}),
    ("tools-chpl-lathe-ccc", to(RU, export_date="2024-05-01", items=items("84581100002")), "block",
     {("TW-RUBY-CHPL", "block")}),
    ("tools-edm-heading", to(RU, export_date="2024-05-01", items=items("8456")), "review",
     {("TW-RUBY-MACHINE-TOOLS", "review")}),
    # Rule 6: nitrocellulose from 2024-06-14.
    ("nitro-before", to(RU, export_date="2024-06-13", items=items("391220")), "clear",
     {("TW-RUBY-DESTINATION", "info")}),
    ("nitro-on", to(RU, export_date="2024-06-14", items=items("3912.20.00")), "block",
     {("TW-RUBY-NITROCELLULOSE", "block")}),
    ("nitro-by", to(BY, export_date="2024-06-14", items=items("391220")), "block",
     {("TW-RUBY-NITROCELLULOSE", "block")}),
    # "Going to" Russia/Belarus: destination, consignee, end user or any listed party.
    ("consignee-in-ru", {"consignee": RU, "end_user": RU, "destination_country": "KZ",
                         "items": items("854231")}, "block",
     {("TW-RUBY-CHPL", "block"), ("TW-HUB-ROUTE", "block"), ("RF-CONSIGNEE-COUNTRY", "review")}),
    ("party-in-by", to(DE, parties=[{"role": "notify_party", **BY}], items=items("391220")), "block",
     {("TW-RUBY-NITROCELLULOSE", "block")}),
    # Rule 9: uncontrolled goods to Russia are clear, with a notice.
    ("ru-uncontrolled", to(RU, items=items("940360")), "clear", {("TW-RUBY-DESTINATION", "info")}),
    # Rule 10: hubs and transit.
    ("hub-tr-affidavit", to(TR, export_date="2024-03-01", items=items("854231")), "review",
     {("TW-HUB-ROUTE", "review")}),
    # Before the HS tranche a CHPL code without a control number may still be ECCN-listed: review at a hub.
    ("hub-tr-before-chpl", to(TR, export_date="2024-01-24", items=items("854231")), "review",
     {("TW-HUB-ROUTE", "review")}),
    ("hub-tr-before-chpl-ear99", to(TR, export_date="2024-01-24", items=items("854231", eccn="EAR99")), "clear",
     set()),
    ("hub-tr-eccn", to(TR, export_date="2022-06-01", items=items("940360", eccn="3A001")), "review",
     {("TW-HUB-ROUTE", "review"), ("TW-SHTC-PERMIT", "review")}),
    ("hub-cn-machine-tool", to(CN, items=items("846012")), "review", {("TW-HUB-ROUTE", "review")}),
    ("hub-uncontrolled", to(TR, items=items("940360")), "clear", set()),
    ("hub-end-user-ru", {"consignee": TR, "end_user": RU, "destination_country": "TR",
                         "items": items("854231")}, "block",
     {("TW-RUBY-CHPL", "block"), ("TW-HUB-ROUTE", "block")}),
    ("hub-in-transit", to(DE, transit_countries=["Türkiye"], items=items("854231")), "review",
     {("TW-HUB-ROUTE", "review")}),
    ("transit-ru-uncontrolled", to(DE, transit_countries=["RU"], items=items("940360")), "review",
     {("TW-TRANSIT-RUBY", "review")}),
    ("transit-by-controlled", to(DE, transit_countries=["Belarus"], items=items("854231")), "review",
     {("TW-TRANSIT-RUBY", "review")}),
    ("hub-tm-affidavit", to({"name": "Ashgabat Tehnika", "country": "TM"}, export_date="2024-03-01",
                            items=items("854231")), "review", {("TW-HUB-ROUTE", "review")}),
    ("hub-turkmenistan-named", to({"name": "Ashgabat Tehnika", "country": "Turkmenistan"}, items=items("940360")),
     "clear", set()),
    # Rule 11: red flags.
    ("flag-forwarder", to({"name": "Bosphorus Global Logistics Ltd. Şti.", "country": "TR"},
                          items=items("854231")), "review",
     {("TW-HUB-ROUTE", "review"), ("RF-FORWARDER-CONSIGNEE", "review")}),
    ("flag-forwarder-uncontrolled", to({"name": "Bosphorus Global Logistics", "country": "TR"},
                                       items=items("940360")), "clear", set()),
    ("flag-trading-end-user", {"consignee": DE, "end_user": {"name": "Vostok Trading House", "country": "DE"},
                               "destination_country": "DE", "items": items("854231")}, "review",
     {("RF-FORWARDER-CONSIGNEE", "review")}),
    ("flag-country-mismatch", {"consignee": DE, "end_user": DE, "destination_country": "NL",
                               "items": items("940360")}, "review", {("RF-CONSIGNEE-COUNTRY", "review")}),
    ("flag-no-end-user-hub", {"consignee": TR, "end_user": None, "destination_country": "TR",
                              "items": items("854231")}, "review",
     {("TW-HUB-ROUTE", "review"), ("RF-NO-END-USER", "review")}),
    ("flag-military-en", to(DE, end_use="Spare parts for military vehicles"), "review",
     {("RF-MILITARY-END-USE", "review")}),
    ("flag-military-ru", to(DE, end_use="для нужд оборонной промышленности"), "review",
     {("RF-MILITARY-END-USE", "review")}),
    ("flag-military-zh", to(DE, end_use="國防工業用途"), "review", {("RF-MILITARY-END-USE", "review")}),
    ("flag-civil-end-use", to(DE, end_use="furniture for an office in Hamburg"), "clear", set()),
    ("flag-price-high", to(DE, items=items("845710", unit_value="1000000", currency="USD")), "review",
     {("RF-UNIT-VALUE", "review")}),
    ("flag-price-normal", to(DE, items=items("845710", unit_value="120000", currency="USD")), "clear", set()),
    ("flag-price-twd-normal", to(DE, items=items("845811", unit_value="3840000", currency="TWD")), "clear", set()),
    ("flag-price-twd-high", to(DE, items=items("845811", unit_value="38400000", currency="TWD")), "review",
     {("RF-UNIT-VALUE", "review")}),
    ("flag-price-zero", to(DE, items=items("940360", unit_value="0", currency="USD")), "review",
     {("RF-UNIT-VALUE", "review")}),
]


@pytest.mark.parametrize(("overrides", "verdict", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_golden(context: ScreeningContext, overrides: dict[str, Any], verdict: str,
                expected: set[tuple[str, str]]) -> None:
    result = screen(declaration(**overrides), context)
    found = {(f.rule_id, f.action.value) for f in result.findings}
    assert found == expected, [f.message for f in result.findings]
    assert result.verdict.value == verdict


# Goods without a control number, from the dual-use chapters, to Russia/Belarus: classify before shipping.
# Laptop, phone, CMM and grinder in 2023, a microcontroller on 2022-03-15, all to Russia: clear before.
UNCLASSIFIED: list[tuple[str, dict[str, Any], str, set[tuple[str, str]]]] = [
    ("laptop-ru", to(RU, export_date="2023-06-01", items=items("847130")), "review", {("TW-RUBY-CLASSIFY", "review")}),
    ("phone-ru", to(RU, export_date="2023-06-01", items=items("851713")), "review", {("TW-RUBY-CLASSIFY", "review")}),
    ("cmm-ru", to(RU, export_date="2023-06-01", items=items("903180")), "review", {("TW-RUBY-CLASSIFY", "review")}),
    ("grinder-ru-2023", to(RU, export_date="2023-06-01", items=items("846012")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("microcontroller-ru-2022-03-15", to(RU, export_date="2022-03-15", items=items("8542.31")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("laptop-ru-ear99", to(RU, export_date="2023-06-01", items=items("847130", eccn="EAR99")), "clear",
     {("TW-RUBY-CLASSIFY", "info"), ("TW-RUBY-DESTINATION", "info")}),
    ("phone-ru-not-controlled", to(RU, export_date="2023-06-01", items=items("851713", eccn="not controlled")),
     "clear", {("TW-RUBY-CLASSIFY", "info"), ("TW-RUBY-DESTINATION", "info")}),
    ("grinder-ru-placeholder-is-no-classification", to(RU, export_date="2023-06-01", items=items("846012", eccn="N/A")),
     "review", {("TW-RUBY-CLASSIFY", "review")}),
    ("laptop-ru-before-region", to(RU, export_date="2022-02-28", items=items("847130")), "clear", set()),
    ("laptop-by-before-region", to(BY, export_date="2022-05-05", items=items("847130")), "clear", set()),
    ("laptop-by-on-region", to(BY, export_date="2022-05-06", items=items("847130")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("drone-part-by", to(BY, export_date="2023-06-01", items=items("880790")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("rifle-scope-ru", to(RU, export_date="2023-06-01", items=items("930590")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("furniture-ru-not-covered", to(RU, export_date="2023-06-01", items=items("940360")), "clear",
     {("TW-RUBY-DESTINATION", "info")}),
    ("laptop-de-not-covered", to(DE, export_date="2023-06-01", items=items("847130")), "clear", set()),
    # To a hub with a party in Russia: the goods would reach the control region.
    ("laptop-hub-tr-end-user-ru", {"consignee": TR, "end_user": RU, "destination_country": "TR",
                                   "export_date": "2023-06-01", "items": items("847130")}, "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("laptop-hub-tr-alone", to(TR, export_date="2023-06-01", items=items("847130")), "clear", set()),
    # Declared control numbers are judged by the control-number rules, not asked for again.
    ("laptop-ru-x9xx", to(RU, export_date="2023-06-01", items=items("847130", eccn="5A992")), "block",
     {("TW-RUBY-LIST-57", "block")}),
    # The 2023-01-04 chemicals: review (the HS mapping is unverified), never block.
    ("ammonium-nitrate-before", to(RU, export_date="2023-01-03", items=items("310230")), "review",
     {("TW-RUBY-CLASSIFY", "review")}),
    ("ammonium-nitrate-on", to(RU, export_date="2023-01-04", items=items("3102.30")), "review",
     {("TW-RUBY-CHEMICALS-2023", "review")}),
    ("nitric-acid-by", to(BY, export_date="2024-01-10", items=items("280800")), "review",
     {("TW-RUBY-CHEMICALS-2023", "review")}),
    ("nf3-ru-ccc", to(RU, export_date="2024-01-10", items=items("28129000001")), "review",
     {("TW-RUBY-CHEMICALS-2023", "review")}),
    ("nitric-acid-ear99-still-checked", to(RU, export_date="2024-01-10", items=items("280800", eccn="EAR99")),
     "review", {("TW-RUBY-CHEMICALS-2023", "review")}),
    ("chemical-heading-coarse", to(RU, export_date="2024-01-10", items=items("3102")), "review",
     {("TW-RUBY-CHEMICALS-2023", "review")}),
    ("nitric-acid-de", to(DE, export_date="2024-01-10", items=items("280800")), "clear", set()),
    ("nitric-acid-hub-tr", to(TR, export_date="2024-01-10", items=items("280800")), "review",
     {("TW-HUB-ROUTE", "review")}),
    # US-only entries are no multilateral-regime entries: review for Russia/Belarus, no permit finding elsewhere.
    ("us-only-3a090-ru", to(RU, export_date="2024-07-01", items=items("847150", eccn="3A090")), "block",
     {("TW-RUBY-CHPL", "block"), ("TW-RUBY-US-ONLY", "review")}),
    ("us-only-4a090-ru-uncovered-code", to(RU, export_date="2024-07-01", items=items("847130", eccn="4A090")),
     "review", {("TW-RUBY-US-ONLY", "review")}),
    ("us-only-0a521-by-before", to(BY, export_date="2022-05-05", items=items("940360", eccn="0A521")), "clear", set()),
    ("us-only-3a090-jp", to({"name": "Sakura KK", "country": "JP"}, items=items("847130", eccn="3A090")), "clear",
     set()),
]

# SHTC export permits: a multilateral-regime entry needs a permit to any destination.
PERMITS: list[tuple[str, dict[str, Any], str, set[tuple[str, str]]]] = [
    ("permit-3a001-jp-missing", to({"name": "Sakura KK", "country": "JP"}, items=items("854231", eccn="3A001")),
     "review", {("TW-SHTC-PERMIT", "review")}),
    ("permit-3a001-jp-declared", to({"name": "Sakura KK", "country": "JP"},
                                    items=items("854231", eccn="3A001", permit_number="ST-113-000123")),
     "clear", {("TW-SHTC-PERMIT", "info")}),
    ("permit-x9xx-de-not-needed", to(DE, items=items("854231", eccn="5A992")), "clear", set()),
    ("permit-ear99-de-not-needed", to(DE, items=items("854231", eccn="EAR99")), "clear", set()),
    ("permit-ru-stays-block", to(RU, export_date="2024-07-01",
                                 items=items("940360", eccn="3A001", permit_number="ST-113-000123")), "block",
     {("TW-RUBY-REGION", "block")}),
    ("permit-by-stays-block", to(BY, export_date="2024-07-01", items=items("940360", eccn="1C101")), "block",
     {("TW-RUBY-REGION-BY", "block")}),
]


@pytest.mark.parametrize(("overrides", "verdict", "expected"), [c[1:] for c in UNCLASSIFIED + PERMITS],
                         ids=[c[0] for c in UNCLASSIFIED + PERMITS])
def test_golden_goods_codes(context: ScreeningContext, overrides: dict[str, Any], verdict: str,
                            expected: set[tuple[str, str]]) -> None:
    result = screen(declaration(**overrides), context)
    found = {(f.rule_id, f.action.value) for f in result.findings}
    assert found == expected, [f.message for f in result.findings]
    assert result.verdict.value == verdict


def test_permit_number_is_recorded_in_the_evidence(context: ScreeningContext) -> None:
    overrides = to({"name": "Sakura KK", "country": "JP"},
                   items=items("854231", eccn="３Ａ００１", permit_number=" st-113-０００１２３ "))
    [permit] = screen(declaration(**overrides), context).findings
    assert permit.evidence["permit_number"] == "ST-113-000123" and "ST-113-000123" in permit.message


def test_classification_is_recorded_in_the_evidence(context: ScreeningContext) -> None:
    found = screen(declaration(**to(RU, export_date="2023-06-01", items=items("847130", eccn="ear99"))), context)
    classify = next(f for f in found.findings if f.rule_id == "TW-RUBY-CLASSIFY")
    assert classify.evidence["classification"] == "EAR99" and classify.verification == "secondary"


def test_chemical_codes_never_block(context: ScreeningContext) -> None:
    rule = context.rulebook.by_id("TW-RUBY-CHEMICALS-2023")
    assert rule.action.value == "review" and rule.verification.value == "unverified"


@pytest.mark.parametrize(("rule_id", "verification"), [
    ("TW-RUBY-LIST-57", "unverified"), ("TW-RUBY-LIST-0-2", "unverified"), ("TW-RUBY-REGION", "verified"),
    ("TW-RUBY-REGION-BY", "secondary"), ("TW-RUBY-CHPL", "secondary"),
])
def test_inferred_rules_say_so(context: ScreeningContext, rule_id: str, verification: str) -> None:
    assert context.rulebook.by_id(rule_id).verification.value == verification


def test_chpl_findings_carry_the_code_level_verification(context: ScreeningContext) -> None:
    [chpl] = screen(declaration(**to(RU, export_date="2024-07-01", items=items("854231"))), context).findings
    assert chpl.verification == "secondary"
    assert chpl.evidence["listed_verification"] == "verified"
    assert "not as one of Taiwan's 45" in chpl.evidence["listed_note"]


def test_case_ids_are_unique() -> None:
    ids = [case[0] for case in CASES + UNCLASSIFIED + PERMITS]
    assert len(ids) == len(set(ids))
