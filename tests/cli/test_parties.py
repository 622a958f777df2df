"""`export-screen parties match` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stored snapshots: the configured lists are the bundled curated list only."""
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))


def test_match_against_the_configured_lists() -> None:
    result = runner.invoke(app, ["parties", "match", "Sharp Edge Engineering Co., Ltd.", "--country", "Taiwan"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["query"] == "Sharp Edge Engineering Co., Ltd." and answer["country"] == "TW"
    hit = answer["hits"][0]
    assert hit["entry_id"] == "ofac-sdn-2022-sharp-edge-engineering" and hit["action"] == "block"
    assert set(hit) >= {"list", "entry_id", "matched_name", "score", "action", "explanation"}


def test_match_with_given_lists_replaces_the_configured_ones() -> None:
    ofac = SHARED_DATA / "ofac-sdn-2021"
    result = runner.invoke(app, ["parties", "match", "Jong Un Kim", "--list", f"ofac:{ofac}"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert [s["name"] for s in answer["lists"]] == ["ofac-sdn"]
    assert answer["hits"][0]["matched_name"] == "KIM, Jong Un"
    scores = [h["score"] for h in answer["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_no_hit_is_an_empty_list() -> None:
    result = runner.invoke(app, ["parties", "match", "Taipei Precision Bearings Ltd"])
    assert result.exit_code == 0 and json.loads(result.stdout)["hits"] == []


@pytest.mark.parametrize(("arguments", "code"), [
    (["--list", "nonsense"], 2),
    (["--list", "xml:/nowhere"], 2),
    (["--country", "Atlantis"], 2),
    (["--list", "un:/nowhere/UN.xml"], 3),
])
def test_bad_options_are_refused(arguments: list[str], code: int) -> None:
    result = runner.invoke(app, ["parties", "match", "Anything", *arguments])
    assert result.exit_code == code
