"""The cross-script keys of an index being stored, built in a second process meanwhile.

Storing the index of a million names takes most of a minute, and two steps of it are long and
independent once every name is filed: packing and writing the tables and entries, and building the
keys that names from another script are looked up by (seconds each). A forked copy of the storing
process builds the keys and writes their files while the process itself packs and writes the rest:
on two cores the two overlap.

Only a process with no other thread forks: a forked copy of a threaded process (an API worker that
finds no stored index) may hold another thread's locks. There, and whenever the copy fails, the
storing process builds the keys itself, as it would without a second process; the stored files are
the same either way.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from service.engine.parties.index import script_postings_of
from service.engine.parties.postings import Array
from service.engine.parties.tables import Row
from service.files import replace_file

logger = logging.getLogger("service.lists")

DESCRIBED = "described.json"  # written by the second process last: the files it wrote, with their hashes

Save = Callable[[Path, Array], dict[str, Any]]


def forkable() -> bool:
    """Whether this process may fork a copy of itself to build the keys (no other thread runs)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class ScriptKeysAside:
    """The cross-script keys, built by a forked copy of this process into `directory`.

    `start` is the build's `rows_filed` callback (service.engine.parties.index.build_tables); `finish`
    waits for the copy and gives the files it wrote; `close` stops a copy still running."""

    def __init__(self, directory: Path, save: Save) -> None:
        self.directory = directory
        self._save = save
        self._pid: int | None = None

    def start(self, rows: Sequence[Row]) -> None:
        """Fork a copy that builds the rows' keys and writes their files, if this process may fork."""
        if not forkable():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            pid = os.fork()
        except OSError as exc:
            logger.warning("event=party_index_scripts_inline reason=%r", str(exc))
            return
        if pid == 0:  # the copy: build, write, leave without running the parent's exit handlers
            os._exit(self._build(rows))
        self._pid = pid

    def _build(self, rows: Sequence[Row]) -> int:
        try:
            arrays = script_postings_of(rows).arrays("scripts")
            described = {f"{name}.npy": self._save(self.directory / f"{name}.npy", array)
                         for name, array in arrays.items()}
            replace_file(self.directory / DESCRIBED, json.dumps(described).encode())
            return 0
        except BaseException:  # (anything: the storing process then builds the keys itself)
            traceback.print_exc(file=sys.stderr)
            return 1

    def finish(self) -> dict[str, dict[str, Any]] | None:
        """The files the copy wrote (name -> size and sha256), or None when there was no copy or it
        failed: the caller builds the keys itself."""
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            logger.warning("event=party_index_scripts_inline reason='the second process exited with %s'", code)
            return None
        try:
            described = json.loads((self.directory / DESCRIBED).read_bytes())
        except (OSError, ValueError) as exc:
            logger.warning("event=party_index_scripts_inline reason=%r", str(exc))
            return None
        if not isinstance(described, dict) or not all(isinstance(value, dict) for value in described.values()):
            logger.warning("event=party_index_scripts_inline reason='%s is malformed'", DESCRIBED)
            return None
        return described

    def close(self) -> None:
        """Stop the copy if it still runs (the store failed or was interrupted)."""
        if self._pid is not None:
            pid, self._pid = self._pid, None
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
