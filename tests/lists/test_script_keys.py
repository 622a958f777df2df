"""The cross-script keys built by a second process while the index is stored: the same files as built
in one process, and the storing process builds them itself whenever the second one cannot."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from service.lists import indexes, script_keys
from service.lists.indexes import DESCRIPTION, SCRIPTS, refresh_index
from service.lists.intake import take_in
from service.lists.script_keys import ScriptKeysAside
from service.settings import Settings
from tests.lists.helpers import ofac_copy, settings_for


def _stored_files(tmp_path: Path) -> dict[str, dict[str, object]]:
    """Import the OFAC fixture, store its index, and give the index's files as described."""
    settings: Settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    stored = refresh_index(settings)
    assert stored is not None
    files: dict[str, dict[str, object]] = json.loads((stored / DESCRIPTION).read_bytes())["files"]
    return files


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every fork of the storing process, and forking allowed although the test runner has threads."""
    made: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(script_keys, "forkable", lambda: True)
    monkeypatch.setattr(script_keys.os, "fork", counted)
    return made


def test_the_second_process_writes_the_files_one_process_would(tmp_path: Path, forks: list[int],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    aside = _stored_files(tmp_path / "aside")
    assert len(forks) == 1
    monkeypatch.setattr(script_keys, "forkable", lambda: False)
    alone = _stored_files(tmp_path / "alone")
    assert len(forks) == 1
    assert set(SCRIPTS) <= set(aside)
    assert aside == alone  # (every file's size and sha256, the cross-script keys' among them)


def test_a_failed_second_process_leaves_the_keys_to_the_first(tmp_path: Path, forks: list[int],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    def broken(rows: object) -> object:
        raise MemoryError("no room for the keys")

    monkeypatch.setattr(script_keys, "script_postings_of", broken)  # (only the second process calls it)
    with caplog.at_level(logging.WARNING, logger="service.lists"):
        failed = _stored_files(tmp_path / "failed")
    assert len(forks) == 1
    assert "event=party_index_scripts_inline" in caplog.text
    monkeypatch.setattr(script_keys, "forkable", lambda: False)
    assert failed == _stored_files(tmp_path / "alone")


def test_a_process_with_other_threads_does_not_fork() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not script_keys.forkable()
    finally:
        stop.set()
        other.join()


def test_an_abandoned_second_process_is_stopped(tmp_path: Path, forks: list[int],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script_keys, "script_postings_of", lambda rows: threading.Event().wait())  # (never ends)
    aside = ScriptKeysAside(tmp_path / "scripts", indexes._saved)
    aside.start([])
    assert len(forks) == 1
    aside.close()
    with pytest.raises(ChildProcessError):  # (stopped and reaped: no process left behind)
        os.waitpid(forks[0], os.WNOHANG)
    assert aside.finish() is None
