"""The cross-script keys built by a second process while the index is stored: the same files as built
in one process, and the storing process builds them itself whenever the second one cannot."""

from __future__ import annotations

import gc
import io
import json
import logging
import marshal
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.index import KeyedWords, PartyIndex, build_tables, keyed_words
from service.engine.parties.names import normalise_name
from service.engine.parties.postings import Postings, postings_from, postings_names, strings_from
from service.engine.parties.tables import POSTINGS, IndexTables
from service.engine.verdict import ListStamp
from service.lists import script_keys
from service.lists.indexes import DESCRIPTION, KEYS, SCRIPTS, refresh_index
from service.lists.intake import take_in
from service.lists.script_keys import DESCRIBED, ScriptKeysAside, build
from service.settings import Settings
from tests.engine.parties.test_index import ENTRIES
from tests.lists.helpers import ofac_copy, settings_for


def _stored_files(tmp_path: Path) -> dict[str, object]:
    """Import the OFAC fixture, store its index, and give the index's files as described, but for the
    rows' names: their values. (Marshal marks an object that something else holds too, so the same
    names can be other bytes as one process or the other held their words meanwhile.)"""
    settings: Settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    stored = refresh_index(settings)
    assert stored is not None
    files: dict[str, object] = json.loads((stored / DESCRIPTION).read_bytes())["files"]
    names = strings_from({f"names.{part}": np.load(stored / f"rows.names.{part}.npy") for part in ("blob", "offsets")},
                         "names")
    del files["rows.names.blob.npy"], files["rows.names.offsets.npy"]
    files["rows.names"] = [marshal.loads(names.raw(number)) for number in range(len(names))]
    return files


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every second process started (one for lists of any size)."""
    monkeypatch.setattr(script_keys, "SECOND_PROCESS_FROM", 0)
    made: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def counted(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = popen(*args, **kwargs)  # type: ignore[call-overload]
        made.append(process)
        return process

    monkeypatch.setattr(script_keys.subprocess, "Popen", counted)
    return made


def test_the_second_process_writes_the_files_one_process_would(
        tmp_path: Path, started: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)  # (it imports the modules this process imported, from wherever it runs)
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        aside = _stored_files(tmp_path / "aside")
    assert len(started) == 1 and started[0].returncode == 0
    assert "event=party_index_scripts_inline" not in caplog.text
    monkeypatch.setattr(script_keys, "SECOND_PROCESS", (str(tmp_path / "no-such-program"),))
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        alone = _stored_files(tmp_path / "alone")
    assert "event=party_index_scripts_inline" in caplog.text  # (it could not start: built in one process)
    assert {*SCRIPTS, *KEYS} <= set(aside)
    assert aside == alone  # (every file's size and sha256, the keys' among them; the rows' names)


def test_a_small_list_starts_no_second_process(tmp_path: Path, started: list[subprocess.Popen[bytes]],
                                               monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(script_keys, "SECOND_PROCESS_FROM", 50_000)
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        assert set(SCRIPTS) <= set(_stored_files(tmp_path))
    assert not started and "event=party_index_scripts_inline" not in caplog.text


def test_a_failed_second_process_leaves_the_keys_to_the_first(
        tmp_path: Path, started: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    expected = _stored_files(tmp_path / "expected")
    monkeypatch.setattr(script_keys, "SECOND_PROCESS", (sys.executable, "-c", "import sys; sys.exit(3)"))
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        failed = _stored_files(tmp_path / "failed")
    assert len(started) == 2 and started[1].returncode == 3
    assert "event=party_index_scripts_inline" in caplog.text
    assert failed == expected


def test_an_abandoned_second_process_is_stopped(tmp_path: Path, started: list[subprocess.Popen[bytes]],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script_keys, "SECOND_PROCESS", (sys.executable, "-c", "import time; time.sleep(600)"))
    aside = ScriptKeysAside(tmp_path / "scripts")
    aside.start(1)
    assert len(started) == 1
    aside.close()
    assert started[0].returncode is not None  # (stopped and reaped: no process left behind)
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0].pid, os.WNOHANG)
    assert aside.finish() is None


def _frames(rows: list[KeyedWords], batch: int, count: int | None) -> bytes:
    """What the storing process sends: the rows' words in frames of `batch`, then their count."""
    sent = b""
    for start in range(0, len(rows), batch):
        frame = marshal.dumps(rows[start:start + batch])
        sent += len(frame).to_bytes(8, "little") + frame
    if count is not None:
        sent += (0).to_bytes(8, "little") + count.to_bytes(8, "little")
    return sent


# with former names and annotations, whose words are keys of their row too
KEYED = [*ENTRIES,
         ListEntry(id="pioneer", source_list="test", name="Ocean Pioneer (ex-Cape Star)", kind=EntryKind.VESSEL),
         ListEntry(id="korvex", source_list="test", name="Korvex Mobil Corporation Dubai Branch Office 2")]
KEYED_STAMPS = [ListStamp(name="test", version="sha256:test", entries=len(KEYED))]


def test_the_second_process_builds_the_keys_of_the_words_it_is_sent(tmp_path: Path) -> None:
    # both kinds of keys: of the rows' words (the tables' postings) and across scripts
    index = PartyIndex(KEYED, KEYED_STAMPS)
    tables = index.tables()
    names = [tables.row(number).name for number in range(len(tables))]
    assert any(name.former for name in names) and any(name.qualifiers for name in names)
    rows = [keyed_words(tables.row(number).name) for number in range(len(tables))]
    assert build(io.BytesIO(_frames(rows, 3, len(rows))), tmp_path) == 0
    assert gc.isenabled()  # (paused while building only: a caller in this process keeps its collector)
    described = json.loads((tmp_path / DESCRIBED).read_bytes())
    expected = {**tables.postings.arrays(POSTINGS), **index.script_postings().arrays("scripts")}
    assert set(described) == {f"{name}.npy" for name in expected}
    for name, array in expected.items():
        assert np.array_equal(np.load(tmp_path / f"{name}.npy"), array)


def test_the_tables_take_the_keys_the_second_process_built(tmp_path: Path) -> None:
    # built in one process, and with the rows' keys left to another: the same tables
    alone = PartyIndex(KEYED, KEYED_STAMPS).tables()
    sent: list[KeyedWords] = []
    asked: list[int] = []

    def keys_aside() -> Postings | None:
        asked.append(len(sent))
        assert build(io.BytesIO(_frames(sent, 2, len(sent))), tmp_path) == 0
        return postings_from({name: np.load(tmp_path / f"{name}.npy") for name in postings_names(POSTINGS)},
                             POSTINGS)

    aside = build_tables(KEYED, lambda rows: sent.extend(keyed_words(row.name) for row in rows), keys_aside)
    assert asked == [len(alone)]  # (once, after every row was sent)
    _assert_same_tables(aside, alone)


def test_the_keys_the_second_process_did_not_build_are_filed_by_the_first() -> None:
    alone = PartyIndex(KEYED, KEYED_STAMPS).tables()
    _assert_same_tables(build_tables(KEYED, lambda rows: None, lambda: None), alone)


def _assert_same_tables(tables: IndexTables, expected: IndexTables) -> None:
    """Every array alike, but the rows' names, which are alike as values (_stored_files says why)."""
    arrays = tables.arrays()
    for name, array in expected.arrays().items():
        if not name.startswith("rows.names."):
            assert np.array_equal(arrays[name], array), name
    assert [marshal.loads(tables.names.raw(number)) for number in range(len(tables))] \
        == [marshal.loads(expected.names.raw(number)) for number in range(len(expected))]


@pytest.mark.parametrize("count", [None, 2], ids=["rows cut off", "a wrong count"])
def test_rows_that_do_not_end_as_sent_write_nothing(tmp_path: Path, count: int | None) -> None:
    names = ("Brevanti Trading", "Ocean Pioneer (ex-Cape Star)", "Kim Jong Un")
    rows = [keyed_words(normalise_name(name)) for name in names]
    assert build(io.BytesIO(_frames(rows, 2, count)), tmp_path) == 1
    assert not (tmp_path / DESCRIBED).exists()
