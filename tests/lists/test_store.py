"""Snapshot files: round trip, content hash, corruption detection and atomic replacement."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from service import files
from service.lists.store import (
    SnapshotError,
    read_info,
    read_snapshot,
    snapshot_path,
    snapshot_paths,
    write_snapshot,
)
from tests.lists.helpers import entry


def _write(directory: Path, count: int = 3, name: str = "test-list"):
    entries = [entry(str(i), f"Party {i}") for i in range(count)]
    return write_snapshot(directory, name, "yaml", entries, "source.yaml", "abc", warnings=1)


def test_round_trip_with_header(tmp_path: Path) -> None:
    info = _write(tmp_path)
    assert info.entries == 3 and info.version.startswith("sha256:") and len(info.version) == 23
    assert read_info(snapshot_path(tmp_path, "test-list")) == info
    loaded_info, entries = read_snapshot(snapshot_path(tmp_path, "test-list"))
    assert loaded_info == info and [e.name for e in entries] == ["Party 0", "Party 1", "Party 2"]


def test_same_content_same_version(tmp_path: Path) -> None:
    assert _write(tmp_path / "a").version == _write(tmp_path / "b").version
    assert _write(tmp_path / "c", count=4).version != _write(tmp_path / "a").version


def test_tampered_content_is_detected(tmp_path: Path) -> None:
    _write(tmp_path)
    path = snapshot_path(tmp_path, "test-list")
    text = gzip.decompress(path.read_bytes()).replace(b"Party 1", b"Party X")
    path.write_bytes(gzip.compress(text))
    with pytest.raises(SnapshotError, match="does not match its sha256"):
        read_snapshot(path)


@pytest.mark.parametrize("damage", [b"not gzip at all", b""])
def test_unreadable_file_is_an_error(tmp_path: Path, damage: bytes) -> None:
    path = snapshot_path(tmp_path, "test-list")
    path.write_bytes(damage)
    with pytest.raises(SnapshotError):
        read_snapshot(path)


def test_cut_off_gzip_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, count=200)
    path = snapshot_path(tmp_path, "test-list")
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(SnapshotError):
        read_snapshot(path)


def test_header_missing(tmp_path: Path) -> None:
    path = snapshot_path(tmp_path, "test-list")
    path.write_bytes(gzip.compress(b'{"id": "1"}\n'))
    with pytest.raises(SnapshotError, match="header missing or invalid"):
        read_info(path)


def test_failed_write_keeps_the_previous_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _write(tmp_path)

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        _write(tmp_path, count=5)
    monkeypatch.undo()
    assert read_snapshot(snapshot_path(tmp_path, "test-list"))[0] == before
    assert [p.name for p in tmp_path.iterdir()] == ["test-list.jsonl.gz"]  # no temporary file left behind


def test_replacement_is_a_rename_of_a_complete_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path)
    seen: list[int] = []
    real_replace = os.replace

    def checking_replace(src: str, dst: str) -> None:
        seen.append(len(read_snapshot(Path(src))[1]))  # the temporary file is already whole and valid
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", checking_replace)
    _write(tmp_path, count=7)
    assert seen == [7]
    assert oct(snapshot_path(tmp_path, "test-list").stat().st_mode & 0o777) == "0o644"


def test_temporary_files_are_not_snapshots(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / ".test-list.jsonl.gz.x1.tmp").write_bytes(b"partial")
    (tmp_path / ".other.jsonl.gz").write_bytes(b"partial")
    assert [p.name for p in snapshot_paths(tmp_path)] == ["test-list.jsonl.gz"]
    assert snapshot_paths(tmp_path / "missing") == []


@pytest.mark.parametrize("name", ["../escape", "Upper", "", "a/b", "x" * 65])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(SnapshotError, match="lower-case"):
        snapshot_path(tmp_path, name)
