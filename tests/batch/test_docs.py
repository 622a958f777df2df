"""docs/batch.md stays true: every option and setting documented, its mapping example valid."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml

from service.batch.columns import DEFAULT_HEADER, FIELDS, ColumnMapping, builtin_aliases, resolve_layout
from service.cli import app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "batch.md").read_text(encoding="utf-8")


def batch_options() -> list[str]:
    group = typer.main.get_command(app)
    command = group.commands["batch"]  # type: ignore[attr-defined]
    return sorted(opt for param in command.params for opt in param.opts if opt.startswith("--"))


@pytest.mark.parametrize("option", batch_options())
def test_every_option_documented(option: str) -> None:
    assert f"`{option}" in DOC or f"{option} " in DOC


@pytest.mark.parametrize("setting", ["max_upload_bytes", "max_request_bytes", "data_dir"])
def test_batch_settings_documented(setting: str) -> None:
    assert f"| `{setting}` |" in DOC


@pytest.mark.parametrize("field", sorted(set(DEFAULT_HEADER)))
def test_default_header_documented(field: str) -> None:
    assert f"`{field}`" in DOC


def test_mapping_example_in_docs_is_valid() -> None:
    block = DOC.split("```yaml\n", 1)[1].split("```", 1)[0]
    mapping = ColumnMapping.model_validate(yaml.safe_load(block))
    layout = resolve_layout(list(mapping.columns), mapping)
    assert set(layout.index) == set(mapping.columns.values())


def test_builtin_aliases_point_at_fields() -> None:
    assert set(builtin_aliases().values()) <= FIELDS


def test_the_example_file_screens(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "orders.csv"
    out = tmp_path / "screened.csv"
    result = CliRunner().invoke(app, ["batch", str(example), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "rows: clear 1, review 1, block 2, errors 1" in result.output
