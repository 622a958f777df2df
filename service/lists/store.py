"""List snapshots on disk: one gzip JSON Lines file per list under `settings.data_dir / "lists"`.

Layout of `<name>.jsonl.gz`: line 1 is the snapshot header ({"snapshot": {...}}: name, format, version,
sha256, entries, imported_at, source, source_sha256, warnings), then one normalised ListEntry per line.
The sha256 covers the entry lines exactly as stored, so a reader can prove the file is whole. A
snapshot is written to a temporary file in the same directory and moved into place with os.replace:
a reader sees the old snapshot or the new one, never half of either. `take_in` (service.lists.intake)
then records it in the data directory's manifest (service.lists.manifest), which loading holds it to.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.engine.parties.entry import ListEntry
from service.files import replace_file
from service.lists.manifest import RecordedSnapshot

SUFFIX = ".jsonl.gz"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class SnapshotError(Exception):
    """A snapshot file is missing, unreadable, corrupt or does not match its own header."""


class SnapshotInfo(BaseModel):
    """The header of a stored snapshot: what it is, where it came from, and its content hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="List name, also the file name.")
    format: str = Field(description="Reader format the source was parsed with.")
    version: str = Field(description="'sha256:' + first 16 hex digits of the entry lines' hash.")
    sha256: str = Field(description="Full sha256 of the entry lines as stored.")
    entries: int = Field(ge=0)
    imported_at: datetime
    source: str = Field(description="Path or URL(s) the list was read from.")
    source_sha256: str = Field(description="sha256 of the source file(s) as received.")
    warnings: int = Field(default=0, description="Rows skipped while reading the source.")


def snapshot_dir(data_dir: Path) -> Path:
    """Where snapshots live."""
    return data_dir / "lists"


def snapshot_path(directory: Path, name: str) -> Path:
    """The file of a named snapshot; the name must be a safe slug (it becomes a file name)."""
    if not NAME_PATTERN.match(name):
        raise SnapshotError(f"list name {name!r} must be lower-case letters, digits and hyphens")
    return directory / f"{name}{SUFFIX}"


@dataclass(frozen=True)
class WrittenSnapshot:
    """A snapshot as the process that wrote it holds it: the sha256 of the file, the entries and each
    entry's line. Loading takes them for a file of that very hash instead of reading it back: after an
    import, storing the party index need not read and validate again what was just written."""

    file_sha256: str
    entries: list[ListEntry]
    lines: list[bytes]


def write_snapshot(
    directory: Path, name: str, list_format: str, entries: Iterable[ListEntry], source: str, source_sha256: str,
    warnings: int = 0,
) -> SnapshotInfo:
    """Store entries as the named snapshot, atomically replacing any previous one."""
    return store_snapshot(directory, name, list_format, entries, source, source_sha256, warnings)[0]


def store_snapshot(
    directory: Path, name: str, list_format: str, entries: Iterable[ListEntry], source: str, source_sha256: str,
    warnings: int = 0,
) -> tuple[SnapshotInfo, WrittenSnapshot]:
    """write_snapshot, and the snapshot as written."""
    kept = list(entries)
    body = "\n".join([entry.model_dump_json() for entry in kept]).encode()
    digest = hashlib.sha256(body).hexdigest()
    info = SnapshotInfo(
        name=name, format=list_format, version=f"sha256:{digest[:16]}", sha256=digest, entries=len(kept),
        imported_at=datetime.now(UTC), source=source, source_sha256=source_sha256, warnings=warnings,
    )
    header = json.dumps({"snapshot": info.model_dump(mode="json")}, ensure_ascii=False).encode()
    stored = _replace(snapshot_path(directory, name), header + b"\n" + body)
    return info, WrittenSnapshot(hashlib.sha256(stored).hexdigest(), kept, _entry_lines(body))


def recorded(info: SnapshotInfo) -> RecordedSnapshot:
    """What the manifest keeps of a snapshot."""
    return RecordedSnapshot(version=info.version, sha256=info.sha256, entries=info.entries,
                            imported_at=info.imported_at)


def _replace(path: Path, data: bytes) -> bytes:
    """Replace the snapshot at `path` with `data`, gzip-compressed (no timestamp: same data, same bytes);
    returns the bytes stored."""
    stored = gzip.compress(data, mtime=0)
    replace_file(path, stored)
    return stored


def read_info(path: Path) -> SnapshotInfo:
    """Only the header of a snapshot (cheap: the rest of the file is not decompressed)."""
    try:
        with gzip.open(path, "rb") as stream:
            return _header(stream.readline(), path)
    except (OSError, EOFError) as exc:
        raise SnapshotError(f"{path}: unreadable snapshot: {exc}") from exc


def read_info_hashed(path: Path) -> tuple[SnapshotInfo, str]:
    """The header of a snapshot and the sha256 of its file as stored, both from one read of the file
    (only the header is decompressed): what a stored party index's entries are held to."""
    try:
        data = path.read_bytes()
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            first = stream.readline()
    except (OSError, EOFError) as exc:
        raise SnapshotError(f"{path}: unreadable snapshot: {exc}") from exc
    return _header(first, path), hashlib.sha256(data).hexdigest()


def _entry_lines(body: bytes) -> list[bytes]:
    """A snapshot body's entry lines, one per entry (none in an empty body: a list may have no entries)."""
    return body.split(b"\n") if body else []


def _header(line: bytes, path: Path) -> SnapshotInfo:
    try:
        return SnapshotInfo.model_validate(json.loads(line)["snapshot"])
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise SnapshotError(f"{path}: snapshot header missing or invalid: {exc}") from exc


def read_snapshot(path: Path) -> tuple[SnapshotInfo, list[ListEntry]]:
    """Header and entries, after proving that the entries are exactly what the header says."""
    info, entries, _ = read_snapshot_lines(path)
    return info, entries


def read_snapshot_lines(path: Path) -> tuple[SnapshotInfo, list[ListEntry], list[bytes]]:
    """Header, entries and each entry's JSON line as stored, after proving that the entries are exactly
    what the header says (the lines are what a stored party index keeps of the entries)."""
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as exc:
        raise SnapshotError(f"{path}: unreadable snapshot: {exc}") from exc
    first, _, body = data.partition(b"\n")
    info = _header(first, path)
    if hashlib.sha256(body).hexdigest() != info.sha256:
        raise SnapshotError(f"{path}: content does not match its sha256 ({info.version}); the file is corrupt")
    lines = _entry_lines(body)
    if len(lines) != info.entries:
        raise SnapshotError(f"{path}: {len(lines)} entries, header says {info.entries}")
    try:
        with collector_paused():
            return info, [ListEntry.model_validate_json(line) for line in lines], lines
    except ValidationError as exc:
        raise SnapshotError(f"{path}: an entry does not validate: {exc}") from exc


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many entries (no cycles are created).

    Each entry holds several lists, so building 250,000 triggers repeated full collections that scan
    everything built so far: pausing makes the load about four times faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def snapshot_paths(directory: Path) -> list[Path]:
    """Every stored snapshot file, by name (temporary files of an unfinished write are not snapshots)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith("."))


def current_info(directory: Path, name: str) -> SnapshotInfo | None:
    """The header of the named snapshot, None if there is none (a corrupt one raises SnapshotError)."""
    path = snapshot_path(directory, name)
    return read_info(path) if path.exists() else None


def file_sha256(paths: Iterable[Path]) -> str:
    """One hash over source files (name and content), in name order."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name.lower()):
        digest.update(path.name.lower().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
