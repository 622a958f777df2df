"""The manifest of imported list snapshots: which lists the data directory must hold, and their hashes.

Every snapshot written (import, update) is recorded in `<data_dir>/lists.manifest.json`, beside the
snapshot directory rather than inside it, so that moving `lists/` away is noticed too. Loading compares
the snapshots with it: one that is recorded but missing, corrupt or replaced refuses screening, because
dropping it would clear parties that it lists. `export-screen lists remove NAME` is the one way to drop a
list, and the manifest keeps a record of each removal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.files import replace_file

MANIFEST_NAME = "lists.manifest.json"


class ManifestError(Exception):
    """The manifest is unreadable, or the stored snapshots do not agree with it."""


class RecordedSnapshot(BaseModel):
    """A snapshot the data directory must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(description="The snapshot's version ('sha256:' + 16 hex digits).")
    sha256: str = Field(description="Full sha256 of the snapshot's entry lines.")
    entries: int = Field(ge=0)
    imported_at: datetime


class Removal(BaseModel):
    """A list dropped on purpose with `lists remove`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    entries: int
    removed_at: datetime
    reason: str


class Manifest(BaseModel):
    """The recorded snapshots by name, and the history of removals."""

    model_config = ConfigDict(extra="forbid")

    lists: dict[str, RecordedSnapshot] = Field(default_factory=dict)
    removed: list[Removal] = Field(default_factory=list)


def manifest_path(data_dir: Path) -> Path:
    """Where the manifest of a data directory lives."""
    return data_dir / MANIFEST_NAME


def read_manifest(data_dir: Path) -> Manifest | None:
    """The manifest, None if the data directory has none; an unreadable one raises ManifestError."""
    path = manifest_path(data_dir)
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ManifestError(f"{path}: the list manifest cannot be read: {exc}") from exc


def write_manifest(data_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically (a reader sees the old one or the new one)."""
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    replace_file(manifest_path(data_dir), text.encode("utf-8"))


def record(data_dir: Path, name: str, snapshot: RecordedSnapshot) -> None:
    """Add or replace one list in the manifest (called after its snapshot is in place)."""
    manifest = read_manifest(data_dir) or Manifest()
    manifest.lists[name] = snapshot
    write_manifest(data_dir, manifest)


def record_removal(data_dir: Path, name: str, reason: str) -> Removal:
    """Drop a list from the manifest and keep a record of it; ManifestError if it is not recorded."""
    manifest = read_manifest(data_dir) or Manifest()
    recorded = manifest.lists.pop(name, None)
    if recorded is None:
        known = ", ".join(sorted(manifest.lists)) or "none"
        raise ManifestError(f"list {name!r} is not in the manifest (recorded lists: {known})")
    removal = Removal(name=name, version=recorded.version, entries=recorded.entries,
                      removed_at=datetime.now(UTC), reason=reason)
    manifest.removed.append(removal)
    write_manifest(data_dir, manifest)
    return removal
