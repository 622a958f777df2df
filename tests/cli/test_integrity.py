"""Tampering with what a verdict rests on, through the CLI: a rule file or a list snapshot that was cut,
deleted, edited or moved away refuses to screen (exit 3) and names what changed; never a `clear`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.engine.rulebook.lock import LOCK_NAME
from tests.lists.helpers import OFAC_MINI

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
HS_RULES = "20-ru-by-hs.yaml"
MACHINING_CENTRE_TO_RUSSIA = {
    "reference": "RU-8457",
    "consignee": {"name": "Volga Tooling LLC", "country": "RU"}, "destination_country": "RU",
    "items": [{"hs_code": "8457.10", "description": "Vertical machining centre", "quantity": 1}],
}
BANK = {
    "reference": "CU-1",
    "consignee": {"name": "BANCO NACIONAL DE CUBA", "country": "CU"}, "destination_country": "CU",
    "items": [{"hs_code": "9403.60", "description": "wooden tables", "quantity": 1}],
}

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the bundled rules and their lock, in force for the CLI."""
    copy = Path(shutil.copytree(RULES, tmp_path / "rules", ignore=shutil.ignore_patterns("lists")))
    monkeypatch.setenv("EXPORT_SCREEN_RULES_DIR", str(copy))
    monkeypatch.setenv("EXPORT_SCREEN_LISTS_DIR", str(RULES / "lists"))
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    return copy


def declaration_file(tmp_path: Path, body: dict[str, object]) -> str:
    path = tmp_path / f"{body['reference']}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


def cut_before(path: Path, rule_id: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index(f"  - id: {rule_id}\n")], encoding="utf-8")


def test_intact_rules_screen(rules: Path, tmp_path: Path) -> None:
    code, out, _ = run("screen", declaration_file(tmp_path, MACHINING_CENTRE_TO_RUSSIA))
    assert code == 0 and json.loads(out)["verdict"] == "block"


@pytest.mark.parametrize(("tamper", "named"), [
    (lambda path: cut_before(path, "TW-RUBY-MACHINE-TOOLS"), "rules missing: TW-RUBY-MACHINE-TOOLS"),
    (lambda path: path.unlink(), "file missing"),
    (lambda path: path.write_text(path.read_text("utf-8").replace('"845710"', '"845790"', 1), "utf-8"),
     "content differs from the lock"),
], ids=["cut", "deleted", "edited"])
def test_tampered_rules_refuse_to_screen(rules: Path, tmp_path: Path, tamper: object, named: str) -> None:
    tamper(rules / HS_RULES)  # type: ignore[operator]
    code, out, err = run("screen", declaration_file(tmp_path, MACHINING_CENTRE_TO_RUSSIA))
    assert code == 3 and out == ""
    assert f"{HS_RULES}: {named}" in err and "nothing screened" in err
    code, out, _ = run("rules", "check")  # the check still validates and says why screening is refused
    assert code == 0 and "lock: NOT APPROVED" in out and named in out


def test_tampered_rules_stop_a_batch(rules: Path, tmp_path: Path) -> None:
    cut_before(rules / HS_RULES, "TW-RUBY-MACHINE-TOOLS")
    source = tmp_path / "in.csv"
    source.write_text("reference,export_date,destination_country,consignee_name,consignee_country,hs_code,"
                      "description,quantity\nRU-1,2024-06-01,RU,Volga Tooling LLC,RU,8457.10,machining centre,1\n",
                      encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "out.csv"), "--workers", "1")
    assert code == 3 and "rules missing: TW-RUBY-MACHINE-TOOLS" in err
    assert not (tmp_path / "out.csv").exists()


def test_a_list_moved_away_stops_a_batch(rules: Path, tmp_path: Path) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    (tmp_path / "var" / "lists" / "ofac-sdn.jsonl.gz").rename(tmp_path / "elsewhere.jsonl.gz")
    source = tmp_path / "in.csv"
    source.write_text("reference,export_date,destination_country,consignee_name,consignee_country,hs_code,"
                      "description,quantity\nCU-1,2024-06-01,CU,BANCO NACIONAL DE CUBA,CU,9403.60,tables,1\n",
                      encoding="utf-8")
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "out.csv"), "--workers", "2")
    assert code == 3 and "ofac-sdn" in err and "is in the manifest but" in err
    assert not (tmp_path / "out.csv").exists()


def test_edit_check_lock_screen(rules: Path, tmp_path: Path) -> None:
    cut_before(rules / HS_RULES, "TW-RUBY-NITROCELLULOSE")
    code, out, _ = run("rules", "lock")
    assert code == 0 and "approved change: 20-ru-by-hs.yaml: rules missing: TW-RUBY-NITROCELLULOSE" in out
    assert "locked rulebook sha256:" in out
    code, out, _ = run("rules", "check")
    assert code == 0 and "approves these files" in out
    code, out, _ = run("screen", declaration_file(tmp_path, MACHINING_CENTRE_TO_RUSSIA))
    assert code == 0 and json.loads(out)["verdict"] == "block"


def test_a_custom_rules_directory_needs_its_own_lock(rules: Path, tmp_path: Path) -> None:
    (rules / LOCK_NAME).unlink()
    code, _, err = run("screen", declaration_file(tmp_path, MACHINING_CENTRE_TO_RUSSIA))
    assert code == 3 and "no rulebook lock" in err and f"export-screen rules lock --rules-dir {rules}`" in err
    assert run("rules", "lock", "--rules-dir", str(rules))[0] == 0
    assert run("screen", declaration_file(tmp_path, MACHINING_CENTRE_TO_RUSSIA))[0] == 0


def test_a_list_moved_away_refuses_to_screen(rules: Path, tmp_path: Path) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    code, out, _ = run("screen", declaration_file(tmp_path, BANK))
    assert code == 0 and json.loads(out)["verdict"] == "block"
    snapshot = tmp_path / "var" / "lists" / "ofac-sdn.jsonl.gz"
    snapshot.rename(tmp_path / "elsewhere.jsonl.gz")
    code, out, err = run("screen", declaration_file(tmp_path, BANK))
    assert code == 3 and out == ""
    assert "ofac-sdn" in err and "is in the manifest but" in err and "lists remove" in err
    assert run("lists", "show")[0] == 3
    (tmp_path / "elsewhere.jsonl.gz").rename(snapshot)
    assert run("screen", declaration_file(tmp_path, BANK))[0] == 0


def test_the_whole_snapshot_directory_moved_away_is_noticed(rules: Path, tmp_path: Path) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    (tmp_path / "var" / "lists").rename(tmp_path / "lists-elsewhere")
    code, _, err = run("screen", declaration_file(tmp_path, BANK))
    assert code == 3 and "ofac-sdn" in err


def test_a_list_removed_on_purpose_is_recorded(rules: Path, tmp_path: Path) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    code, out, _ = run("lists", "remove", "ofac-sdn", "--reason", "replaced by the consolidated list")
    assert code == 0 and "removed ofac-sdn sha256:" in out
    manifest = json.loads((tmp_path / "var" / "lists.manifest.json").read_text(encoding="utf-8"))
    assert manifest["lists"] == {}
    assert [(r["name"], r["reason"]) for r in manifest["removed"]] == [
        ("ofac-sdn", "replaced by the consolidated list")]
    assert not (tmp_path / "var" / "lists" / "ofac-sdn.jsonl.gz").exists()
    code, out, _ = run("screen", declaration_file(tmp_path, BANK))
    assert code == 0 and json.loads(out)["verdict"] == "clear"
    code, _, err = run("lists", "remove", "ofac-sdn", "--reason", "again")
    assert code == 2 and "not in the manifest" in err


def test_snapshots_without_a_manifest_are_refused_until_adopted(rules: Path, tmp_path: Path) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    (tmp_path / "var" / "lists.manifest.json").unlink()
    code, _, err = run("screen", declaration_file(tmp_path, BANK))
    assert code == 3 and "lists adopt" in err
    code, out, _ = run("lists", "adopt")
    assert code == 0 and "recorded ofac-sdn" in out
    code, out, _ = run("screen", declaration_file(tmp_path, BANK))
    assert code == 0 and json.loads(out)["verdict"] == "block"


def test_an_out_of_date_list_makes_the_verdict_review(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    furniture = {**BANK, "consignee": {"name": "Sakura Furniture KK", "country": "JP"}, "destination_country": "JP"}
    code, out, _ = run("screen", declaration_file(tmp_path, furniture))
    assert code == 0 and json.loads(out)["verdict"] == "clear" and json.loads(out)["findings"] == []
    # an interval of 86 microseconds: any snapshot is older than that by the time `show` reads it
    monkeypatch.setenv("EXPORT_SCREEN_LIST_MAX_AGE_DAYS", '{"ofac-sdn": 0.000000001}')  # about 0.1 s
    code, out, _ = run("screen", declaration_file(tmp_path, furniture), "--format", "text")
    assert code == 0 and "REVIEW" in out and "LIST-OUT-OF-DATE" in out and "ofac-sdn list" in out


def test_an_unreadable_manifest_refuses_screening_and_adoption(rules: Path, tmp_path: Path) -> None:
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    (tmp_path / "var" / "lists.manifest.json").write_text("{cut", encoding="utf-8")
    code, _, err = run("screen", declaration_file(tmp_path, BANK))
    assert code == 3 and "the list manifest cannot be read" in err
    code, _, err = run("lists", "adopt")
    assert code == 3 and "move it aside" in err


def test_lists_show_says_what_screening_rests_on(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run("lists", "show")
    assert code == 0 and "no official list is loaded" in out
    assert run("lists", "import", "--format", "ofac", str(OFAC_MINI))[0] == 0
    code, out, _ = run("lists", "show")
    assert code == 0 and "no official list" not in out and "OUT OF DATE" not in out
    # an interval of 86 microseconds: any snapshot is older than that by the time `show` reads it
    monkeypatch.setenv("EXPORT_SCREEN_LIST_MAX_AGE_DAYS", '{"ofac-sdn": 0.000000001}')
    code, out, _ = run("lists", "show", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["ofac-sdn"]["out_of_date"] is True and rows["tw-curated"]["out_of_date"] is False
    code, out, _ = run("lists", "show")
    assert "OUT OF DATE (update interval 1e-09 days)" in out


def test_a_curated_list_cut_short_refuses_to_screen(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lists = Path(shutil.copytree(RULES / "lists", tmp_path / "lists"))
    monkeypatch.setenv("EXPORT_SCREEN_LISTS_DIR", str(lists))
    huawei = {**BANK, "consignee": {"name": "Huawei", "country": "CN"}, "destination_country": "CN",
              "export_date": "2025-07-01"}
    code, out, _ = run("screen", declaration_file(tmp_path, huawei), "--retrospective")
    assert code == 0 and json.loads(out)["verdict"] == "block"  # the name exactly as listed
    curated = lists / "taiwan-curated.yaml"
    text = curated.read_text(encoding="utf-8")
    curated.write_text(text[: text.index("  - id: tw-el-2025-huawei\n")], encoding="utf-8")
    code, out, err = run("screen", declaration_file(tmp_path, huawei), "--retrospective")
    assert code == 3 and out == "" and "entries missing: tw-el-2025-huawei" in err
    code, out, _ = run("rules", "check")
    assert code == 0 and "NOT APPROVED" in out and "taiwan-curated.yaml" in out
