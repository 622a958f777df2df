"""`export-screen lists import|show|update` through typer's CliRunner, with a private data directory."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from service.cli import app
from service.cli import lists as lists_cli
from service.lists import load as load_module
from service.lists.schedule import read_status, update_lock
from tests.lists.helpers import OFAC_MINI, SHARED_DATA, ofac_copy

runner = CliRunner()


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EXPORT_SCREEN_LIST_DOWNLOAD_RETRIES", "0")
    monkeypatch.setenv("EXPORT_SCREEN_LIST_SOURCES", json.dumps([
        {"name": "ofac-sdn", "format": "ofac",
         "urls": [f"https://lists.test/{n}" for n in ("sdn.csv", "alt.csv", "add.csv")]},
    ]))
    return tmp_path / "var"


def test_import_then_show(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lists", "import", "--format", "dpl", str(SHARED_DATA / "bis-dpl" / "dpl.txt")])
    assert result.exit_code == 0, result.output
    assert "stored bis-dpl sha256:" in result.stdout and "579 entries, 2 rows skipped" in result.stdout
    assert "duplicate entry id" in result.stderr
    assert "a running service picks this up within 2 s" in result.stdout
    shown = runner.invoke(app, ["lists", "show", "--json"])
    assert shown.exit_code == 0
    rows = json.loads(shown.stdout)
    assert [(r["name"], r["entries"], r["format"]) for r in rows] == [
        ("tw-curated", 4, "yaml (bundled)"), ("bis-dpl", 579, "dpl"),
    ]
    assert rows[1]["imported_at"] and rows[1]["version"].startswith("sha256:")
    table = runner.invoke(app, ["lists", "show"])
    assert "bis-dpl" in table.stdout and "bundled" in table.stdout


def test_import_errors(tmp_path: Path) -> None:
    bad_format = runner.invoke(app, ["lists", "import", "--format", "xls", str(tmp_path)])
    assert bad_format.exit_code == 2 and "expected one of" in bad_format.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    unreadable = runner.invoke(app, ["lists", "import", "--format", "dpl", str(empty)])
    assert unreadable.exit_code == 2 and "file is empty" in unreadable.stderr


def test_refused_import_is_loud_and_keeps_the_previous(tmp_path: Path) -> None:
    assert runner.invoke(app, ["lists", "import", "--format", "ofac", str(OFAC_MINI)]).exit_code == 0
    small = ofac_copy(tmp_path, keep_rows=2)
    refused = runner.invoke(app, ["lists", "import", "--format", "ofac", str(small)])
    assert refused.exit_code == 3
    assert "!!! LIST NOT UPDATED" in refused.stderr and "keeping the previous snapshot" in refused.stderr
    forced = runner.invoke(app, ["lists", "import", "--format", "ofac", str(small), "--force"])
    assert forced.exit_code == 0 and "2 entries" in forced.stdout and "was sha256:" in forced.stdout


def _serve(files: dict[str, bytes]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, content=files[name]) if name in files else httpx.Response(503)
    return httpx.MockTransport(handler)


def test_update_success_and_loud_failure(monkeypatch: pytest.MonkeyPatch, private_data_dir: Path) -> None:
    files = {path.name: path.read_bytes() for path in OFAC_MINI.iterdir()}
    monkeypatch.setattr(lists_cli, "TRANSPORT", _serve(files))
    ok = runner.invoke(app, ["lists", "update"])
    assert ok.exit_code == 0, ok.output
    assert "updated ofac-sdn sha256:" in ok.stdout and "a running service picks this up" in ok.stdout
    recorded = read_status(private_data_dir)
    assert recorded.last_success == recorded.last_attempt and recorded.last_error is None

    monkeypatch.setattr(lists_cli, "TRANSPORT", _serve({}))
    failed = runner.invoke(app, ["lists", "update"])
    assert failed.exit_code == 3
    assert "!!! LIST NOT UPDATED: ofac-sdn" in failed.stderr and "keeping the previous snapshot" in failed.stderr
    assert "1 of 1 lists NOT updated" in failed.stderr
    assert "HTTP 503" in (read_status(private_data_dir).last_error or "")


def test_update_shows_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {path.name: path.read_bytes() for path in OFAC_MINI.iterdir()}
    monkeypatch.setattr(lists_cli, "TRANSPORT", _serve(files))
    monkeypatch.setattr(lists_cli, "_on_terminal", lambda: True)
    shown = runner.invoke(app, ["lists", "update"])
    assert shown.exit_code == 0, shown.output
    assert "[1/1] downloading ofac-sdn ..." in shown.stderr and "[1/1] ofac-sdn: stored" in shown.stderr
    monkeypatch.setattr(lists_cli, "_on_terminal", lambda: False)
    assert "downloading" not in runner.invoke(app, ["lists", "update"]).stderr


def test_update_waits_for_no_one_while_another_update_runs(private_data_dir: Path) -> None:
    with update_lock(private_data_dir) as held:
        assert held
        busy = runner.invoke(app, ["lists", "update"])
    assert busy.exit_code == 3 and "a list update is running now" in busy.stderr


def test_update_unknown_name() -> None:
    result = runner.invoke(app, ["lists", "update", "--name", "nope"])
    assert result.exit_code == 2 and "not configured" in result.stderr


def test_show_refuses_when_a_snapshot_is_corrupt(private_data_dir: Path) -> None:
    assert runner.invoke(app, ["lists", "import", "--format", "ofac", str(OFAC_MINI)]).exit_code == 0
    (private_data_dir / "lists" / "ofac-sdn.jsonl.gz").write_bytes(b"broken")
    result = runner.invoke(app, ["lists", "show"])
    assert result.exit_code == 3 and "nothing would be screened" in result.stderr


TW_SHTC = Path(__file__).resolve().parents[1] / "fixtures" / "tw-shtc" / "entity-list.csv"


def test_import_tw_shtc_holds_it_to_its_size_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = runner.invoke(app, ["lists", "import", "--format", "tw-shtc", str(TW_SHTC)])
    assert refused.exit_code == 3 and "fewer than the 9000 expected" in refused.stderr
    monkeypatch.setenv("EXPORT_SCREEN_LIST_MIN_ENTRIES", '{"tw-shtc": 5}')
    stored = runner.invoke(app, ["lists", "import", "--format", "tw-shtc", str(TW_SHTC)])
    assert stored.exit_code == 0 and "stored tw-shtc sha256:" in stored.stdout and "7 entries" in stored.stdout
    declaration = tmp_path / "d.json"
    declaration.write_text(json.dumps({
        "reference": "AE-1", "export_date": "2026-01-05", "destination_country": "AE",
        "consignee": {"name": "Madeup Logistics Free Zone Establishment", "country": "AE"},
        "items": [{"hs_code": "9403.60", "description": "wooden tables", "quantity": 1}],
    }), encoding="utf-8")
    screened = runner.invoke(app, ["screen", str(declaration)])
    verdict = json.loads(screened.stdout)
    assert verdict["verdict"] == "block" and verdict["findings"][0]["rule_id"] == "DENIED-PARTY-TW-SHTC"
    assert "LISTS-NO-OFFICIAL" not in {finding["rule_id"] for finding in verdict["findings"]}


def test_import_and_remove_store_the_party_index(private_data_dir: Path) -> None:
    """Every process reads the index stored when the lists changed; with no snapshot left, none is kept."""
    imported = runner.invoke(app, ["lists", "import", "--format", "ofac", str(OFAC_MINI)])
    assert imported.exit_code == 0 and "party index stored in" in imported.stdout
    assert len(list((private_data_dir / "index").glob("*/index.json"))) == 1
    removed = runner.invoke(app, ["lists", "remove", "ofac-sdn", "--reason", "test"])
    assert removed.exit_code == 0 and not (private_data_dir / "index").exists()


def test_import_and_update_store_the_index_without_reading_back(monkeypatch: pytest.MonkeyPatch,
                                                                private_data_dir: Path) -> None:
    """The entries a command has just written are the index's: no snapshot is read back and validated."""
    def refused(path: Path) -> None:
        raise AssertionError(f"{path}: entries read back")

    monkeypatch.setattr(load_module, "read_snapshot_lines", refused)
    imported = runner.invoke(app, ["lists", "import", "--format", "ofac", str(OFAC_MINI)])
    assert imported.exit_code == 0 and "party index stored in" in imported.stdout, imported.output
    files = {path.name: path.read_bytes() for path in OFAC_MINI.iterdir()}
    monkeypatch.setattr(lists_cli, "TRANSPORT", _serve(files))
    updated = runner.invoke(app, ["lists", "update"])
    assert updated.exit_code == 0 and "party index stored in" in updated.stdout, updated.output
    assert "not stored" not in imported.stderr + updated.stderr
