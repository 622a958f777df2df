"""`export-screen parties import FILE`: an ERP customer master registered as monitored parties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from service.cli import app
from service.store.database import make_engine
from service.store.workflow_tables import MonitoredPartyRow

runner = CliRunner()


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """No stored snapshots (the bundled curated list only) and a database of the test's own."""
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    url = f"sqlite:///{tmp_path / 'parties.db'}"
    monkeypatch.setenv("EXPORT_SCREEN_DATABASE_URL", url)
    return url


def _stored(url: str) -> dict[str, MonitoredPartyRow]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = {row.external_id: row for row in session.exec(select(MonitoredPartyRow)).all()}
    engine.dispose()
    return rows


def test_a_cp950_master_with_chinese_headers_is_registered_row_by_row(tmp_path: Path, private_data_dir: str) -> None:
    master = tmp_path / "customers.csv"
    master.write_bytes((
        "客戶編號,客戶名稱,國別,別名,地址\n"
        "C001,Sharp Edge Engineering Co.,TW,,台北市\n"
        "C002,台灣精密軸承股份有限公司,TW,Taiwan Precision Bearings;TPB,新竹市\n"
        "C003,Atlantis Trading,Atlantis,,\n"
        ",No Id Ltd,JP,,\n"
    ).encode("cp950"))
    result = runner.invoke(app, ["parties", "import", str(master)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["registered"], summary["updated"], summary["error_rows"]) == (4, 2, 0, 2)
    assert [error["row"] for error in summary["errors"]] == [4, 5]
    assert summary["screened"]["block"] == 1
    stored = _stored(private_data_dir)
    assert stored["C002"].aliases == ["Taiwan Precision Bearings", "TPB"] and stored["C002"].addresses == ["新竹市"]
    assert stored["C001"].last_result["status"] == "block"
    again = json.loads(runner.invoke(app, ["parties", "import", str(master)]).stdout)
    assert (again["registered"], again["updated"]) == (0, 2)


def test_a_master_without_an_id_column_is_refused(tmp_path: Path) -> None:
    master = tmp_path / "customers.csv"
    master.write_text("name,country\nAcme,JP\n", encoding="utf-8")
    result = runner.invoke(app, ["parties", "import", str(master)])
    assert result.exit_code == 2 and "external_id" in result.output
