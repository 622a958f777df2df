"""The party index stored beside the list snapshots: built once per set of lists, read by every process.

Building the index normalises every listed name: seconds for the official lists, most of a minute at a
million names, in every API worker and batch worker. So the index's tables (service.engine.parties.tables)
are built when the lists change (`lists import`, `update`, `remove`, `adopt`) or when a process first
meets lists without them, and stored under `<data_dir>/index/<identity>/`:

- one `.npy` file per array of the tables (service.engine.parties.tables: `rows.*`, `exact.*`,
  `postings.*`), memory-mapped read-only, so their pages are shared by every process that maps them
  and a process holds only the few rows its queries decode;
- `scripts.*.npy`: the keys names from another script are looked up by, as postings, mapped when first
  needed;
- `entries.*.npy`: every entry as its snapshot's JSON line, and (list, entry id) as keys
  (service.engine.parties.stored_entries), in the order the tables refer to them;
- `index.json`, written last: the storage format, the identity of the lists, the sha256 of each
  snapshot file the entries were read from, the fingerprint of the matcher that built it, and each
  file's size and sha256.

A process makes its PartyIndex from the stored tables and entries only after checking all of that:
another format, other lists, other snapshot files, another matcher (a changed normaliser would make
other keys) or a file whose hash differs is never trusted. The index is then rebuilt from the snapshots'
entries (each snapshot proven whole by its hash) and stored again; if it cannot be stored, the process
keeps its own build in memory. A process that uses the stored index reads no snapshot's entries.
A data directory without snapshots (the bundled curated lists only) has a small index built in memory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from service.engine.parties import index as index_module
from service.engine.parties.index import PartyIndex, build_tables, collector_paused
from service.engine.parties.postings import Array, Arrays, Postings, postings_from, postings_names
from service.engine.parties.stored_entries import ENTRY_ARRAYS, StoredEntries
from service.engine.parties.tables import POSTINGS, IndexTables, table_names, tables_from_arrays
from service.engine.verdict import ListStamp
from service.files import replace_file
from service.lists.load import LoadedLists, load_lists
from service.lists.script_keys import ScriptKeysAside
from service.lists.store import WrittenSnapshot
from service.settings import Settings

logger = logging.getLogger("service.lists")

FORMAT = "party-index/4"  # changes whenever the files' names, contents or meaning change
DESCRIPTION = "index.json"
TABLES = tuple(f"{name}.npy" for name in table_names())
SCRIPTS = tuple(f"{name}.npy" for name in postings_names("scripts"))
KEYS = tuple(f"{name}.npy" for name in postings_names(POSTINGS))  # (among TABLES: the rows' keys)
ENTRIES = tuple(f"entries.{name}.npy" for name in ENTRY_ARRAYS)
NORMALISER_LIBRARIES = ("anyascii", "numpy", "pycountry", "rapidfuzz")
_CHUNK = 4 * 2**20


class StoredIndexError(Exception):
    """A stored index is missing, of another format, built from other lists or code, or corrupt."""


def index_root(data_dir: Path) -> Path:
    """Where stored indexes live."""
    return data_dir / "index"


def identity(stamps: list[ListStamp]) -> str:
    """What a stored index was built from: the storage format and every list's name, version and size,
    in load order (the tables refer to entries by position)."""
    listed = [[stamp.name, stamp.version, stamp.entries] for stamp in stamps]
    return hashlib.sha256(json.dumps([FORMAT, listed]).encode()).hexdigest()


def index_path(data_dir: Path, stamps: list[ListStamp]) -> Path:
    """The directory of the stored index of these lists."""
    return index_root(data_dir) / identity(stamps)[:32]


def matcher_fingerprint() -> str:
    """A hash of what the stored tables depend on: the party matcher's source files (the .py files sit
    beside compiled modules too), the Unicode database, the libraries the normaliser calls, and the
    Python version (marshal's format)."""
    digest = hashlib.sha256()
    for path in sorted(Path(index_module.__file__ or "").resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    libraries = [f"{name}={_version(name)}" for name in NORMALISER_LIBRARIES]
    digest.update(" ".join([sys.version, unicodedata.unidata_version, *libraries]).encode())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def is_stored(lists: LoadedLists) -> bool:
    """Whether these lists get a stored index: those with at least one snapshot."""
    return any(age.official for age in lists.ages)


def party_index(settings: Settings, lists: LoadedLists, *, scripts_up_front: bool = True) -> PartyIndex:
    """The screener of the loaded lists: made from the stored tables; else built and stored by one process
    while the others wait, then made from them; kept in memory if it cannot be stored.
    (`scripts_up_front`: see service.runtime.load_context.)"""
    if not is_stored(lists):
        return _prepared(screener(settings, lists), scripts_up_front)
    try:
        return _prepared(open_index(settings, lists), scripts_up_front)
    except StoredIndexError as exc:
        logger.warning("event=party_index_rebuild reason=%r", str(exc))
    try:
        store_index(settings, lists)
        return _prepared(open_index(settings, lists), scripts_up_front)
    except (OSError, StoredIndexError) as exc:
        logger.warning("event=party_index_in_memory reason=%r", str(exc))
    return _prepared(screener(settings, lists), scripts_up_front)


def _prepared(index: PartyIndex, scripts_up_front: bool) -> PartyIndex:
    if scripts_up_front:
        index.prepare_scripts()  # a first query in Chinese or Hebrew characters must not wait for them
    return index


def screener(settings: Settings, lists: LoadedLists, tables: IndexTables | None = None,
             directory: Path | None = None, entries: StoredEntries | None = None) -> PartyIndex:
    """The index with the thresholds and cache size from settings: built from the lists' entries, or made
    from stored tables and entries."""
    scripts = (lambda: stored_scripts(directory)) if directory is not None else None
    return PartyIndex(lists.entries if entries is None else entries, lists.stamps,
                      review_threshold=settings.review_threshold, block_threshold=settings.block_threshold,
                      cache_size=settings.party_cache_size, tables=tables, stored_scripts=scripts)


def open_index(settings: Settings, lists: LoadedLists) -> PartyIndex:
    """The index of these lists made from their stored tables and entries, without reading the snapshots'
    entries; StoredIndexError if there are none or they cannot be trusted."""
    directory = index_path(settings.data_dir, lists.stamps)
    files = _checked_description(directory, identity(lists.stamps), lists.snapshot_hashes())
    tables = _tables(directory, files)
    try:
        entries = StoredEntries.from_arrays(_mapped(directory, ENTRIES, files), "entries")
    except (ValueError, KeyError) as exc:
        raise StoredIndexError(f"{directory}: entries unusable: {exc!r}") from exc
    listed = sum(stamp.entries for stamp in lists.stamps)
    if len(entries) != listed:
        raise StoredIndexError(f"{directory}: holds {len(entries)} entries, the lists {listed}")
    if len(tables) and int(tables.entries.max()) >= len(entries):
        raise StoredIndexError(f"{directory}: tables refer to more entries than the lists hold")
    return screener(settings, lists, tables, directory, entries)


def read_tables(directory: Path, list_identity: str) -> IndexTables:
    """The tables stored in `directory`, memory-mapped, after checking format, lists, matcher and the
    files' hashes; StoredIndexError otherwise."""
    return _tables(directory, _checked_description(directory, list_identity))


def _tables(directory: Path, files: dict[str, Any]) -> IndexTables:
    arrays = _mapped(directory, TABLES, files)
    try:
        return tables_from_arrays(arrays)
    except (ValueError, KeyError) as exc:
        raise StoredIndexError(f"{directory}: tables unusable: {exc!r}") from exc


def store_index(settings: Settings, lists: LoadedLists) -> Path:
    """Build and store the index of fully loaded lists (atomically: a temporary directory renamed into
    place), then drop the indexes of other lists; returns its directory."""
    final = index_path(settings.data_dir, lists.stamps)
    root = final.parent
    with _builder_lock(root):
        if final.exists():
            try:
                _verify_files(final, _checked_description(final, identity(lists.stamps), lists.snapshot_hashes()))
                return final  # (another process stored it meanwhile)
            except StoredIndexError:
                shutil.rmtree(final)  # stale or corrupt: stored again below
        scratch = Path(tempfile.mkdtemp(dir=root, prefix=".building."))
        try:
            # (the index is dropped before the collector resumes, or it would walk millions of objects)
            with collector_paused():
                _build_into(scratch, settings, lists)
            (scratch / "index").rename(final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for other in root.iterdir():  # (a process still mapping an old one keeps its pages until it exits)
            if other.is_dir() and other != final:
                shutil.rmtree(other, ignore_errors=True)
    return final


def _build_into(scratch: Path, settings: Settings, lists: LoadedLists) -> None:
    """Build the index of the lists and write it to `scratch`/index, the keys of its rows (by their words
    and across scripts) built by a second process meanwhile."""
    aside = ScriptKeysAside(scratch / "scripts")
    target = scratch / "index"
    target.mkdir()
    saved: dict[str, dict[str, Any]] = {}

    def save_entries() -> None:  # (no keys needed: done while the second process finishes them)
        if not saved:
            saved.update(saved_arrays(target, StoredEntries.of(lists.entries, lists.entry_lines).arrays("entries")))

    try:
        aside.start(len(lists.entries))
        keys = KeysAside(aside, save_entries) if aside.started else None
        index = screener(settings, lists, build_tables(lists.entries, aside.send, keys))
        save_entries()
        write_index(target, index, identity(lists.stamps), snapshots=lists.snapshot_hashes(), scripts=aside,
                    keys_aside=keys is not None and keys.taken, saved=saved)
    finally:
        aside.close()


class KeysAside:
    """The postings of the rows' keys built by the second process (build_tables' `keys_aside`): its
    files, mapped, or None when it failed (the storing process then files the keys itself)."""

    def __init__(self, aside: ScriptKeysAside, meanwhile: Callable[[], None] = lambda: None) -> None:
        self.aside = aside
        self.meanwhile = meanwhile  # (this process's work that needs no keys, done before waiting for them)
        self.taken = False  # (the tables hold the second process's files: they are moved, not written again)

    def __call__(self) -> Postings | None:
        self.meanwhile()
        written = self.aside.finish()
        if written is None or set(written) != {*SCRIPTS, *KEYS}:
            return None
        try:
            postings = postings_from(_mapped(self.aside.directory, KEYS, written), POSTINGS)
        except (StoredIndexError, ValueError, KeyError) as exc:
            logger.warning("event=party_index_keys_inline reason=%r", str(exc))
            return None
        self.taken = True
        return postings


def refresh_index(settings: Settings, written: Iterable[WrittenSnapshot] = ()) -> Path | None:
    """After the lists changed: store the index of the lists as they now are (None: no snapshot, nothing
    stored, and any old index is dropped). Raises ListLoadError if the lists cannot be loaded.
    `written`: snapshots this process has just written, whose entries need not be read back."""
    lists = load_lists(settings, require=False).with_written(written)
    if not is_stored(lists):
        shutil.rmtree(index_root(settings.data_dir), ignore_errors=True)
        return None
    return store_index(settings, lists)


def write_index(directory: Path, index: PartyIndex, list_identity: str, entries: StoredEntries | None = None,
                snapshots: dict[str, str] | None = None, scripts: ScriptKeysAside | None = None,
                keys_aside: bool = False, saved: dict[str, dict[str, Any]] | None = None) -> None:
    """The index's files in a new directory, then their description (a directory without it is unfinished).
    `entries`: the index's entries as stored (else written from the index's own); `snapshots`: the
    sha256 of each snapshot file they were read from; `scripts`: the cross-script keys' files, written
    by a second process meanwhile (else, or if it failed, built and written here); `keys_aside`: the
    tables' postings are that process's files too (KeysAside), moved rather than written again;
    `saved`: the entries' files, written into the directory already (then it exists)."""
    directory.mkdir(parents=True, exist_ok=saved is not None)
    arrays = index.tables().arrays()
    if saved is None:
        arrays.update((entries if entries is not None else StoredEntries.of(index.entries())).arrays("entries"))
    written = scripts.finish() if scripts is not None else None
    moved = {*SCRIPTS, *KEYS} if keys_aside else set(SCRIPTS)
    if scripts is None or written is None or not moved <= set(written) or not set(written) <= {*SCRIPTS, *KEYS}:
        moved = set()
    files = {**(saved or {}),
             **saved_arrays(directory, {name: array for name, array in arrays.items() if f"{name}.npy" not in moved})}
    if scripts is not None and written is not None and moved:
        for name in sorted(moved):
            (scripts.directory / name).rename(directory / name)
            files[name] = written[name]
    else:
        if written is not None:
            logger.warning("event=party_index_scripts_inline reason='the second process wrote %s'", sorted(written))
        files.update(saved_arrays(directory, index.script_postings().arrays("scripts")))
    description = {"format": FORMAT, "identity": list_identity, "matcher": matcher_fingerprint(),
                   "snapshots": snapshots or {}, "files": files}
    replace_file(directory / DESCRIPTION, json.dumps(description, indent=1).encode())


def _checked_description(directory: Path, list_identity: str, snapshots: dict[str, str] | None = None,
                         ) -> dict[str, Any]:
    """The stored files' sizes and hashes, after checking format, lists, matcher and, when given, that
    the snapshot files are still those the entries were read from."""
    try:
        description = json.loads((directory / DESCRIPTION).read_bytes())
    except (OSError, ValueError) as exc:
        raise StoredIndexError(f"{directory}: no stored index ({exc})") from exc
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise StoredIndexError(f"{directory}: another index format, expected {FORMAT!r}")
    if description.get("identity") != list_identity:
        raise StoredIndexError(f"{directory}: built from other lists than the ones loaded")
    if description.get("matcher") != matcher_fingerprint():
        raise StoredIndexError(f"{directory}: built by another version of the party matcher")
    if snapshots is not None and description.get("snapshots") != snapshots:
        raise StoredIndexError(f"{directory}: built from other snapshot files than the ones stored now")
    files = description.get("files")
    if not isinstance(files, dict) or set(files) != {*TABLES, *SCRIPTS, *ENTRIES}:
        raise StoredIndexError(f"{directory}: {DESCRIPTION} does not list the index's files")
    return files


def _verify_files(directory: Path, files: dict[str, Any]) -> None:
    """Every stored file is what was written."""
    for name in files:
        try:
            found = _file_sha256(directory / name)
        except OSError as exc:
            raise StoredIndexError(f"{directory / name}: unreadable: {exc}") from exc
        if found != files[name].get("sha256"):
            raise StoredIndexError(f"{directory / name}: content does not match its sha256; the file is corrupt")


def saved_arrays(directory: Path, arrays: Arrays) -> dict[str, dict[str, Any]]:
    """Write each array as `<name>.npy` (two at a time: writing, syncing and hashing a file mostly wait
    for the disk or run in C without the interpreter's lock); each file's size and sha256, in order."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="index-writer") as writers:
        saved = {f"{name}.npy": writers.submit(_saved_array, directory / f"{name}.npy", array)
                 for name, array in arrays.items()}
        return {name: future.result() for name, future in saved.items()}


def _saved_array(path: Path, array: Array) -> dict[str, Any]:
    """Write one array (fsynced); its size and sha256 for the description."""
    with path.open("wb") as out:
        np.save(out, np.ascontiguousarray(array), allow_pickle=False)
        out.flush()
        os.fsync(out.fileno())
    return {"bytes": path.stat().st_size, "sha256": _file_sha256(path)}


def _mapped(directory: Path, names: tuple[str, ...], files: dict[str, Any]) -> Arrays:
    """The named arrays over their files' mapped pages, each file's size and hash checked first."""
    arrays: Arrays = {}
    for name in names:
        path = directory / name
        expected = files.get(name)
        if not isinstance(expected, dict):
            raise StoredIndexError(f"{path}: not described in {DESCRIPTION}")
        try:
            if path.stat().st_size != expected.get("bytes"):
                raise StoredIndexError(f"{path}: size does not match; the file is corrupt")
            _verify_files(directory, {name: expected})
            mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise StoredIndexError(f"{path}: unreadable: {exc}") from exc
        if mapped.ndim != 1:
            raise StoredIndexError(f"{path}: not a flat array")
        # a plain array over the mapped pages: a slice of a np.memmap passes through Python-level methods
        arrays[name.removesuffix(".npy")] = mapped.view(np.ndarray)
    return arrays


def stored_scripts(directory: Path) -> Postings | None:
    """The stored cross-script keys, mapped, or None (then they are built) when they cannot be trusted."""
    try:
        files = json.loads((directory / DESCRIPTION).read_bytes())["files"]
        return postings_from(_mapped(directory, SCRIPTS, files), "scripts")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, StoredIndexError) as exc:
        logger.warning("event=party_index_scripts_rebuild reason=%r", str(exc))
        return None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _builder_lock(root: Path) -> Iterator[None]:
    """One process stores at a time; the others wait, then find its index stored."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
