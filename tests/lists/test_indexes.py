"""The stored party index: built when the lists change, read at start, rebuilt (never trusted) when it
is missing, stale or corrupt, and never an empty index when the lists cannot be loaded."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from service.engine.parties.index import PartyIndex
from service.engine.parties.stored_entries import StoredEntries
from service.lists import indexes
from service.lists import load as load_module
from service.lists.indexes import (
    DESCRIPTION,
    ENTRIES,
    SCRIPTS,
    TABLES,
    StoredIndexError,
    index_path,
    index_root,
    open_index,
    refresh_index,
)
from service.lists.intake import remove_list, take_in
from service.lists.load import ListLoadError, load_lists
from service.lists.store import read_snapshot_lines, snapshot_dir
from service.metrics import TimedParties
from service.runtime import load_context
from service.settings import Settings
from tests.lists.helpers import ofac_copy, settings_for

LISTED = "BANCO NACIONAL DE CUBA"  # in the OFAC fixture


def _imported(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    return settings


def _stored_dir(settings: Settings) -> Path:
    return index_path(settings.data_dir, load_lists(settings).stamps)


def _index(screener: object) -> PartyIndex:
    if isinstance(screener, TimedParties):  # (a context's screener is timed for the metrics)
        screener = screener.screener
    assert isinstance(screener, PartyIndex)
    return screener


def _blocks(screener: object) -> bool:
    hits = _index(screener).match(LISTED)
    return bool(hits) and hits[0].action.value == "block"


def test_refresh_stores_the_index_that_every_process_reads(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored == _stored_dir(settings) and (stored / DESCRIPTION).is_file()
    opened = open_index(settings, load_lists(settings))
    assert _blocks(opened)
    for name, array in opened.tables().arrays().items():  # (mapped: pages shared between processes)
        assert name == "postings.rows" or (isinstance(array.base, np.memmap) and not array.flags.writeable)
    assert _blocks(load_context(settings).parties)


def test_a_stored_index_answers_as_a_built_one(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    refresh_index(settings)
    lists = load_lists(settings)
    queries = [name for entry in lists.entries for name in entry.all_names()] + ["Banco Nacional de Kuba", "銳元科技"]
    built = indexes.screener(settings, lists)
    opened = open_index(settings, lists)
    assert [opened.match(query, "CU") for query in queries] == [built.match(query, "CU") for query in queries]


def test_a_start_without_a_stored_index_builds_and_stores_it(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    assert not index_root(settings.data_dir).exists()
    assert _blocks(load_context(settings).parties)
    assert (_stored_dir(settings) / DESCRIPTION).is_file()


@pytest.mark.parametrize("name", ["rows.names.blob.npy", "rows.flags.npy", "exact.hashes.npy", "postings.flat.npy",
                                  "postings.keys.blob.npy"])
def test_a_corrupt_index_is_rebuilt_from_the_snapshots(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                       name: str) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored is not None
    damaged = stored / name
    damaged.write_bytes(damaged.read_bytes()[:-8] + bytes(8))  # (zeroed rows: a silently wrong index if trusted)
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        context = load_context(settings)
    assert _blocks(context.parties)
    assert "party_index_rebuild" in caplog.text and "corrupt" in caplog.text
    assert open_index(settings, load_lists(settings)) is not None  # (stored whole again)


def test_corrupt_cross_script_keys_are_built_instead(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored is not None
    lists = load_lists(settings)
    expected = indexes.screener(settings, lists).script_postings().arrays("scripts")
    (stored / SCRIPTS[-2]).write_bytes(b"\0")
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        found = open_index(settings, lists).script_postings().arrays("scripts")
    assert found.keys() == expected.keys()
    assert all(np.array_equal(found[name], expected[name]) for name in expected)
    assert "party_index_scripts_rebuild" in caplog.text


def test_a_file_of_another_size_is_refused(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored is not None
    with (stored / TABLES[0]).open("ab") as grown:
        grown.write(bytes(8))
    with pytest.raises(StoredIndexError, match="size does not match"):
        open_index(settings, load_lists(settings))


SECOND_PROCESS = """
import json, sys
from pathlib import Path
from service.lists.indexes import open_index
from service.lists.load import load_lists
from service.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]))
index = open_index(settings, load_lists(settings))
for array in index.tables().arrays().values():
    int(array.sum())  # (every page read)
index.match("BANCO NACIONAL DE CUBA")
held = {"shared": 0, "private_dirty": 0, "files": set()}
path = None
for line in Path("/proc/self/smaps").read_text().splitlines():
    if not line.endswith("kB"):
        fields = line.split()
        path = fields[5] if len(fields) > 5 and fields[5].startswith(sys.argv[2]) else None
        if path:
            held["files"].add(Path(path).name)
    elif path and line.startswith(("Shared_Clean:", "Shared_Dirty:")):
        held["shared"] += int(line.split()[1])
    elif path and line.startswith("Private_Dirty:"):
        held["private_dirty"] += int(line.split()[1])
print(json.dumps({**held, "files": sorted(held["files"])}))
"""


def test_a_second_process_maps_the_same_pages(tmp_path: Path) -> None:
    """Two processes that open the stored index share its files' pages: neither holds a copy."""
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored is not None
    opened = open_index(settings, load_lists(settings))
    for array in opened.tables().arrays().values():
        int(array.sum())  # (mapped and read here too, as a running worker does)
    root = Path(__file__).resolve().parents[2]
    child = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(settings.data_dir), str(stored)], cwd=root,
                           check=True, capture_output=True, text=True)
    held = json.loads(child.stdout.strip().splitlines()[-1])
    # (every array but the number of rows, read once, and the entries; the cross-script keys are mapped
    # when first needed)
    assert set(held["files"]) == set(TABLES) - {"postings.rows.npy"} | set(ENTRIES)
    assert held["shared"] > 0 and held["private_dirty"] == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "party-index/0"}, "another index format"),
    ({"identity": "0" * 64}, "other lists"),
    ({"matcher": "0" * 64}, "another version of the party matcher"),
    ({"files": {}}, "does not list"),
])
def test_another_format_lists_or_matcher_is_refused(tmp_path: Path, change: dict[str, object], message: str) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored is not None
    description = json.loads((stored / DESCRIPTION).read_text("utf-8"))
    (stored / DESCRIPTION).write_text(json.dumps(description | change), "utf-8")
    with pytest.raises(StoredIndexError, match=message):
        open_index(settings, load_lists(settings))


def test_an_index_of_other_lists_is_not_used(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    old = refresh_index(settings)
    take_in(settings, "ofac", ofac_copy(tmp_path, keep_rows=4), force=True)  # another version of the list
    assert old is not None and old.exists() and old != _stored_dir(settings)
    context = load_context(settings)
    assert _index(context.parties).stamps() == load_lists(settings).stamps
    assert (_stored_dir(settings) / DESCRIPTION).is_file() and not old.exists()  # (the stale one is dropped)


def test_a_corrupt_snapshot_refuses_to_screen_even_with_an_index(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    refresh_index(settings)
    path = snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ListLoadError, match="ofac-sdn"):
        load_context(settings)


def test_a_process_with_the_stored_index_reads_no_snapshot_entries(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The entries come from the index's mapped files: the snapshots' headers and file hashes are read,
    not their entries (a million of them took seconds and over a GiB in every process)."""
    settings = _imported(tmp_path)
    refresh_index(settings)
    expected = load_lists(settings).entries

    def refused(path: Path) -> None:
        raise AssertionError(f"{path}: entries read")

    monkeypatch.setattr(load_module, "read_snapshot_lines", refused)
    context = load_context(settings)
    assert _blocks(context.parties)
    assert isinstance(_index(context.parties).entries(), StoredEntries)
    assert list(_index(context.parties).entries()) == expected
    listed = expected[-1]
    assert context.entries[(listed.source_list, listed.id)] == listed
    assert context.entries.get((listed.source_list, "no such id")) is None


def test_a_snapshot_file_rewritten_since_the_index_was_stored_is_read_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The same list, its file compressed otherwise: the index's copy of the entries is not trusted
    for another file; the snapshot is read, proven whole, and the index stored again."""
    settings = _imported(tmp_path)
    refresh_index(settings)
    path = snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1, mtime=0))
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        context = load_context(settings)
    assert _blocks(context.parties)
    assert "party_index_rebuild" in caplog.text and "other snapshot files" in caplog.text
    assert open_index(settings, load_lists(settings)) is not None  # (stored again for the file as it is)


def test_the_bundled_lists_alone_are_built_in_memory(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    refresh_index(settings)
    remove_list(settings, "ofac-sdn", "test")
    assert refresh_index(settings) is None and not index_root(settings.data_dir).exists()
    context = load_context(settings)
    assert not index_root(settings.data_dir).exists()
    assert _index(context.parties).match("Sharp Edge Engineering Inc.", "TW")


def test_an_index_that_cannot_be_stored_is_kept_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    settings = _imported(tmp_path)

    def refused(*_: object, **__: object) -> None:
        raise PermissionError("read-only data directory")

    monkeypatch.setattr(indexes, "write_index", refused)
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        context = load_context(settings)
    assert _blocks(context.parties) and "party_index_in_memory" in caplog.text
    assert not any(path.is_dir() for path in index_root(settings.data_dir).iterdir())  # (nothing half-written)


def _described(stored: Path | None) -> dict[str, object]:
    assert stored is not None
    files: dict[str, object] = json.loads((stored / DESCRIPTION).read_bytes())["files"]
    return files


def test_an_import_stores_the_index_from_the_entries_it_has_just_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot as written is its file's bytes: taken from memory, nothing is read back, and the
    index stored is the one that reading the file back gives."""
    settings = settings_for(tmp_path)
    intake = take_in(settings, "ofac", ofac_copy(tmp_path))
    written = intake.written
    assert written is not None
    path = snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz"
    assert written.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    _, read, lines = read_snapshot_lines(path)
    assert written.entries == read and written.lines == lines
    read_back = _described(refresh_index(settings))

    def refused(path: Path) -> None:
        raise AssertionError(f"{path}: entries read")

    monkeypatch.setattr(load_module, "read_snapshot_lines", refused)
    assert _described(refresh_index(settings, [written])) == read_back


def test_a_snapshot_written_over_since_is_read_from_its_file(tmp_path: Path) -> None:
    """Entries kept from an earlier write are not taken for a file that has changed since."""
    settings = settings_for(tmp_path)
    earlier = take_in(settings, "ofac", ofac_copy(tmp_path)).written
    take_in(settings, "ofac", ofac_copy(tmp_path / "fewer", keep_rows=3), force=True)
    assert earlier is not None
    lists = load_lists(settings).with_written([earlier])
    assert lists.snapshots[0].file_sha256 != earlier.file_sha256
    assert len(lists.entries) - len(lists.curated) < len(earlier.entries)
    assert _described(refresh_index(settings, [earlier])) == _described(refresh_index(settings))
