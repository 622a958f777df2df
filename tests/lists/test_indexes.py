"""The stored party index: built when the lists change, mapped at start, rebuilt (never trusted) when it
is missing, stale or corrupt, and never an empty index when the lists cannot be loaded."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service.engine.parties.index import PartyIndex
from service.lists.indexes import index_path, index_root, open_index, refresh_index
from service.lists.intake import remove_list, take_in
from service.lists.load import ListLoadError, load_lists
from service.lists.store import snapshot_dir
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
    return index_path(settings.data_dir, load_lists(settings, entries=False).stamps)


def _blocks(index: object) -> bool:
    if isinstance(index, TimedParties):  # (a context's screener is timed for the metrics)
        index = index.screener
    assert isinstance(index, PartyIndex)
    hits = index.match(LISTED)
    return bool(hits) and hits[0].action.value == "block"


def test_refresh_stores_the_index_that_every_process_maps(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored == _stored_dir(settings) and (stored / "tables.json").is_file()
    opened = open_index(settings, load_lists(settings, entries=False).stamps)
    assert _blocks(opened) and opened._rows is None  # (mapped: no rows built in this process)
    context = load_context(settings)
    assert _blocks(context.parties)


def test_a_start_without_a_stored_index_builds_and_stores_it(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    assert not index_root(settings.data_dir).exists()
    assert _blocks(load_context(settings).parties)
    assert (_stored_dir(settings) / "tables.json").is_file()


def test_a_corrupt_index_is_rebuilt_from_the_snapshots(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = _imported(tmp_path)
    stored = refresh_index(settings)
    assert stored is not None
    flat = stored / "postings.flat.npy"
    flat.write_bytes(flat.read_bytes()[:-8] + bytes(8))  # (zeroed rows: a silently wrong index if trusted)
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        context = load_context(settings)
    assert _blocks(context.parties)
    assert "party_index_rebuild" in caplog.text and "corrupt" in caplog.text
    assert open_index(settings, load_lists(settings, entries=False).stamps) is not None  # (stored whole again)


def test_an_index_of_other_lists_is_not_used(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    old = refresh_index(settings)
    take_in(settings, "ofac", ofac_copy(tmp_path, keep_rows=4), force=True)  # another version of the list
    assert old is not None and old.exists() and old != _stored_dir(settings)
    context = load_context(settings)
    assert context.parties is not None and context.parties.stamps() == load_lists(settings).stamps
    assert (_stored_dir(settings) / "tables.json").is_file() and not old.exists()  # (the stale one is dropped)


def test_a_corrupt_snapshot_without_an_index_refuses_to_screen(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    path = snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ListLoadError, match="ofac-sdn"):
        load_context(settings)
    assert not index_root(settings.data_dir).exists() or not _stored_dir_exists(settings)


def _stored_dir_exists(settings: Settings) -> bool:
    return any(path.is_dir() for path in index_root(settings.data_dir).iterdir())


def test_the_bundled_lists_alone_are_built_in_memory(tmp_path: Path) -> None:
    settings = _imported(tmp_path)
    refresh_index(settings)
    remove_list(settings, "ofac-sdn", "test")
    assert refresh_index(settings) is None and not index_root(settings.data_dir).exists()
    context = load_context(settings)
    assert context.parties is not None and not index_root(settings.data_dir).exists()
    assert context.parties.match("Sharp Edge Engineering Inc.", "TW")


def test_an_index_that_cannot_be_stored_is_kept_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _imported(tmp_path)

    def refused(*_: object) -> None:
        raise PermissionError("read-only data directory")

    monkeypatch.setattr("service.lists.indexes.write_tables", refused)
    context = load_context(settings)
    assert _blocks(context.parties)
    assert not _stored_dir_exists(settings)  # (no half-written directory left behind)
