"""Taking a list into the store: read it, decide whether it can be trusted, then write the snapshot.

Both `lists import` (a local file) and `lists update` (a download) go through `take_in`. A list that
looks cut off (e.g. OFAC without its Ctrl-Z end) or that shrank by more than the configured share is
refused and the previous snapshot stays: a shrunken list would silently stop blocking parties.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from service.engine.parties.sources import ListRead, RowWarning, default_list_name, read_list
from service.engine.parties.sources.curated import parse_curated
from service.engine.parties.sources.ofac import locate_files
from service.lists.manifest import Manifest, Removal, read_manifest, record, record_removal, write_manifest
from service.lists.store import (
    SUFFIX,
    SnapshotError,
    SnapshotInfo,
    WrittenSnapshot,
    current_info,
    file_sha256,
    read_snapshot,
    recorded,
    snapshot_dir,
    snapshot_path,
    snapshot_paths,
    store_snapshot,
)
from service.settings import Settings


class SnapshotRefused(Exception):
    """The new list was read but is not trusted; the previous snapshot (if any) is kept."""

    def __init__(self, name: str, reason: str, previous: SnapshotInfo | None) -> None:
        self.name = name
        self.reason = reason
        self.previous = previous
        kept = (
            f"keeping the previous snapshot {previous.version} ({previous.entries} entries, "
            f"imported {previous.imported_at:%Y-%m-%d %H:%M} UTC)"
            if previous else "no previous snapshot exists, so this list is NOT available"
        )
        super().__init__(f"{name}: {reason}; {kept}")


@dataclass(frozen=True)
class Intake:
    """A stored snapshot and the rows that were skipped while reading its source."""

    info: SnapshotInfo
    previous: SnapshotInfo | None
    warnings: list[RowWarning]
    written: WrittenSnapshot | None = None  # (what storing the party index next may take as read)


def source_files(list_format: str, path: Path) -> list[Path]:
    """The files a list is read from (OFAC: the CSV set in its directory)."""
    return list(locate_files(path).values()) if list_format == "ofac" else [path]


def reserved_names(settings: Settings) -> set[str]:
    """Names of the bundled curated lists, which a snapshot must not shadow."""
    directory = settings.lists_dir
    if not directory.is_dir():
        return set()
    return {parse_curated(path).header.name for path in sorted(directory.glob("*.yaml"))}


def take_in(
    settings: Settings, list_format: str, path: Path, name: str | None = None, source: str | None = None,
    force: bool = False,
) -> Intake:
    """Read `path`, check it against the previous snapshot and store it; raise if refused or unreadable."""
    name = name or default_list_name(list_format, path)
    directory = snapshot_dir(settings.data_dir)
    snapshot_path(directory, name)  # validates the name before any work
    if name in reserved_names(settings):
        raise SnapshotError(f"list name {name!r} is taken by a bundled curated list in {settings.lists_dir}")
    read = read_list(list_format, path, name)
    with _writer_lock(directory):  # compare and replace as one step, even with two updates running
        try:
            previous = current_info(directory, name)
        except SnapshotError:
            previous = None  # a corrupt snapshot is replaced by a good one, never compared against
        if not force:
            check_trust(name, read, previous, settings.list_max_shrink, settings.list_min_entries.get(name, 0))
        info, written = store_snapshot(
            directory, name, list_format, read.entries, source or str(path),
            file_sha256(source_files(list_format, path)), warnings=len(read.warnings),
        )
        record(settings.data_dir, name, recorded(info))  # from now on, loading requires this snapshot
    return Intake(info=info, previous=previous, warnings=read.warnings, written=written)


@contextmanager
def _writer_lock(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on `<directory>/.lock` (readers never need it: replacement is atomic)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def check_trust(
    name: str, read: ListRead, previous: SnapshotInfo | None, max_shrink: float, min_entries: int = 0
) -> None:
    """Refuse a list that looks incomplete, has fewer than `min_entries`, or shrank by more than `max_shrink`."""
    if read.incomplete:
        raise SnapshotRefused(name, "the source looks incomplete: " + "; ".join(read.incomplete), previous)
    if len(read.entries) < min_entries:
        raise SnapshotRefused(
            name, f"the new list has {len(read.entries)} entries, fewer than the {min_entries} expected of it "
            "(a failed or partial download?)", previous,
        )
    if previous is not None and len(read.entries) < previous.entries * (1 - max_shrink):
        shrink = 1 - len(read.entries) / previous.entries
        raise SnapshotRefused(
            name,
            f"the new list has {len(read.entries)} entries against {previous.entries} before "
            f"({shrink:.0%} fewer, more than the allowed {max_shrink:.0%})",
            previous,
        )


def remove_list(settings: Settings, name: str, reason: str) -> Removal:
    """Drop a stored list on purpose: out of the manifest (with a record of when and why), then the file.

    The manifest changes first: if the process dies in between, the left-over file is refused as not
    recorded, never silently screened against or silently lost.
    """
    directory = snapshot_dir(settings.data_dir)
    path = snapshot_path(directory, name)
    with _writer_lock(directory):
        removal = record_removal(settings.data_dir, name, reason)
        path.unlink(missing_ok=True)
    return removal


def adopt_snapshots(settings: Settings) -> list[SnapshotInfo]:
    """Record every stored snapshot that is whole in the manifest (a data directory from before it)."""
    directory = snapshot_dir(settings.data_dir)
    adopted = []
    with _writer_lock(directory):
        manifest = read_manifest(settings.data_dir) or Manifest()
        for path in snapshot_paths(directory):
            info, _entries = read_snapshot(path)  # raises SnapshotError for a corrupt file: nothing adopted
            manifest.lists[path.name.removesuffix(SUFFIX)] = recorded(info)
            adopted.append(info)
        write_manifest(settings.data_dir, manifest)
    return adopted
