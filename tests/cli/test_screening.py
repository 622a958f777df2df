"""`export-screen screen` and `export-screen rules ...` through typer's CliRunner."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "declaration.json"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EXPORT_SCREEN_RULES_DIR", raising=False)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_screen_example_prints_a_verdict() -> None:
    code, out, _ = run("screen", str(EXAMPLE))
    verdict = json.loads(out)
    assert code == 0
    assert verdict["verdict"] == "review"  # controlled goods to a hub, no party in Russia/Belarus
    # the default install screens parties against the curated list only, and says so (info)
    assert [f["rule_id"] for f in verdict["findings"]] == ["TW-HUB-ROUTE", "LISTS-NO-OFFICIAL"]
    assert [stamp["name"] for stamp in verdict["lists"]] == ["tw-curated"]  # parties were screened
    assert "affidavit" in verdict["findings"][0]["message"]
    assert verdict["rulebook"]["version"].startswith("sha256:")


def test_screen_from_stdin_as_text() -> None:
    code, out, _ = run("screen", "-", "--format", "text", stdin=EXAMPLE.read_text(encoding="utf-8"))
    assert code == 0
    assert "REVIEW" in out and "TW-HUB-ROUTE" in out
    assert "LISTS-NO-OFFICIAL" in out and "without any official" in out


def test_invalid_declaration_exits_2_naming_field_and_value(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["destination_country"] = "Atlantis"
    data["items"][0]["hs_code"] = "85x231"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run("screen", str(path))
    assert code == 2 and out == ""
    assert "destination_country" in err and "'Atlantis'" in err
    assert "items.0.hs_code" in err and "'85x231'" in err


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("screen", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err


def test_broken_rules_refuse_to_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("schema_version: 1\ntitle: x\nrules:\n  - id: X1\n    kind: nope\n",
                                    encoding="utf-8")
    monkeypatch.setenv("EXPORT_SCREEN_RULES_DIR", str(rules))
    code, out, err = run("screen", str(EXAMPLE))
    assert code == 3 and out == ""
    assert "bad.yaml:4" in err and "nothing screened" in err
    code, _, err = run("rules", "check")
    assert code == 3 and "bad.yaml:4" in err


def test_unusable_list_snapshot_refuses_to_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lists = tmp_path / "data" / "lists"
    lists.mkdir(parents=True)
    (lists / "ofac-sdn.jsonl.gz").write_bytes(gzip.compress(b"not a snapshot"))
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "data"))
    code, out, err = run("screen", str(EXAMPLE))
    assert code == 3 and out == ""
    assert "denied-party lists could not be loaded, nothing screened" in err and "ofac-sdn" in err


def test_rules_check_summarises() -> None:
    code, out, _ = run("rules", "check")
    assert code == 0
    assert "TW-RUBY-CHPL" in out and "50 codes" in out and "controlled countries: BY, RU" in out


@pytest.mark.parametrize(("country", "day", "present", "absent"), [
    ("RU", "2024-03-01", {"TW-RUBY-CHPL", "TW-RUBY-REGION"}, {"TW-RUBY-MACHINE-TOOLS", "TW-RUBY-NITROCELLULOSE"}),
    ("Belarus", "2022-05-05", set(), {"TW-RUBY-REGION", "TW-RUBY-LIST-57"}),
    ("by", "2024-06-14", {"TW-RUBY-NITROCELLULOSE", "TW-RUBY-MACHINE-TOOLS"}, {"TW-RUBY-CHPL-NO-ECCN"}),
])
def test_rules_show(country: str, day: str, present: set[str], absent: set[str]) -> None:
    code, out, _ = run("rules", "show", "--country", country, "--date", day, "--json")
    ids = {rule["id"] for rule in json.loads(out)["rules"]}
    assert code == 0 and present <= ids and not (absent & ids)


def test_rules_show_rejects_unknown_country() -> None:
    code, _, err = run("rules", "show", "--country", "Atlantis")
    assert code == 2 and "Atlantis" in err


def _declaration_file(tmp_path: Path, **changes: object) -> Path:
    data = {"reference": "SO-OLD", "consignee": {"name": "OOO Stanko", "country": "RU"},
            "destination_country": "RU", "items": [{"hs_code": "845710", "description": "machining centre"}]}
    data.update(changes)
    path = tmp_path / "declaration.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_backdated_declaration_is_a_review_and_retrospective_applies_the_old_rules(tmp_path: Path) -> None:
    path = _declaration_file(tmp_path, export_date="2021-01-04")
    code, out, _ = run("screen", str(path))
    current = json.loads(out)
    assert code == 0 and current["verdict"] == "review"
    assert [f["rule_id"] for f in current["findings"]] == ["EXPORT-DATE-PAST", "LISTS-NO-OFFICIAL"]
    code, out, _ = run("screen", str(path), "--retrospective")
    audit = json.loads(out)
    assert code == 0 and audit["verdict"] == "clear" and audit["rulebook"]["retrospective"] is True


def test_export_date_more_than_a_year_ahead_exits_2(tmp_path: Path) -> None:
    code, _, err = run("screen", str(_declaration_file(tmp_path, export_date="2099-01-01")))
    assert code == 2 and "export_date" in err and "2099-01-01" in err


def test_full_width_code_is_screened_like_its_ascii_form(tmp_path: Path) -> None:
    code, out, _ = run("screen", str(_declaration_file(tmp_path, items=[{"hs_code": "８４５７．１０"}])))
    verdict = json.loads(out)
    assert code == 0 and verdict["verdict"] == "block"
    assert verdict["findings"][0]["evidence"]["hs_code"] == "845710"
