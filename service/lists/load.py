"""The list entries the screening context searches: bundled curated lists plus every stored snapshot.

Fail closed: a curated file that does not validate, a snapshot that is unreadable or does not match its
own hash, a snapshot that the manifest records but that is missing or was replaced, two lists with one
name, or a required list that is missing all raise ListLoadError, and the shells refuse to screen.
Skipping a broken list instead would clear parties that it lists.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import ListReadError
from service.engine.parties.sources.curated import read_curated
from service.engine.verdict import ListStamp
from service.lists.manifest import Manifest, ManifestError, manifest_path, read_manifest
from service.lists.store import SUFFIX, SnapshotError, read_snapshot, snapshot_dir, snapshot_paths
from service.settings import Settings


class ListLoadError(Exception):
    """The denied-party lists cannot be loaded as configured; nothing may be screened."""


class ListIntegrityError(ListLoadError):
    """The stored lists are not the recorded ones: missing, corrupt, replaced, or a required list absent."""


Loaded = tuple[list[ListEntry], ListStamp]


def load_entries(settings: Settings) -> tuple[list[ListEntry], list[ListStamp]]:
    """Every entry to screen against, and one stamp (name, version, entry count) per list."""
    entries: list[ListEntry] = []
    stamps: list[ListStamp] = []
    for list_entries, stamp in [*_curated(settings.lists_dir), *_snapshots(settings.data_dir)]:
        if any(existing.name == stamp.name for existing in stamps):
            raise ListLoadError(f"two lists are named {stamp.name!r}; rename one (curated file or snapshot)")
        entries.extend(list_entries)
        stamps.append(stamp)
    missing = sorted(set(settings.required_lists) - {stamp.name for stamp in stamps})
    if missing:
        raise ListIntegrityError(f"required lists not loaded: {', '.join(missing)} (run `export-screen lists update`)")
    return entries, stamps


def _curated(directory: Path) -> list[Loaded]:
    """The bundled curated lists; a missing directory or an invalid file is an error."""
    if not directory.is_dir():
        raise ListLoadError(f"{directory}: curated lists directory not found")
    paths = sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not paths:
        raise ListLoadError(f"{directory}: no curated list files (*.yaml) found")
    loaded: list[Loaded] = []
    for path in paths:
        try:
            read = read_curated(path)
        except ListReadError as exc:
            raise ListLoadError(f"curated list invalid: {exc}") from exc
        version = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        name = read.entries[0].source_list
        loaded.append((read.entries, ListStamp(name=name, version=version, entries=len(read.entries))))
    return loaded


def _snapshots(data_dir: Path) -> list[Loaded]:
    """Every stored snapshot, each proven whole by its hash and held to the manifest."""
    manifest = _manifest(data_dir)
    paths = {path.name.removesuffix(SUFFIX): path for path in snapshot_paths(snapshot_dir(data_dir))}
    _check_presence(data_dir, manifest, paths)
    loaded: list[Loaded] = []
    for name, path in paths.items():
        try:
            info, list_entries = read_snapshot(path)
        except SnapshotError as exc:
            raise ListIntegrityError(f"list snapshot unusable: {exc}") from exc
        expected = manifest.lists[name]
        if info.sha256 != expected.sha256:
            raise ListIntegrityError(
                f"list snapshot {path} is {info.version} ({info.entries} entries) but the manifest records "
                f"{expected.version} ({expected.entries} entries, imported {expected.imported_at:%Y-%m-%d %H:%M} "
                "UTC): it was replaced outside export-screen; import the list again"
            )
        stamp = ListStamp(name=info.name, version=info.version, entries=info.entries)
        loaded.append((list_entries, stamp))
    return loaded


def _manifest(data_dir: Path) -> Manifest:
    try:
        manifest = read_manifest(data_dir)
    except ManifestError as exc:
        raise ListIntegrityError(str(exc)) from exc
    if manifest is None:
        stored = snapshot_paths(snapshot_dir(data_dir))
        if stored:
            raise ListIntegrityError(
                f"{manifest_path(data_dir)} is missing but snapshots are stored ({', '.join(p.name for p in stored)}): "
                "check them, then record them with `export-screen lists adopt`"
            )
        return Manifest()
    return manifest


def _check_presence(data_dir: Path, manifest: Manifest, paths: dict[str, Path]) -> None:
    """Every recorded list is stored and every stored one is recorded; else name them all."""
    problems = [
        f"{name} ({recorded.version}, {recorded.entries} entries) is in the manifest but "
        f"{snapshot_dir(data_dir) / (name + SUFFIX)} is missing"
        for name, recorded in sorted(manifest.lists.items()) if name not in paths
    ]
    problems += [f"{path} is not in the manifest" for name, path in sorted(paths.items()) if name not in manifest.lists]
    if problems:
        raise ListIntegrityError(
            "list snapshots do not match the manifest: " + "; ".join(problems)
            + " (drop a list on purpose with `export-screen lists remove NAME`)"
        )
