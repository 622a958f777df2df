"""Replacing a file so that a reader sees the old content or the new, never half of it.

List snapshots, their manifest and the rulebook lock are what a verdict rests on: a crash while one is
written must not leave a truncated file that a later start reads as approved.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` to a temporary sibling, flush it to disk, then rename it over `path` (made durable)."""
    replace_file_streamed(path, [data])


def replace_file_streamed(path: Path, chunks: Iterable[bytes]) -> None:
    """As `replace_file`, for content made while it is written (an export of any size): if making a chunk
    fails, the temporary file is removed and `path` keeps what it held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; the service may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
