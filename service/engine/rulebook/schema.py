"""The JSON Schema of a rule file, generated from the models (docs/rule-file.schema.json)."""

from __future__ import annotations

from typing import Any

from service.engine.rulebook.models import RuleFile


def rule_file_schema() -> dict[str, Any]:
    """JSON Schema for one YAML file in rules/ (aliases as written in YAML, e.g. `from`)."""
    schema = RuleFile.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://export-screen.example/schemas/rule-file.schema.json"
    return schema
