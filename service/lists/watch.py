"""Noticing that the list manifest changed, so that a running service loads new snapshots by itself.

`lists import` and `lists update` record each snapshot in `<data_dir>/lists.manifest.json` once its file
is in place. Every API worker stats that file on each reload poll; only when its modification time moved
is it read and hashed, and only a different content hash counts as a change (a `touch` or a rewrite with
the same snapshots loads nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from service.lists.manifest import manifest_path


@dataclass(frozen=True)
class ManifestStamp:
    """What the manifest looked like: its modification time and content hash (None: no manifest)."""

    mtime_ns: int | None
    sha256: str | None


ABSENT = ManifestStamp(None, None)


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def manifest_stamp(data_dir: Path) -> ManifestStamp:
    """The manifest's current stamp (ABSENT if there is none)."""
    path = manifest_path(data_dir)
    mtime = _mtime_ns(path)
    if mtime is None:
        return ABSENT
    try:
        return ManifestStamp(mtime, hashlib.sha256(path.read_bytes()).hexdigest())
    except FileNotFoundError:  # removed between stat and read
        return ABSENT


class ManifestWatch:
    """Remembers the manifest that the context in force was loaded with and says when it changed."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.seen = manifest_stamp(data_dir)

    def changed(self) -> ManifestStamp | None:
        """The new stamp if the manifest's content changed since `accept`, else None (a stat, no read,
        while the modification time stays the same)."""
        if _mtime_ns(manifest_path(self.data_dir)) == self.seen.mtime_ns:
            return None
        current = manifest_stamp(self.data_dir)
        if current.sha256 == self.seen.sha256:
            self.seen = current  # touched, same content: nothing to load
            return None
        return current

    def accept(self, stamp: ManifestStamp) -> None:
        """Mark `stamp` as handled (loaded, or failed to load: it is not retried until it changes again)."""
        self.seen = stamp
