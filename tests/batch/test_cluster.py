"""On a Dask cluster a file screens to the same bytes as on the local pool, the context is shipped once per
list version, and a cluster that cannot be reached or cannot load the rules publishes nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.batch.run import BatchOptions, ClusterUnavailable, Summary, run_batch
from service.batch.screening import ContextUnavailable
from service.cli import app
from service.engine.checks.clearances import DeniedParty, standing_of
from service.engine.parties.entry import ListEntry
from service.lists.manifest import record
from service.lists.store import recorded, snapshot_dir, write_snapshot
from service.runtime import load_context
from service.settings import Settings
from tests.batch.conftest import read_output, row, write_csv
from tests.cluster import loads_per_worker

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url="sqlite://")


def messy_rows() -> list[list[str]]:
    """Multi-row shipments, bad rows, rows without a reference, and one reference split across the file."""
    rows = []
    for n in range(150):
        reference = f"SO-{n // 3}"
        rows.append(row(reference, "854231" if n % 7 == 0 else "940360", country="RU" if (n // 3) % 5 == 0 else "DE"))
    rows[10][6] = "12"  # a bad HS code fails its whole shipment
    rows[40][3] = "Narnia"
    rows[70] = [""] * len(rows[70])  # an empty row
    rows[100][0] = ""  # no reference
    rows.insert(5, row("SPLIT-1", "940360", country="RU"))
    rows.append(row("SPLIT-1", "854231", country="RU"))  # the same order's controlled line, far apart
    return rows


def both(source: Path, tmp_path: Path, settings: Settings, dask_cluster: str, **options: object) -> tuple[bytes, bytes]:
    """The result file from the local pool and from the cluster, for the same input and options."""
    pool, remote = tmp_path / "pool.out", tmp_path / "cluster.out"
    pool_summary = run_batch(source, pool, settings, BatchOptions(workers=2, chunk_rows=10, **options))  # type: ignore[arg-type]
    cluster_summary = run_batch(source, remote, settings,
                                BatchOptions(workers=2, chunk_rows=10, cluster=dask_cluster, **options))  # type: ignore[arg-type]
    assert _counts(pool_summary) == _counts(cluster_summary)
    return pool.read_bytes(), remote.read_bytes()


def _counts(summary: Summary) -> tuple[object, ...]:
    return (summary.rows, summary.shipments, summary.error_rows, summary.rows_by_verdict,
            summary.shipments_by_verdict, summary.split_references)


@pytest.mark.parametrize("jsonl", [False, True])
def test_the_cluster_writes_the_same_bytes_as_the_local_pool(
    tmp_path: Path, settings: Settings, dask_cluster: str, jsonl: bool
) -> None:
    source = write_csv(tmp_path / "in.csv", messy_rows())
    pool, remote = both(source, tmp_path, settings, dask_cluster, jsonl=jsonl, retrospective=True)
    assert remote == pool
    text = remote.decode("utf-8-sig")
    assert text.count("\n") == len(messy_rows()) + (0 if jsonl else 1)
    assert "HS/CCC code '12'" in text and "Narnia" in text and "reference is empty" in text


def test_rows_come_back_in_input_order_with_their_row_numbers(
    tmp_path: Path, settings: Settings, dask_cluster: str
) -> None:
    source = write_csv(tmp_path / "in.csv", messy_rows())
    out = tmp_path / "out.csv"
    run_batch(source, out, settings, BatchOptions(chunk_rows=10, cluster=dask_cluster, retrospective=True))
    rows = read_output(out)
    assert [r["reference"] for r in rows] == [cells[0] for cells in messy_rows()]
    assert rows[0]["verdict"] == "block"  # SO-0 ships to Russia with a Common High Priority item
    assert rows[5]["verdict"] == rows[-1]["verdict"] == "block"  # SPLIT-1 screened whole
    assert "HS/CCC code '12'" in rows[11]["row_status"]  # spreadsheet row 13
    assert "not screened: row 13 is invalid in reference SO-3" in rows[10]["row_status"]


def test_the_context_is_loaded_once_per_worker_and_list_version(
    tmp_path: Path, settings: Settings, dask_cluster: str
) -> None:
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}") for n in range(400)])
    before = sum(loads_per_worker(dask_cluster))
    for name in ("a.csv", "b.csv"):  # 40 chunks in 10 tasks each; two runs
        run_batch(source, tmp_path / name, settings, BatchOptions(chunk_rows=10, cluster=dask_cluster))
    after_two_runs = sum(loads_per_worker(dask_cluster))
    assert after_two_runs - before <= 2  # at most one load per worker process, however many tasks and runs
    changed = settings.model_copy(update={"review_threshold": 71.0})  # another context: loaded again, once
    run_batch(source, tmp_path / "c.csv", changed, BatchOptions(chunk_rows=10, cluster=dask_cluster))
    assert 1 <= sum(loads_per_worker(dask_cluster)) - after_two_runs <= 2


def test_the_own_deny_list_reaches_the_workers(tmp_path: Path, settings: Settings, dask_cluster: str) -> None:
    denied = DeniedParty(id=1, name="Kessler GmbH", name_key="kessler gmbh", country=None, decision_id=1)
    context = dataclasses.replace(load_context(settings), standing=standing_of([], [denied]))
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}", consignee="Kessler GmbH" if n == 37 else "Hansen AS")
                                             for n in range(60)])
    out = tmp_path / "out.csv"
    run_batch(source, out, settings, BatchOptions(chunk_rows=10, cluster=dask_cluster, retrospective=True),
              context=context)
    verdicts = [r["verdict"] for r in read_output(out)]
    assert verdicts[37] == "block" and verdicts.count("block") == 1


def test_a_cluster_that_cannot_be_reached_publishes_nothing(tmp_path: Path, settings: Settings) -> None:
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}") for n in range(60)])
    out = tmp_path / "out.csv"
    quick = settings.model_copy(update={"dask_timeout_seconds": 1.0})
    with pytest.raises(ClusterUnavailable, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        run_batch(source, out, quick, BatchOptions(chunk_rows=10, cluster="tcp://127.0.0.1:9"))
    assert not out.exists() and not out.with_name("out.csv.partial").exists()


def test_workers_that_cannot_load_the_rules_stop_the_run(tmp_path: Path, settings: Settings, dask_cluster: str) -> None:
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("rules: [\n")
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}") for n in range(60)])
    out = tmp_path / "out.csv"
    with pytest.raises(ContextUnavailable, match="nothing screened"):
        run_batch(source, out, settings.model_copy(update={"rules_dir": broken}),
                  BatchOptions(chunk_rows=10, cluster=dask_cluster))
    assert not out.exists() and not out.with_name("out.csv.partial").exists()


def test_the_command_says_the_cluster_cannot_be_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EXPORT_SCREEN_DASK_TIMEOUT_SECONDS", "1")
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}") for n in range(3000)])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["batch", str(source), "-o", str(out), "--cluster", "tcp://127.0.0.1:9"])
    assert result.exit_code == 3, result.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "no result written" in result.output and not out.exists()


def test_a_stored_list_snapshot_reaches_the_workers(tmp_path: Path, settings: Settings, dask_cluster: str) -> None:
    listed = ListEntry(id="E-1", source_list="test-list", name="Vostok Machine Tools OOO", countries=["RU"])
    info = write_snapshot(snapshot_dir(settings.data_dir), "test-list", "yaml", [listed], "test", "0")
    record(settings.data_dir, "test-list", recorded(info))
    required = settings.model_copy(update={"required_lists": ["test-list"]})  # missing on a worker: no screening
    rows = [row(f"SO-{n}", consignee="Vostok Machine Tools OOO" if n == 41 else "Hansen AS") for n in range(60)]
    source = write_csv(tmp_path / "in.csv", rows)
    pool, remote = both(source, tmp_path, required, dask_cluster, retrospective=True)
    assert remote == pool
    verdicts = [r["verdict"] for r in read_output(tmp_path / "cluster.out")]
    assert verdicts[41] == "block" and verdicts.count("block") == 1
