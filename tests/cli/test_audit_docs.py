"""docs/workflow.md stays true: every audit command and every export column is in it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service.cli import audit
from service.store.audit_export import CSV_COLUMNS, NAME_CSV_COLUMNS

DOCS = Path(__file__).resolve().parents[2] / "docs"
WORKFLOW = (DOCS / "workflow.md").read_text(encoding="utf-8")
API = (DOCS / "api.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [c.name for c in audit.app.registered_commands])
def test_every_audit_command_is_documented(command: str) -> None:
    assert f"export-screen audit {command} --from" in WORKFLOW


@pytest.mark.parametrize("column", CSV_COLUMNS)
def test_every_csv_column_is_documented(column: str) -> None:
    assert f"`{column}`" in API


@pytest.mark.parametrize("column", NAME_CSV_COLUMNS)
def test_every_name_csv_column_is_documented(column: str) -> None:
    assert f"`{column}`" in WORKFLOW


def test_the_json_lines_example_has_the_record_fields() -> None:
    [line] = re.findall(r'^\{"id":.*\}$', WORKFLOW, flags=re.MULTILINE)
    record = json.loads(line)
    assert set(record) == {*CSV_COLUMNS} - {"review_threshold", "block_threshold", "decided_at", "decided_by_key_id",
                                            "decided_by_role", "reason_code", "note"}
