"""The keys of an index being stored, built in a second process meanwhile.

Storing the index of a million names takes about half a minute. Both kinds of keys of its rows are
built from the normalised words of each name alone: the keys of the rows' words (the tables' postings:
index.row_keys) and the keys that names from another script are looked up by. So a second process
builds them: the storing process sends it each batch of names as they are filed (their words,
marshalled, through a pipe), and it builds the keys as they arrive and writes their files while the
storing process files the names, packs the rest of the tables and writes the entries; the storing
process then maps the postings' files and moves both into the index. On two cores the two overlap.
Lists of fewer than SECOND_PROCESS_FROM entries build the keys in the storing process.

The second process is a new interpreter (`python -m service.lists.script_keys DIRECTORY`), not a fork:
a forked copy shares every page of the storing process, and each process then copies the pages of the
million names' objects it touches, seconds of page faults in each. Starting one is safe from a process
with threads too (an API worker that finds no stored index). Whenever it cannot start or fails, the
storing process builds the keys itself; the stored keys are the same either way.

The pipe carries frames: 8 bytes of length (little-endian), then that many bytes of a marshalled list
of the next rows' words (index.keyed_words: words, spaceless form, annotations, and those of former
names); a frame of length 0 ends the rows, followed by 8 bytes of their number. Rows that end otherwise
(the storing process died) write no description, and nothing is used.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
import queue
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from service.engine.parties.index import ScriptKeysBuilder, collector_paused, keyed_words, row_keys
from service.engine.parties.postings import PostingsBuilder
from service.engine.parties.tables import POSTINGS, Row
from service.files import replace_file

logger = logging.getLogger("service.lists")

DESCRIBED = "described.json"  # written by the second process last: the files it wrote, with their hashes
SECOND_PROCESS = (sys.executable, "-m", "service.lists.script_keys")  # (tests start another program)
# entries from which a second process is worth starting: one takes about 0.4 s of CPU to start, and
# the keys of OFAC 2021 and UN (10,000 entries, 25,000 names) take about 0.5 s in the storing process
SECOND_PROCESS_FROM = 50_000
_LENGTH = 8


class ScriptKeysAside:
    """The cross-script keys, built by a second process into `directory`.

    `start` starts it; `send` is the build's `rows_filed` callback (service.engine.parties.index
    build_tables); `finish` waits for it and gives the files it wrote; `close` stops a process still
    running."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._process: subprocess.Popen[bytes] | None = None
        self._sent = 0
        self._ended = False
        self._finished = False
        self._described: dict[str, dict[str, Any]] | None = None

    @property
    def started(self) -> bool:
        """Whether a second process was started (and has not been found to fail yet)."""
        return self._process is not None

    def start(self, entries: int) -> None:
        """Start the second process for lists of this many entries, if worth it (if it is not, or it
        cannot start, the keys are built by the caller)."""
        if entries < SECOND_PROCESS_FROM:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self._process = subprocess.Popen([*SECOND_PROCESS, str(self.directory)], stdin=subprocess.PIPE,
                                             env=_environment())
        except OSError as exc:
            logger.warning("event=party_index_scripts_inline reason=%r", str(exc))

    def send(self, rows: Sequence[Row]) -> None:
        """The next rows, by their normalised words; no rows: all are sent."""
        if self._process is None:
            return  # (none started, or it failed: the caller builds the keys)
        if not rows:
            self._end()
            return
        self._write(marshal.dumps([keyed_words(row.name) for row in rows]))
        self._sent += len(rows)

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._write(b"", self._sent.to_bytes(_LENGTH, "little"))

    def _write(self, frame: bytes, trailer: bytes = b"") -> None:
        process = self._process
        if process is None or process.stdin is None:
            return
        try:
            process.stdin.write(len(frame).to_bytes(_LENGTH, "little") + frame + trailer)
            process.stdin.flush()
        except OSError as exc:  # (it died: finish reports it, and the caller builds the keys)
            logger.warning("event=party_index_scripts_inline reason=%r", str(exc))
            self.close()

    def finish(self) -> dict[str, dict[str, Any]] | None:
        """The files the second process wrote (name -> size and sha256), or None when there was none or
        it failed: the caller builds the keys itself. (Waits for it the first time; then the same answer.)"""
        if not self._finished:
            self._finished = True
            self._described = self._wait()
        return self._described

    def _wait(self) -> dict[str, dict[str, Any]] | None:
        self._end()
        process, self._process = self._process, None
        if process is None:
            return None
        if process.stdin is not None:
            with contextlib.suppress(OSError):  # (it may have left already)
                process.stdin.close()
        code = process.wait()
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
        """Stop the second process if it still runs (the store failed or was interrupted)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()


def _environment() -> dict[str, str]:
    """This environment, with this process's module path first, so that the second process imports the
    same modules wherever this one found them (an installed package, a checkout, a path a script added)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)}


def build(source: IO[bytes], directory: Path) -> int:
    """Build the keys of the rows read from `source` and write their files and description into
    `directory`: 0, or 1 when the rows did not end as they should."""
    from service.lists.indexes import saved_arrays  # (not at import: the storing process imports this module)

    frames: queue.Queue[tuple[bool, bytes] | None] = queue.Queue()
    # (read at once by a thread, so that the storing process never waits for the pipe)
    reader = threading.Thread(target=_read_frames, args=(source, frames), name="script-keys-reader", daemon=True)
    reader.start()
    scripts, keys, number = ScriptKeysBuilder(), PostingsBuilder(), 0
    with collector_paused():  # (millions of keys)
        while (frame := frames.get()) is not None:
            ended, body = frame
            if not ended:
                for words in marshal.loads(body):
                    scripts.add(number, words[0])
                    keys.add_row(row_keys(words, keys))
                    number += 1
                continue
            if int.from_bytes(body, "little") != number:
                return 1
            described = saved_arrays(directory, {**keys.build().arrays(POSTINGS),
                                                 **scripts.postings(number).arrays("scripts")})
            replace_file(directory / DESCRIBED, json.dumps(described).encode())
            return 0
    return 1  # (the rows ended without their number)


def _read_frames(source: IO[bytes], frames: queue.Queue[tuple[bool, bytes] | None]) -> None:
    """Each frame as it arrives: (False, rows), then (True, their number); None once the pipe ends."""
    try:
        while len(head := source.read(_LENGTH)) == _LENGTH:
            length = int.from_bytes(head, "little")
            body = source.read(length or _LENGTH)
            if len(body) != (length or _LENGTH):
                return
            frames.put((not length, body))
            if not length:
                return
    finally:
        frames.put(None)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m service.lists.script_keys DIRECTORY (rows on standard input)", file=sys.stderr)
        return 2
    # (an interrupt from the terminal reaches the storing process too, which stops this one; a storing
    # process gone without doing so ends the rows, and this one leaves on its own)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return build(sys.stdin.buffer, Path(argv[1]))
    except BaseException:  # (anything: the storing process then builds the keys itself)
        traceback.print_exc(file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
