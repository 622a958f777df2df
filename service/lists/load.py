"""The list entries the screening context searches: bundled curated lists plus every stored snapshot.

Fail closed: a curated file that does not validate, a snapshot that is unreadable or does not match its
own hash, two lists with one name, or a required list that is missing all raise ListLoadError, and the
shells refuse to screen. Skipping a broken list instead would clear parties that it lists.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.curated import read_curated
from service.engine.verdict import ListStamp
from service.lists.store import SnapshotError, read_snapshot, snapshot_dir, snapshot_paths
from service.settings import Settings


class ListLoadError(Exception):
    """The denied-party lists cannot be loaded as configured; nothing may be screened."""


def load_entries(settings: Settings) -> tuple[list[ListEntry], list[ListStamp]]:
    """Every entry to screen against, and one stamp (name, version, entry count) per list."""
    entries: list[ListEntry] = []
    stamps: list[ListStamp] = []
    for list_entries, stamp in [*_curated(settings.lists_dir), *_snapshots(snapshot_dir(settings.data_dir))]:
        if any(existing.name == stamp.name for existing in stamps):
            raise ListLoadError(f"two lists are named {stamp.name!r}; rename one (curated file or snapshot)")
        entries.extend(list_entries)
        stamps.append(stamp)
    missing = sorted(set(settings.required_lists) - {stamp.name for stamp in stamps})
    if missing:
        raise ListLoadError(f"required lists not loaded: {', '.join(missing)} (run `export-screen lists update`)")
    return entries, stamps


def _curated(directory: Path) -> list[tuple[list[ListEntry], ListStamp]]:
    """The bundled curated lists; a missing directory or an invalid file is an error."""
    if not directory.is_dir():
        raise ListLoadError(f"{directory}: curated lists directory not found")
    paths = sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not paths:
        raise ListLoadError(f"{directory}: no curated list files (*.yaml) found")
    loaded = []
    for path in paths:
        try:
            read = read_curated(path)
        except ListReadError as exc:
            raise ListLoadError(f"curated list invalid: {exc}") from exc
        version = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        name = read.entries[0].source_list
        loaded.append((read.entries, ListStamp(name=name, version=version, entries=len(read.entries))))
    return loaded


def _snapshots(directory: Path) -> list[tuple[list[ListEntry], ListStamp]]:
    """Every stored snapshot, each proven whole by its hash."""
    loaded = []
    for path in snapshot_paths(directory):
        try:
            info, list_entries = read_snapshot(path)
        except SnapshotError as exc:
            raise ListLoadError(f"list snapshot unusable: {exc}") from exc
        loaded.append((list_entries, ListStamp(name=info.name, version=info.version, entries=info.entries)))
    return loaded
