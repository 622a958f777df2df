"""Copies of a SQLite database taken while the service runs (PostgreSQL: pg_dump, docs/operations.md).

SQLite's online backup API copies the database page by page inside read transactions, so writers keep
going and the copy is one consistent state, committed WAL frames included. Copying the file with `cp`
instead can miss what is still in the WAL, or catch a page mid-write.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

PAGES_PER_STEP = 1024  # pages copied per step; writers get the lock between steps


class BackupError(Exception):
    """The database cannot be backed up this way."""


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite URL; BackupError for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(f"{url.get_backend_name()}: back up PostgreSQL with pg_dump (docs/operations.md)")
    return Path(url.database)


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the database to `target` (which must not exist) with the online backup API; the pages copied."""
    source_path = sqlite_path(database_url)
    if not source_path.is_file():
        raise BackupError(f"{source_path}: no such database file")
    if target.exists():
        raise BackupError(f"{target}: already exists; a backup never overwrites a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=PAGES_PER_STEP)
        pages: int = copy.execute("PRAGMA page_count").fetchone()[0]
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    return pages
