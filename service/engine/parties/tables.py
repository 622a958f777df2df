"""The party index's tables on disk: one `.npy` file per array, memory-mapped by every process.

A stored index is a directory holding `tables.json` and the arrays of PartyIndex.tables(), each as
`<name>.npy`. `tables.json` says what the arrays are: the storage format (FORMAT), the identity of
the lists and of the matcher's code they were built from, and each file's size and sha256. Opening
checks all of it before a single array is trusted: another format, other lists, another matcher
(a normaliser changed since: the stored keys would no longer be the ones a query makes) or a file
whose hash differs raise IndexTablesError, and the caller rebuilds from the snapshots or refuses;
never a silently wrong or empty index.

The arrays are opened with numpy's `mmap_mode="r"`: read-only pages of the page cache, shared by the
API workers and batch workers that map the same files, and only read from disk where a query looks.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = "party-index-tables/1"  # changes whenever the arrays' names, types or meaning change
TABLES_JSON = "tables.json"
_CHUNK = 4 * 2**20
HASHING_THREADS = 2
NORMALISER_LIBRARIES = ("anyascii", "pycountry", "rapidfuzz")


class IndexTablesError(Exception):
    """A stored index is missing, of another format, built from other lists or code, or corrupt."""


def matcher_fingerprint() -> str:
    """A hash of what the stored keys and normalised texts depend on: the party matcher's source files
    (installed or in a source tree, the .py files sit beside the compiled modules), the Unicode
    database and the versions of the libraries the normaliser calls."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    libraries = [f"{name}={_version(name)}" for name in NORMALISER_LIBRARIES]
    digest.update(" ".join([unicodedata.unidata_version, *libraries]).encode())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def write_tables(directory: Path, arrays: Mapping[str, npt.NDArray[Any]], identity: str) -> None:
    """Write the arrays and their description into a new directory (made here; it must not exist)."""
    directory.mkdir(parents=True)
    files: dict[str, dict[str, object]] = {}
    for name, array in arrays.items():
        path = directory / f"{name}.npy"
        with path.open("wb") as out:
            np.save(out, np.ascontiguousarray(array), allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        files[name] = {"bytes": path.stat().st_size, "sha256": _file_sha256(path)}
    description = {"format": FORMAT, "identity": identity, "matcher": matcher_fingerprint(), "files": files}
    with (directory / TABLES_JSON).open("w", encoding="utf-8") as out:  # last: a directory without it is unfinished
        json.dump(description, out, indent=1)
        out.flush()
        os.fsync(out.fileno())


def read_tables(directory: Path, identity: str) -> dict[str, npt.NDArray[Any]]:
    """The arrays of a stored index, memory-mapped, after checking format, identity, matcher and every
    file's hash; IndexTablesError otherwise."""
    description = _description(directory)
    if description.get("format") != FORMAT:
        raise IndexTablesError(f"{directory}: index format {description.get('format')!r}, expected {FORMAT!r}")
    if description.get("identity") != identity:
        raise IndexTablesError(f"{directory}: built from other lists than the ones loaded")
    if description.get("matcher") != matcher_fingerprint():
        raise IndexTablesError(f"{directory}: built by another version of the party matcher")
    files = description.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexTablesError(f"{directory}: {TABLES_JSON} lists no files")
    # (hashlib lets go of the GIL on large buffers: the files are hashed two at a time)
    with ThreadPoolExecutor(max_workers=HASHING_THREADS) as pool:
        mapped = pool.map(lambda item: _mapped(directory / f"{item[0]}.npy", item[1]), files.items())
        return dict(zip(files, mapped, strict=True))


def _description(directory: Path) -> dict[str, Any]:
    path = directory / TABLES_JSON
    try:
        description = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise IndexTablesError(f"{path}: no stored index") from exc
    except (OSError, ValueError) as exc:
        raise IndexTablesError(f"{path}: unreadable: {exc}") from exc
    if not isinstance(description, dict):
        raise IndexTablesError(f"{path}: not an index description")
    return description


def _mapped(path: Path, recorded: object) -> npt.NDArray[Any]:
    """One array, proven whole by its size and hash, then mapped."""
    if not isinstance(recorded, dict):
        raise IndexTablesError(f"{path}: no size and hash recorded")
    try:
        size = path.stat().st_size
        if size != recorded.get("bytes") or _file_sha256(path) != recorded.get("sha256"):
            raise IndexTablesError(f"{path}: does not match its recorded size and sha256; the index is corrupt")
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        # a plain array over the mapped pages: a slice of a np.memmap passes through two Python-level
        # methods of the subclass, a quarter of a query's time on a stored index
        array: npt.NDArray[Any] = mapped.view(np.ndarray)
    except (OSError, ValueError) as exc:
        raise IndexTablesError(f"{path}: unreadable: {exc}") from exc
    return array


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
