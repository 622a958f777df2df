"""Bad Unicode in a party name on the command line: exit 2 with a message naming the field, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "declaration.json"
runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EXPORT_SCREEN_RULES_DIR", raising=False)


def declaration_with(tmp_path: Path, name: str) -> str:
    """The example declaration with this consignee name, written as ASCII JSON (a surrogate as its escape)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["consignee"]["name"] = name
    path = tmp_path / "declaration.json"
    path.write_text(json.dumps(data), encoding="ascii")
    return str(path)


@pytest.mark.parametrize(("name", "says"), [
    ("Kessler\x00GmbH", "control character U+0000"),
    ("Kessler\u202eHbmG", "bidirectional control character U+202E"),
    ("\u200b", "no letter or digit"),
    ("K" * 10_000, "at most 500 characters"),
], ids=["nul", "bidi-override", "invisible-only", "10000-characters"])
def test_screen_refuses_a_bad_name(tmp_path: Path, name: str, says: str) -> None:
    result = runner.invoke(app, ["screen", declaration_with(tmp_path, name)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: invalid declaration: consignee.name: ") and says in result.stderr
    assert len(result.stderr) < 1000


def test_screen_refuses_a_lone_surrogate_as_invalid_json(tmp_path: Path) -> None:
    """The command line reads declarations with a strict JSON parser: the escape itself is refused."""
    result = runner.invoke(app, ["screen", declaration_with(tmp_path, "Kessler\ud800GmbH")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: invalid declaration: (body): Invalid JSON") and len(result.stderr) < 1000


@pytest.mark.parametrize(("name", "says"), [
    ("Sharp\u202eEdge", "bidirectional control character U+202E"),
    ("Sharp\udcffEdge", "lone surrogate U+DCFF"),  # an undecodable byte in argv arrives as a surrogate
    ("...", "no letter or digit"),
], ids=["bidi-override", "argv-byte", "punctuation-only"])
def test_parties_match_refuses_a_bad_name(name: str, says: str) -> None:
    result = runner.invoke(app, ["parties", "match", name])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: NAME ") and says in result.stderr


def test_parties_match_reads_invisible_characters_as_spaces() -> None:
    result = runner.invoke(app, ["parties", "match", "Sharp\u200bEdge Engi\u00adneering Co., Ltd."])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["query"] == "Sharp Edge Engineering Co., Ltd."
    assert answer["hits"][0]["action"] == "block"
