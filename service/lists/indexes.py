"""The party index stored beside the list snapshots, built once per set of lists and mapped by every process.

Building the index normalises every listed name; at a million names that is most of a minute and more
than a GiB per process. So the index is built when the lists change (`lists import`, `update`,
`remove`, `adopt`) and stored under `<data_dir>/index/<identity>/` (service.engine.parties.tables):
every API worker and batch worker maps the same files, and their pages are shared.

The identity is a hash of the loaded lists (name, version, entry count of each, in load order: the
bundled curated lists, then the snapshots) and the storage format; the tables also record the matcher's
code. A process finds the index of exactly the lists it loaded. If there is none, or it is of another
format, other lists, another matcher, or a file does not match its hash, the process rebuilds it from
the snapshots (proving each whole, as loading always does) and stores it; if that fails it refuses to
screen, as for any list that cannot be loaded. A data directory with no snapshot (the bundled curated
lists only) has a small index that each process builds in memory; so do lists given with `--list`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy.typing as npt

from service.engine.parties.entry import ListEntry
from service.engine.parties.index import PartyIndex
from service.engine.parties.tables import FORMAT, IndexTablesError, read_tables, write_tables
from service.engine.verdict import ListStamp
from service.lists.load import LoadedLists, load_lists
from service.settings import Settings

logger = logging.getLogger("service.lists")


def index_root(data_dir: Path) -> Path:
    """Where stored indexes live."""
    return data_dir / "index"


def identity(stamps: list[ListStamp]) -> str:
    """What a stored index was built from: the storage format and every list's name, version and size."""
    listed = [[stamp.name, stamp.version, stamp.entries] for stamp in stamps]
    return hashlib.sha256(json.dumps([FORMAT, listed]).encode()).hexdigest()


def is_stored(lists: LoadedLists) -> bool:
    """Whether these lists get a stored index: those with at least one snapshot (the bundled lists alone
    are small and built in memory)."""
    return any(age.official for age in lists.ages)


def index_path(data_dir: Path, stamps: list[ListStamp]) -> Path:
    """The directory of the stored index of these lists."""
    return index_root(data_dir) / identity(stamps)[:32]


def open_index(settings: Settings, stamps: list[ListStamp]) -> PartyIndex:
    """The stored index of these lists, mapped; IndexTablesError if it is missing or cannot be trusted."""
    tables = read_tables(index_path(settings.data_dir, stamps), identity(stamps))
    try:
        return screener(settings, tables, stamps)
    except (KeyError, ValueError, IndexError) as exc:  # (a table missing or malformed despite its hash)
        raise IndexTablesError(f"stored party index unusable: {exc!r}") from exc


def store_index(settings: Settings, lists: LoadedLists) -> Path:
    """Build the index of fully loaded lists, store it (atomically: a temporary directory renamed into
    place) and drop the indexes of other lists; returns its directory."""
    final = index_path(settings.data_dir, lists.stamps)
    root = final.parent
    with _builder_lock(root):
        if final.exists():
            try:
                read_tables(final, identity(lists.stamps))
                return final  # (another process stored it meanwhile)
            except IndexTablesError:
                shutil.rmtree(final)  # corrupt or stale: rebuilt below
        built = PartyIndex(lists.entries, lists.stamps)
        scratch = Path(tempfile.mkdtemp(dir=root, prefix=".building."))
        try:
            write_tables(scratch / "tables", built.tables(), identity(lists.stamps))
            (scratch / "tables").rename(final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for other in root.iterdir():  # (a process still mapping an old one keeps its pages until it exits)
            if other.is_dir() and other != final:
                shutil.rmtree(other, ignore_errors=True)
    return final


def refresh_index(settings: Settings) -> Path | None:
    """After the lists changed: store the index of the lists as they now are (None: no snapshot, nothing
    stored, and any old index is dropped). Raises ListLoadError if the lists cannot be loaded."""
    lists = load_lists(settings, require=False)
    if not is_stored(lists):
        shutil.rmtree(index_root(settings.data_dir), ignore_errors=True)
        return None
    return store_index(settings, lists)


def party_index(settings: Settings, headers: LoadedLists, *, scripts_up_front: bool = True) -> PartyIndex:
    """The screener of the lists whose headers were loaded: the stored index, mapped; else built from
    the snapshots and stored (or, when it cannot be stored, kept in memory). Raises ListLoadError when
    the lists cannot be loaded. (`scripts_up_front`: see service.runtime.load_context.)"""
    if not is_stored(headers):
        return _in_memory(settings, headers if headers.entries else load_lists(settings), scripts_up_front)
    try:
        return open_index(settings, headers.stamps)
    except IndexTablesError as exc:
        logger.warning("event=party_index_rebuild reason=%r", str(exc))
    lists = load_lists(settings)  # (proves every snapshot whole and holds it to the manifest)
    try:
        store_index(settings, lists)
        return open_index(settings, lists.stamps)
    except (OSError, IndexTablesError) as exc:
        logger.warning("event=party_index_in_memory reason=%r", str(exc))
        return _in_memory(settings, lists, scripts_up_front)


def _in_memory(settings: Settings, lists: LoadedLists, scripts_up_front: bool = True) -> PartyIndex:
    index = screener(settings, lists.entries, lists.stamps)
    if scripts_up_front:
        index.prepare_scripts()  # a first query in Chinese or Hebrew characters must not wait for them
    return index


def screener(settings: Settings, source: Sequence[ListEntry] | Mapping[str, npt.NDArray[Any]],
             stamps: list[ListStamp]) -> PartyIndex:
    """The index with the thresholds and cache size from settings (over entries or stored tables)."""
    return PartyIndex(source, stamps, review_threshold=settings.review_threshold,
                      block_threshold=settings.block_threshold, cache_size=settings.party_cache_size)


@contextmanager
def _builder_lock(root: Path) -> Iterator[None]:
    """One process builds at a time; the others wait, then find its index stored."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
