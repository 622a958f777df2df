"""The rulebook lock: which rule files and curated lists, with their ids and hashes, were last approved.

`export-screen rules lock` writes `rules/rules.lock.json` after a review. Every load that screens
compares the rule files, and the curated party lists, with it: a file cut short (still valid YAML, fewer
rules or entries), deleted, added or edited is refused, naming the file and what changed. A rulebook
without a lock is refused too: nobody has said that these are the rules to apply.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.engine.rulebook.load import RulebookError
from service.files import replace_file

LOCK_NAME = "rules.lock.json"
RELOCK = "review the change, then run `export-screen rules lock`"


class RulebookLockError(RulebookError):
    """The rule files differ from the approved lock, or there is no lock: nothing may be screened."""


class LockedFile(BaseModel):
    """One approved rule file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(description="sha256 of the file's bytes.")
    rules: list[str] = Field(description="Ids of the rules (or curated entries) the file defines, in file order.")


class RulebookLock(BaseModel):
    """The approved rulebook: its version and every rule file with its hash and rule ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(description="The rulebook version (content hash) the lock approves.")
    files: dict[str, LockedFile] = Field(description="Rule file name -> hash and rule ids.")
    curated: dict[str, LockedFile] = Field(
        description="Curated list file name (in the lists directory) -> hash and entry ids."
    )


@dataclass(frozen=True)
class RuleFileRead:
    """A rule file as read from disk: its name, its bytes and (if it parses) its rule ids."""

    name: str
    data: bytes
    rules: list[str] | None  # rule ids (curated lists: entry ids); None: the file does not parse

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def lock_path(directory: Path) -> Path:
    """Where a rules directory keeps its lock."""
    return directory / LOCK_NAME


def lock_of(version: str, files: list[RuleFileRead], curated: list[RuleFileRead]) -> RulebookLock:
    """The lock that approves exactly these rule files and curated list files."""
    def locked(reads: list[RuleFileRead]) -> dict[str, LockedFile]:
        return {read.name: LockedFile(sha256=read.sha256, rules=list(read.rules or [])) for read in reads}

    return RulebookLock(version=version, files=locked(files), curated=locked(curated))


def read_lock(directory: Path) -> RulebookLock | None:
    """The lock of a rules directory, None if there is none; an unreadable lock raises."""
    path = lock_path(directory)
    if not path.exists():
        return None
    try:
        return RulebookLock.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise RulebookLockError(path, f"the lock cannot be read ({exc}); {RELOCK}") from exc


def write_lock(directory: Path, lock: RulebookLock) -> Path:
    """Write the lock atomically (a reader sees the old lock or the new one)."""
    path = lock_path(directory)
    replace_file(path, (json.dumps(lock.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def differences(lock: RulebookLock, files: list[RuleFileRead]) -> list[str]:
    """What changed in the rule files since the lock, one sentence per file; empty if none."""
    return changes(lock.files, files, "rules")


def curated_differences(lock: RulebookLock, files: list[RuleFileRead]) -> list[str]:
    """What changed in the curated list files since the lock, one sentence per file; empty if none."""
    return changes(lock.curated, files, "entries")


def changes(approved: dict[str, LockedFile], files: list[RuleFileRead], things: str) -> list[str]:
    """Files missing, changed (with the ids they lost or gained) or added against the approved ones."""
    found = {read.name: read for read in files}
    changed = []
    for name, locked in sorted(approved.items()):
        read = found.get(name)
        if read is None:
            changed.append(f"{name}: file missing (the lock lists {len(locked.rules)} {things} in it)")
        elif read.sha256 != locked.sha256:
            changed.append(f"{name}: {_what_changed(locked, read, things)}")
    for name in sorted(set(found) - set(approved)):
        changed.append(f"{name}: file added, not in the lock")
    return changed


def _what_changed(locked: LockedFile, read: RuleFileRead, things: str) -> str:
    """A changed file: which rules (or entries) it lost or gained, then the hashes."""
    hashes = f"content differs from the lock (sha256 {read.sha256[:12]}, locked {locked.sha256[:12]})"
    if read.rules is None:
        return f"does not parse; {hashes}"
    missing = [rule for rule in locked.rules if rule not in read.rules]
    added = [rule for rule in read.rules if rule not in locked.rules]
    parts = []
    if missing:
        parts.append(f"{things} missing: {', '.join(missing)} ({len(read.rules)} of {len(locked.rules)} left)")
    if added:
        parts.append(f"{things} added: {', '.join(added)}")
    return "; ".join([*parts, hashes])


def verify(directory: Path, files: list[RuleFileRead]) -> None:
    """Raise RulebookLockError unless the rule files are exactly the ones the lock approves."""
    lock = require_lock(directory)
    found = differences(lock, files)
    if found:
        raise RulebookLockError(
            directory, f"the rule files differ from the approved lock: {'; '.join(found)}; {RELOCK}"
        )


def verify_curated(directory: Path, lists_dir: Path, files: list[RuleFileRead]) -> None:
    """Raise RulebookLockError unless the curated list files are exactly the ones the lock approves."""
    found = curated_differences(require_lock(directory), files)
    if found:
        raise RulebookLockError(
            lists_dir, f"the curated lists differ from the approved lock: {'; '.join(found)}; {RELOCK}"
        )


def require_lock(directory: Path) -> RulebookLock:
    """The lock of a rules directory; RulebookLockError if there is none."""
    lock = read_lock(directory)
    if lock is None:
        raise RulebookLockError(
            lock_path(directory),
            f"no rulebook lock: the rules in {directory} were never approved; review them, then run "
            f"`export-screen rules lock --rules-dir {directory}`",
        )
    return lock
