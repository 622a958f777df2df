"""The committed JSON Schema matches the models, and every bundled rule file satisfies it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from service.engine.rulebook.schema import rule_file_schema
from tests.engine.conftest import RULES_DIR

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "docs" / "rule-file.schema.json"


def test_committed_schema_has_not_drifted() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == rule_file_schema(), (
        "docs/rule-file.schema.json is stale: run `export-screen rules schema > docs/rule-file.schema.json`"
    )


@pytest.mark.parametrize("path", sorted(RULES_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_rule_files_satisfy_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(data, default=str)), rule_file_schema())
