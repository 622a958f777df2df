"""The list entries the screening context searches: bundled curated lists plus every stored snapshot.

Fail closed: a curated file that does not validate, a snapshot that is unreadable or does not match its
own hash, a snapshot that the manifest records but that is missing or was replaced, a curated file that
differs from the rulebook lock, two lists with one name, or a required list that is missing all raise
ListLoadError, and the shells refuse to screen.
Skipping a broken list instead would clear parties that it lists.

A snapshot's header and the hash of its file are read at load; its entries when first asked for
(`LoadedLists.entries`), which a process using the stored party index of these very files never does
(service.lists.indexes): the index holds the entries, checked by its own hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from service.engine.checks.coverage import ListAge
from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import ListRead, ListReadError
from service.engine.parties.sources.curated import read_curated
from service.engine.rulebook.lock import RulebookLockError, RuleFileRead, verify_curated
from service.engine.verdict import ListStamp
from service.lists.manifest import Manifest, ManifestError, manifest_path, read_manifest
from service.lists.store import (
    SUFFIX,
    SnapshotError,
    WrittenSnapshot,
    read_info_hashed,
    read_snapshot_lines,
    snapshot_dir,
    snapshot_paths,
)
from service.settings import Settings


class ListLoadError(Exception):
    """The denied-party lists cannot be loaded as configured; nothing may be screened."""


class ListIntegrityError(ListLoadError):
    """The stored lists are not the recorded ones: missing, corrupt, replaced, or a required list absent."""


Loaded = tuple[list[ListEntry], ListStamp, datetime | None]  # entries, stamp, snapshot time (None: bundled)


@dataclass(frozen=True)
class SnapshotFile:
    """A stored snapshot as loading found it: its header held to the manifest, its file's hash."""

    name: str
    path: Path
    sha256: str  # of the entry lines, as the header and the manifest record it
    file_sha256: str  # of the compressed file as stored


@dataclass(frozen=True)
class LoadedLists:
    """Everything screening needs from the lists: a stamp per list, what they rest on, and the entries.

    The snapshots' entries are read (each snapshot proven whole by its hash) when first asked for: a
    process that finds them in the stored party index of these very files never reads them
    (service.lists.indexes)."""

    curated: list[ListEntry]
    snapshots: tuple[SnapshotFile, ...]
    stamps: list[ListStamp]
    ages: tuple[ListAge, ...]  # per list: official or bundled, when taken, expected update interval
    listed_from: dict[tuple[str, str], date]  # (list, entry id) -> the day a curated listing applies from
    # snapshots this process has just written, by the sha256 of their files: taken as read (`with_written`)
    written: dict[str, WrittenSnapshot] = field(default_factory=dict)

    def with_written(self, written: Iterable[WrittenSnapshot]) -> LoadedLists:
        """These lists, taking the entries of a snapshot this process has just written from memory when
        its file is still the one written (the same sha256: the same bytes), instead of reading them
        back."""
        return replace(self, written={snapshot.file_sha256: snapshot for snapshot in written})

    @property
    def entries(self) -> list[ListEntry]:
        """Every entry, curated lists first, then the snapshots in load order; ListIntegrityError if a
        snapshot is not whole or is no longer the one recorded."""
        return self._read[0]

    @property
    def entry_lines(self) -> list[bytes]:
        """Each entry's JSON line (`model_dump_json`), in the order of `entries`."""
        return self._read[1]

    def snapshot_hashes(self) -> dict[str, str]:
        """Each snapshot's name and the sha256 of its file."""
        return {snapshot.name: snapshot.file_sha256 for snapshot in self.snapshots}

    @cached_property
    def _read(self) -> tuple[list[ListEntry], list[bytes]]:
        entries = list(self.curated)
        lines = [entry.model_dump_json().encode() for entry in self.curated]
        for snapshot in self.snapshots:
            kept = self.written.get(snapshot.file_sha256)
            if kept is not None:
                entries.extend(kept.entries)
                lines.extend(kept.lines)
                continue
            try:
                info, read, read_lines = read_snapshot_lines(snapshot.path)
            except SnapshotError as exc:
                raise ListIntegrityError(f"list snapshot unusable: {exc}") from exc
            if info.sha256 != snapshot.sha256:
                raise ListIntegrityError(f"list snapshot {snapshot.path} was replaced while it was loaded; load again")
            entries.extend(read)
            lines.extend(read_lines)
        return entries, lines


def load_entries(settings: Settings) -> tuple[list[ListEntry], list[ListStamp]]:
    """Every entry to screen against, and one stamp (name, version, entry count) per list."""
    loaded = load_lists(settings)
    return loaded.entries, loaded.stamps


def load_lists(settings: Settings, *, require: bool = True) -> LoadedLists:
    """The stamps, with each list's age and the curated listing dates; the snapshots' headers are held to
    the manifest now, their entries read when asked for (`LoadedLists.entries`). `require=False` skips
    the check for `required_lists` (to store the index of whatever is stored, not to screen)."""
    curated_entries: list[ListEntry] = []
    stamps: list[ListStamp] = []
    ages: list[ListAge] = []
    curated = _curated(settings)
    snapshots = _snapshots(settings.data_dir)
    lists = [(stamp, taken) for _, stamp, taken in curated] + [(stamp, taken) for _, stamp, taken in snapshots]
    for stamp, taken in lists:
        if any(existing.name == stamp.name for existing in stamps):
            raise ListLoadError(f"two lists are named {stamp.name!r}; rename one (curated file or snapshot)")
        stamps.append(stamp)
        ages.append(ListAge(name=stamp.name, entries=stamp.entries, official=taken is not None, imported_at=taken,
                            max_age=max_age(settings, stamp.name) if taken is not None else None))
    for list_entries, _, _ in curated:
        curated_entries.extend(list_entries)
    missing = sorted(set(settings.required_lists) - {stamp.name for stamp in stamps})
    if missing and require:
        raise ListIntegrityError(f"required lists not loaded: {', '.join(missing)} (run `export-screen lists update`)")
    listed_from = {(entry.source_list, entry.id): entry.listed_on
                   for list_entries, _, _ in curated for entry in list_entries if entry.listed_on is not None}
    return LoadedLists(curated_entries, tuple(file for file, _, _ in snapshots), stamps, tuple(ages), listed_from)


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


def _snapshots(data_dir: Path) -> list[tuple[SnapshotFile, ListStamp, datetime]]:
    """Every stored snapshot, its header held to the manifest (its entries are read when asked for)."""
    manifest = _manifest(data_dir)
    paths = {path.name.removesuffix(SUFFIX): path for path in snapshot_paths(snapshot_dir(data_dir))}
    _check_presence(data_dir, manifest, paths)
    found: list[tuple[SnapshotFile, ListStamp, datetime]] = []
    for name, path in paths.items():
        try:
            info, stored = read_info_hashed(path)
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
        found.append((SnapshotFile(name, path, info.sha256, stored), stamp, info.imported_at))
    return found


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
