"""Importing a list: stored with hash and source; truncated or shrunken lists refused, the old one kept."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from service.engine.parties.sources import ListReadError
from service.lists.intake import SnapshotRefused, take_in
from service.lists.store import SnapshotError, current_info, read_snapshot, snapshot_dir
from tests.lists.helpers import CURATED, SHARED_DATA, ofac_copy, settings_for


def test_import_stores_a_snapshot(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    intake = take_in(settings, "ofac", ofac_copy(tmp_path))
    assert intake.previous is None and intake.info.name == "ofac-sdn" and intake.info.entries == 5
    assert intake.info.warnings == 3 and len(intake.warnings) == 3
    assert len(intake.info.source_sha256) == 64 and intake.info.source.endswith("ofac-copy")
    assert current_info(snapshot_dir(settings.data_dir), "ofac-sdn") == intake.info


def test_real_un_list_imports(tmp_path: Path) -> None:
    intake = take_in(settings_for(tmp_path), "un", SHARED_DATA / "un-consolidated" / "UN_consolidated.xml")
    assert intake.info.name == "un-sc" and intake.info.entries == 1003


def test_shrink_beyond_the_limit_is_refused_and_the_old_snapshot_kept(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = take_in(settings, "ofac", ofac_copy(tmp_path)).info
    with pytest.raises(SnapshotRefused, match=r"2 entries against 5 before \(60% fewer") as refused:
        take_in(settings, "ofac", ofac_copy(tmp_path / "small", keep_rows=2))
    assert refused.value.previous == first
    assert "keeping the previous snapshot" in str(refused.value)
    assert current_info(snapshot_dir(settings.data_dir), "ofac-sdn") == first


def test_shrink_within_the_limit_is_accepted(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, list_max_shrink=0.5)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    # keep_rows=4 keeps 3 good records of 5 (40% fewer)
    assert take_in(settings, "ofac", ofac_copy(tmp_path / "smaller", keep_rows=4)).info.entries == 3


def test_force_overrides_the_guards(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    assert take_in(settings, "ofac", ofac_copy(tmp_path / "small", keep_rows=2), force=True).info.entries == 2


def test_truncated_source_is_refused(tmp_path: Path) -> None:
    source = ofac_copy(tmp_path)
    (source / "sdn.csv").write_bytes((source / "sdn.csv").read_bytes()[:-1])
    with pytest.raises(SnapshotRefused, match="Ctrl-Z") as refused:
        take_in(settings_for(tmp_path), "ofac", source)
    assert "NOT available" in str(refused.value)


def test_unreadable_source_stores_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ListReadError):
        take_in(settings, "csl", empty)
    assert not snapshot_dir(settings.data_dir).exists() or not any(snapshot_dir(settings.data_dir).iterdir())


def test_curated_names_are_reserved(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="taken by a bundled curated list"):
        take_in(settings_for(tmp_path), "yaml", CURATED / "taiwan-curated.yaml")


def test_a_corrupt_previous_snapshot_is_replaced(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    directory = snapshot_dir(settings.data_dir)
    directory.mkdir(parents=True)
    (directory / "ofac-sdn.jsonl.gz").write_bytes(b"garbage")
    intake = take_in(settings, "ofac", ofac_copy(tmp_path))
    assert intake.previous is None and intake.info.entries == 5


def test_concurrent_imports_leave_one_whole_snapshot(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    errors: list[BaseException] = []

    def run(rows: int | None, where: str) -> None:
        try:
            take_in(settings, "ofac", ofac_copy(tmp_path / where, keep_rows=rows), force=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rows, f"t{i}")) for i, rows in enumerate([None, 4, None, 4])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    info, entries = read_snapshot(snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz")
    assert info.entries == len(entries) and info.entries in {3, 5}
