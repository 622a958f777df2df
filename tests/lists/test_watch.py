"""The list manifest watch: a changed content hash is a change; a touch or a missing file is not."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from service.lists.manifest import Manifest, RecordedSnapshot, manifest_path, write_manifest
from service.lists.watch import ABSENT, ManifestWatch


def _manifest(version: str) -> Manifest:
    imported = datetime(2026, 1, 1, tzinfo=UTC)
    snapshot = RecordedSnapshot(version=version, sha256="0" * 64, entries=3, imported_at=imported)
    return Manifest(lists={"us-csl": snapshot})


def test_no_manifest_is_no_change(tmp_path: Path) -> None:
    watch = ManifestWatch(tmp_path)
    assert watch.seen == ABSENT and watch.changed() is None


def test_a_new_snapshot_is_a_change_until_accepted(tmp_path: Path) -> None:
    watch = ManifestWatch(tmp_path)
    write_manifest(tmp_path, _manifest("sha256:1111111111111111"))
    stamp = watch.changed()
    assert stamp is not None and stamp.sha256 is not None
    assert watch.changed() == stamp  # still unhandled
    watch.accept(stamp)
    assert watch.changed() is None
    write_manifest(tmp_path, _manifest("sha256:2222222222222222"))
    assert watch.changed() not in (None, stamp)


def test_a_touch_with_the_same_content_is_no_change(tmp_path: Path) -> None:
    write_manifest(tmp_path, _manifest("sha256:1111111111111111"))
    watch = ManifestWatch(tmp_path)
    path = manifest_path(tmp_path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert watch.changed() is None
    assert watch.seen.mtime_ns == stat.st_mtime_ns + 5_000_000_000  # the stat alone answers next time
