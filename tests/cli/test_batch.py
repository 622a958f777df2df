"""`export-screen batch`: exit 0 with a summary whenever rows got results; 2 or 3 when nothing could run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.batch.conftest import read_output, row, write_csv

runner = CliRunner()


def test_batch_writes_result_and_summary(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [row("SO-1"), row("RU-1", "854231", country="RU"), row("X", "1")])
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["batch", str(source), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "screened 3 rows in 3 shipments" in result.output
    assert "block 1" in result.output and "errors 1" in result.output
    assert [r["reference"] for r in read_output(out)] == ["SO-1", "RU-1", "X"]


def test_batch_jsonl(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [row("SO-1")])
    out = tmp_path / "out.jsonl"
    assert runner.invoke(app, ["batch", str(source), "-o", str(out), "--jsonl"]).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith('{"row": 2')


def test_batch_with_mapping(tmp_path: Path) -> None:
    mapping = Path(__file__).resolve().parents[2] / "service" / "batch" / "mappings" / "sap-example.yaml"
    source = write_csv(tmp_path / "in.csv", [["8000001", "Kessler GmbH", "DE", "DE", "940360"]],
                       header=["VBELN", "NAME1_WE", "LAND1_WE", "LAND1", "STAWN"])
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["batch", str(source), "-o", str(out), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert read_output(out)[0]["row_status"] == "ok"


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [("missing", 3, "cannot read"), ("no-columns", 2, "required column"), ("bad-encoding", 3, "unknown encoding")],
)
def test_batch_fatal_errors(tmp_path: Path, setup: str, code: int, message: str) -> None:
    source = tmp_path / "in.csv"
    if setup != "missing":
        write_csv(source, [["x"]], header=["reference"])
    extra = ["--encoding", "klingon"] if setup == "bad-encoding" else []
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.csv"), *extra])
    assert result.exit_code == code
    assert message in result.output


def test_batch_refuses_without_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("rules: [\n")
    monkeypatch.setenv("EXPORT_SCREEN_RULES_DIR", str(broken))
    source = write_csv(tmp_path / "in.csv", [row("SO-1")])
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 3
    assert "nothing screened" in result.output
    assert not (tmp_path / "o.csv").exists()


def test_output_must_not_overwrite_the_input(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [row("SO-1")])
    result = runner.invoke(app, ["batch", str(source), "-o", str(source)])
    assert result.exit_code == 2
    assert "must not be the input" in result.output


def test_batch_retrospective_mode(tmp_path: Path) -> None:
    old = row("OLD-1")
    old[1] = "2021-01-04"
    source = write_csv(tmp_path / "in.csv", [old])
    for extra, verdict in (([], "review"), (["--retrospective"], "clear")):
        out = tmp_path / "out.csv"
        result = runner.invoke(app, ["batch", str(source), "-o", str(out), "--workers", "1", *extra])
        assert result.exit_code == 0, result.output
        assert read_output(out)[0]["verdict"] == verdict
