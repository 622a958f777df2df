"""docs/matching.md stays true: every `parties` command and matching setting is documented, and the
documented example runs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.cli.parties import app as parties_app

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "matching.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [command.name for command in parties_app.registered_commands])
def test_every_parties_command_is_documented(command: str) -> None:
    assert f"export-screen parties {command}" in DOC


@pytest.mark.parametrize("setting", ["review_threshold", "block_threshold", "party_cache_size"])
def test_every_matching_setting_is_documented(setting: str) -> None:
    assert f"| `{setting}` |" in DOC


def test_the_documented_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(REPO)
    example = re.search(r"^export-screen (parties match .*)$", DOC, re.MULTILINE)
    assert example, "docs/matching.md has no `export-screen parties match` example"
    result = CliRunner().invoke(app, shlex.split(example.group(1)))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"][0]["action"] == "block"
