"""The declaration model: defaults, normalisation, and errors that name the field and the value."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from service.engine.declaration import Declaration, a_year_after, today_in_taipei
from service.engine.errors import describe_validation_error, field_errors
from tests.engine.conftest import declaration


def test_normalises_on_the_way_in() -> None:
    d = declaration(destination_country="Türkiye", transit_countries=["kazakhstan", "RUS"],
                    items=[{"hs_code": "8542.31.00", "eccn": "3a001.a.2", "currency": "usd"}, {"hs_code": "940360"}])
    assert d.destination_country == "TR"
    assert d.transit_countries == ["KZ", "RU"]
    assert [(i.line, i.hs_code, i.eccn, i.currency) for i in d.items] == [
        (1, "85423100", "3A001.A.2", "USD"), (2, "940360", None, None)]


def test_explicit_lines_are_kept() -> None:
    d = declaration(items=[{"line": 10, "hs_code": "940360"}, {"line": 20, "hs_code": "940360"}])
    assert [i.line for i in d.items] == [10, 20]


def test_export_date_defaults_to_today_in_taipei() -> None:
    data = declaration().model_dump(mode="json")
    del data["export_date"]
    assert Declaration.model_validate(data).export_date == today_in_taipei()


def test_blank_eccn_means_none() -> None:
    assert declaration(items=[{"hs_code": "940360", "eccn": "  "}]).items[0].eccn is None


BAD: list[tuple[dict[str, Any], str, object]] = [
    ({"destination_country": "Atlantis"}, "destination_country", "Atlantis"),
    ({"consignee": {"name": "X", "country": "Narnia"}}, "consignee.country", "Narnia"),
    ({"transit_countries": ["TR", "Mordor"]}, "transit_countries.1", "Mordor"),
    ({"items": [{"hs_code": "85A231"}]}, "items.0.hs_code", "85A231"),
    ({"items": [{"hs_code": "854"}]}, "items.0.hs_code", "854"),
    ({"items": [{"hs_code": "940360", "eccn": "3F001"}]}, "items.0.eccn", "3F001"),
    ({"export_date": "2024-02-30"}, "export_date", "2024-02-30"),
    ({"items": []}, "items", None),
    ({"reference": ""}, "reference", ""),
    ({"unexpected": 1}, "unexpected", 1),
    ({"items": [{"hs_code": "８５Ａ２３１"}]}, "items.0.hs_code", "８５Ａ２３１"),
    ({"items": [{"hs_code": "940360", "quantity": "１，２３４"}]}, "items.0.quantity", "1,234"),
    ({"export_date": "2099-01-01"}, "export_date", "2099-01-01"),
]


@pytest.mark.parametrize(("overrides", "field", "value"), BAD, ids=[b[1] for b in BAD])
def test_errors_name_field_and_value(overrides: dict[str, Any], field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        declaration(**overrides)
    errors = field_errors(info.value)
    assert any(e["field"] == field and e["value"] == value for e in errors), errors
    if isinstance(value, str) and value:
        assert repr(value) in describe_validation_error(info.value)


def test_missing_required_fields() -> None:
    with pytest.raises(ValidationError) as info:
        Declaration.model_validate({"items": [{"hs_code": "940360"}]})
    fields = {e["field"] for e in field_errors(info.value)}
    assert {"reference", "consignee", "destination_country"} <= fields


def test_lines_default_for_item_objects_too() -> None:
    from service.engine.declaration import Item

    d = declaration(items=[Item(hs_code="940360"), Item(hs_code="854231", line=7), Item(hs_code="391220")])
    assert [i.line for i in d.items] == [1, 7, 3]


def test_unicode_digits_everywhere_are_stored_as_ascii() -> None:
    d = declaration(export_date="２０２４－０３－０１", items=[
        {"hs_code": "８５４２．３１", "eccn": "３ａ００１", "quantity": "１２", "unit_value": "٣.٥"}])
    item = d.items[0]
    assert d.export_date == date(2024, 3, 1)
    assert (item.hs_code, item.eccn, str(item.quantity), str(item.unit_value)) == ("854231", "3A001", "12", "3.5")
    stored = d.model_dump(mode="json")  # what the audit trail keeps
    assert stored["items"][0]["hs_code"] == "854231" and stored["export_date"] == "2024-03-01"


def test_placeholder_eccn_means_not_declared() -> None:
    assert [i.eccn for i in declaration(items=[{"hs_code": "940360", "eccn": v} for v in ("None", "N/A", "-")]).items
            ] == [None, None, None]


def test_export_date_a_year_ahead_is_the_limit() -> None:
    today = date(2025, 6, 1)
    data = declaration().model_dump(mode="json")
    ok = Declaration.model_validate({**data, "export_date": "2026-06-01"}, context={"today": today})
    assert ok.export_date == date(2026, 6, 1)
    with pytest.raises(ValidationError) as info:
        Declaration.model_validate({**data, "export_date": "2026-06-02"}, context={"today": today})
    assert field_errors(info.value)[0]["field"] == "export_date"
    assert "more than a year" in describe_validation_error(info.value)


def test_a_year_after_a_leap_day() -> None:
    assert a_year_after(date(2024, 2, 29)) == date(2025, 2, 28)


def test_line_and_currency_in_full_width() -> None:
    item = declaration(items=[{"line": "１２", "hs_code": "940360", "currency": "ｕｓｄ"}]).items[0]
    assert (item.line, item.currency) == (12, "USD")
