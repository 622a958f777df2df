"""Rows into a declaration: shipment fields once, items per row, errors placed on the row that caused them."""

from __future__ import annotations

from datetime import date

import pytest

from service.batch.assemble import assemble
from service.batch.columns import resolve_layout
from service.batch.records import Record
from service.batch.shipments import Shipment

HEADER = ["reference", "export_date", "consignee_name", "consignee_country", "destination_country",
          "transit_countries", "hs_code", "eccn", "quantity", "unit_value", "freight_forwarder_name",
          "freight_forwarder_country", "end_user_name", "end_user_country"]
LAYOUT = resolve_layout(HEADER)


def rec(number: int, **values: str) -> Record:
    return Record(number, [values.get(name, "") for name in HEADER])


def first(**values: str) -> Record:
    base = {"reference": "SO-1", "consignee_name": "Kessler GmbH", "consignee_country": "DE",
            "destination_country": "DE", "hs_code": "940360"}
    return rec(2, **{**base, **values})


def test_rows_become_items_and_header_fields_come_once() -> None:
    records = [first(export_date="20240301", transit_countries="TR; AE|KZ", quantity="1,234.5"),
               rec(3, reference="SO-1", hs_code="8542.31", eccn="3a001")]
    declaration = assemble(Shipment("SO-1", records), LAYOUT).declaration
    assert declaration is not None
    assert declaration.export_date == date(2024, 3, 1)
    assert declaration.transit_countries == ["TR", "AE", "KZ"]
    assert [(i.line, i.hs_code, i.eccn) for i in declaration.items] == [(1, "940360", None), (2, "854231", "3A001")]
    assert str(declaration.items[0].quantity) == "1234.5"


def test_further_parties_from_columns() -> None:
    records = [first(freight_forwarder_name="Fast Cargo", freight_forwarder_country="AE",
                     end_user_name="Plant", end_user_country="RU")]
    declaration = assemble(Shipment("SO-1", records), LAYOUT).declaration
    assert declaration is not None
    assert [(p.role.value, p.country) for p in declaration.parties] == [("freight_forwarder", "AE")]
    assert declaration.end_user is not None and declaration.end_user.country == "RU"


def test_conflicting_shipment_value_is_an_error_for_the_whole_declaration() -> None:
    records = [first(), rec(3, reference="SO-1", hs_code="940360", consignee_country="RU")]
    assembly = assemble(Shipment("SO-1", records), LAYOUT)
    assert assembly.declaration is None
    assert "'RU' here but 'DE' on row 2" in assembly.row_errors[3]
    assert assembly.shipment_error is not None and "row 3" in assembly.shipment_error


@pytest.mark.parametrize(
    ("values", "row", "expected"),
    [
        ({"hs_code": "12"}, 3, "hs_code: HS/CCC code '12' has 2 digits"),
        ({"hs_code": ""}, 3, "hs_code"),
        ({"eccn": "3X001"}, 3, "eccn: control number '3X001'"),
        ({"freight_forwarder_country": "TR"}, 3, "freight_forwarder_name: required"),
        ({"end_user_country": "Narnia", "end_user_name": "X"}, 3, "end_user_country: unknown country 'Narnia'"),
    ],
)
def test_validation_errors_land_on_the_row_that_gave_the_value(values: dict[str, str], row: int, expected: str) -> None:
    records = [first(), rec(3, reference="SO-1", **{"hs_code": "940360", **values})]
    assembly = assemble(Shipment("SO-1", records), LAYOUT)
    assert assembly.declaration is None
    assert expected in assembly.row_errors[row]
    assert 2 not in assembly.row_errors
    assert assembly.shipment_error is not None and f"row {row}" in assembly.shipment_error


def test_header_field_errors_use_the_users_column_name() -> None:
    layout = resolve_layout(["Order No", "Ship To", "Ship To Country", "Destination", "HS"])
    assembly = assemble(Shipment("A", [Record(2, ["A", "Acme", "Mordor", "DE", "940360"])]), layout)
    assert assembly.row_errors[2].startswith("Ship To Country: unknown country 'Mordor'")


def test_wrong_column_count_and_reader_errors() -> None:
    short = Record(3, ["SO-1", "x"])
    broken = Record(4, ["SO-1"], "broken quoting or field: x")
    assembly = assemble(Shipment("SO-1", [first(), short, broken]), LAYOUT)
    assert assembly.row_errors[3] == f"the row has 2 fields, the header has {len(HEADER)}"
    assert assembly.row_errors[4] == "broken quoting or field: x"


def test_bad_date_reported() -> None:
    assembly = assemble(Shipment("SO-1", [first(export_date="2024-13-45")]), LAYOUT)
    assert "export_date" in assembly.row_errors[2]


def test_cells_in_full_width_and_arabic_indic_digits_are_read_as_ascii() -> None:
    records = [first(export_date="２０２４／０３／０１", quantity="１，２３４．５", unit_value="٣٫٥".replace("٫", "."),
                     hs_code="８５４２．３１", eccn="３ａ００１")]
    declaration = assemble(Shipment("SO-1", records), LAYOUT).declaration
    assert declaration is not None
    item = declaration.items[0]
    assert declaration.export_date == date(2024, 3, 1)
    assert (item.hs_code, item.eccn, str(item.quantity), str(item.unit_value)) == ("854231", "3A001", "1234.5", "3.5")


@pytest.mark.parametrize(("values", "column"), [
    ({"hs_code": "８５Ａ２３１"}, "hs_code"), ({"export_date": "2099-01-01"}, "export_date"),
    ({"quantity": "１２x"}, "quantity"),
])
def test_what_still_does_not_parse_is_a_row_error(values: dict[str, str], column: str) -> None:
    assembly = assemble(Shipment("SO-1", [first(**values)]), LAYOUT)
    assert assembly.declaration is None
    assert column in assembly.row_errors[2]


def test_permit_number_column_and_its_aliases() -> None:
    for header in ("permit_number", "Export Permit No", "輸出許可證號碼"):
        layout = resolve_layout([*HEADER, header])
        records = [Record(2, [*first(eccn="3A001").cells, "st-113-０００１２３"])]
        declaration = assemble(Shipment("SO-1", records), layout).declaration
        assert declaration is not None and declaration.items[0].permit_number == "ST-113-000123", header
