"""The list entries the screening context searches: bundled curated lists plus every stored snapshot.

Fail closed: a curated file that does not validate, a snapshot that is unreadable or does not match its
own hash, a snapshot that the manifest records but that is missing or was replaced, a curated file that
differs from the rulebook lock, two lists with one name, or a required list that is missing all raise
ListLoadError, and the shells refuse to screen.
Skipping a broken list instead would clear parties that it lists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from service.engine.checks.coverage import ListAge
from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import ListRead, ListReadError
from service.engine.parties.sources.curated import read_curated
from service.engine.rulebook.lock import RulebookLockError, RuleFileRead, verify_curated
from service.engine.verdict import ListStamp
from service.lists.manifest import Manifest, ManifestError, manifest_path, read_manifest
from service.lists.store import SUFFIX, SnapshotError, read_snapshot, snapshot_dir, snapshot_paths
from service.settings import Settings


class ListLoadError(Exception):
    """The denied-party lists cannot be loaded as configured; nothing may be screened."""


class ListIntegrityError(ListLoadError):
    """The stored lists are not the recorded ones: missing, corrupt, replaced, or a required list absent."""


Loaded = tuple[list[ListEntry], ListStamp, datetime | None]  # entries, stamp, snapshot time (None: bundled)


@dataclass(frozen=True)
class LoadedLists:
    """Everything screening needs from the lists: the entries, a stamp per list, and what they rest on."""

    entries: list[ListEntry]
    stamps: list[ListStamp]
    ages: tuple[ListAge, ...]  # per list: official or bundled, when taken, expected update interval
    listed_from: dict[tuple[str, str], date]  # (list, entry id) -> the day a curated listing applies from


def load_entries(settings: Settings) -> tuple[list[ListEntry], list[ListStamp]]:
    """Every entry to screen against, and one stamp (name, version, entry count) per list."""
    loaded = load_lists(settings)
    return loaded.entries, loaded.stamps


def load_lists(settings: Settings, *, require: bool = True) -> LoadedLists:
    """The entries and stamps, with each list's age and the curated listing dates. `require=False` skips
    the check for `required_lists` (to store the index of whatever is stored, not to screen)."""
    entries: list[ListEntry] = []
    stamps: list[ListStamp] = []
    ages: list[ListAge] = []
    curated = _curated(settings)
    for list_entries, stamp, taken in [*curated, *_snapshots(settings.data_dir)]:
        if any(existing.name == stamp.name for existing in stamps):
            raise ListLoadError(f"two lists are named {stamp.name!r}; rename one (curated file or snapshot)")
        entries.extend(list_entries)
        stamps.append(stamp)
        ages.append(ListAge(name=stamp.name, entries=stamp.entries, official=taken is not None, imported_at=taken,
                            max_age=max_age(settings, stamp.name) if taken is not None else None))
    missing = sorted(set(settings.required_lists) - {stamp.name for stamp in stamps})
    if missing and require:
        raise ListIntegrityError(f"required lists not loaded: {', '.join(missing)} (run `export-screen lists update`)")
    listed_from = {(entry.source_list, entry.id): entry.listed_on
                   for list_entries, _, _ in curated for entry in list_entries if entry.listed_on is not None}
    return LoadedLists(entries, stamps, tuple(ages), listed_from)


def max_age(settings: Settings, name: str) -> timedelta:
    """A list's expected update interval (its own setting, else the default)."""
    return timedelta(days=settings.list_max_age_days.get(name, settings.list_default_max_age_days))


def _curated(settings: Settings) -> list[Loaded]:
    """The bundled curated lists, each valid and exactly as the rulebook lock approved it."""
    files = _curated_files(settings.lists_dir)
    try:
        verify_curated(settings.rules_dir, settings.lists_dir, _reads(files))
    except RulebookLockError as exc:
        raise ListIntegrityError(str(exc)) from exc
    loaded: list[Loaded] = []
    for _path, data, read in files:
        version = "sha256:" + hashlib.sha256(data).hexdigest()[:16]
        name = read.entries[0].source_list
        loaded.append((read.entries, ListStamp(name=name, version=version, entries=len(read.entries)), None))
    return loaded


def curated_reads(directory: Path) -> list[RuleFileRead]:
    """Each curated list file with its hash and entry ids, as the rulebook lock records them."""
    return _reads(_curated_files(directory))


def _reads(files: list[tuple[Path, bytes, ListRead]]) -> list[RuleFileRead]:
    return [RuleFileRead(path.name, data, [entry.id for entry in read.entries]) for path, data, read in files]


def _curated_files(directory: Path) -> list[tuple[Path, bytes, ListRead]]:
    """Every curated list file, read and validated; a missing directory or an invalid file is an error."""
    if not directory.is_dir():
        raise ListLoadError(f"{directory}: curated lists directory not found")
    paths = sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not paths:
        raise ListLoadError(f"{directory}: no curated list files (*.yaml) found")
    files = []
    for path in paths:
        try:
            read = read_curated(path)
            data = path.read_bytes()
        except ListReadError as exc:
            raise ListLoadError(f"curated list invalid: {exc}") from exc
        except OSError as exc:
            raise ListLoadError(f"curated list unreadable: {path}: {exc}") from exc
        files.append((path, data, read))
    return files


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
        loaded.append((list_entries, stamp, info.imported_at))
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
