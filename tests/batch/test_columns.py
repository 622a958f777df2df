"""Header mapping: the default header, built-in aliases, the shipped SAP example and user mapping files."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.batch.columns import DEFAULT_HEADER, MappingError, header_key, load_mapping, resolve_layout

SAP_EXAMPLE = Path(__file__).resolve().parents[2] / "service" / "batch" / "mappings" / "sap-example.yaml"


@pytest.mark.parametrize(
    ("header", "key"),
    [("Consignee Name", "consignee_name"), ("\ufeffreference", "reference"), ("HS-Code", "hs_code"),
     ("  END.USE ", "end_use"), ("收貨人", "收貨人")],
)
def test_header_key_folds_case_and_separators(header: str, key: str) -> None:
    assert header_key(header) == key


def test_default_header_maps_every_column() -> None:
    layout = resolve_layout(list(DEFAULT_HEADER))
    assert set(layout.index) == set(DEFAULT_HEADER)


def test_builtin_aliases_and_unknown_columns_carried() -> None:
    header = ["Order No", "Ship To", "Ship To Country", "Destination", "HS", "Internal note", "收貨人地址"]
    layout = resolve_layout(header)
    assert layout.index == {"reference": 0, "consignee_name": 1, "consignee_country": 2, "destination_country": 3,
                            "hs_code": 4, "consignee_address": 6}
    assert layout.column_of("hs_code") == "HS"


def test_shipped_sap_example_maps_an_sap_header() -> None:
    header = ["VBELN", "POSNR", "WADAT", "NAME1_WE", "LAND1_WE", "NAME1_SP", "LAND1_SP", "LAND1", "STAWN", "ARKTX"]
    layout = resolve_layout(header, load_mapping(SAP_EXAMPLE))
    assert layout.index["reference"] == 0
    assert layout.index["freight_forwarder_country"] == 6
    assert layout.index["hs_code"] == 8


def test_user_mapping_overrides_builtin(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  Destination: consignee_country\n  Dest: destination_country\n")
    layout = resolve_layout(["ref", "consignee", "Destination", "Dest", "hs"], load_mapping(mapping))
    assert layout.index["consignee_country"] == 2 and layout.index["destination_country"] == 3


def test_missing_required_columns_named() -> None:
    with pytest.raises(MappingError, match="consignee_country, destination_country"):
        resolve_layout(["reference", "consignee_name", "hs_code"])


def test_two_columns_for_one_field_rejected() -> None:
    with pytest.raises(MappingError, match="both map to hs_code"):
        resolve_layout(["reference", "consignee", "consignee_country", "destination", "hs", "HS Code"])


@pytest.mark.parametrize(
    ("text", "message"),
    [("columns:\n  X: not_a_field\n", "unknown target field"), ("colums: {}\n", "colums"), ("columns: [\n", "cannot")],
)
def test_invalid_mapping_file_named(tmp_path: Path, text: str, message: str) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(text)
    with pytest.raises(MappingError, match=message) as caught:
        load_mapping(mapping)
    assert str(mapping) in str(caught.value)
