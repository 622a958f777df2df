"""The list docs stay true: the curated-list schema is current and every command and setting is documented."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from service.cli.lists import app
from service.engine.parties.sources.curated import curated_list_schema
from tests.lists.helpers import CURATED, REPO

DOC = (REPO / "docs" / "lists.md").read_text(encoding="utf-8")
SCHEMA_PATH = REPO / "docs" / "curated-list.schema.json"


def test_committed_schema_has_not_drifted() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == curated_list_schema(), (
        "docs/curated-list.schema.json is stale: run `export-screen lists schema > docs/curated-list.schema.json`"
    )


@pytest.mark.parametrize("path", sorted(CURATED.glob("*.yaml")), ids=lambda p: p.name)
def test_curated_files_satisfy_the_schema(path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(data, default=str)), curated_list_schema())


@pytest.mark.parametrize("command", [command.name for command in app.registered_commands])
def test_every_lists_command_is_documented(command: str) -> None:
    assert f"export-screen lists {command}" in DOC


@pytest.mark.parametrize("setting", ["lists_dir", "data_dir", "list_sources", "list_max_shrink",
                                     "list_download_timeout", "list_download_retries", "required_lists",
                                     "list_max_age_days", "list_default_max_age_days", "list_min_entries"])
def test_every_list_setting_is_documented(setting: str) -> None:
    assert f"| `{setting}` |" in DOC
