"""Postings of the party index: for each key, the sorted numbers of the name rows holding it.

All lists sit in one flat int32 array with an offset per key (compressed sparse rows), read as numpy
views. A query unites, counts and intersects a few hundred to a few thousand row numbers; done in
Python sets and Counters that was two thirds of a query's time on a quarter of a million names
(docs/performance.md), done on sorted arrays it is a handful of C loops. The flat array also takes a
fraction of the memory of a Python list per key.

Nothing here is a Python object per key or per row: keys are found through a sorted array of their
64-bit hashes (KeyTable) and texts sit in one UTF-8 block with offsets (Texts). So the same arrays can
be written to disk and memory-mapped by every process (service.engine.parties.tables), and a million
listed names cost each process no Python objects of their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int32]
Numbers = npt.NDArray[np.integer[Any]]
Arrays = dict[str, npt.NDArray[Any]]
EMPTY: Rows = np.zeros(0, dtype=np.int32)
MASK_FROM = 2_000  # a key held by this many rows is looked up in a mask (Postings.holds)
MASKS_BYTES = 32 * 2**20  # the masks kept, at most
KNOWN_KEYS = 200_000  # keys whose numbers a Postings remembers (cleared when full)


def stable_hash(text: str) -> int:
    """A 64-bit hash of a text that is the same in every process (Python's own hash of a str is
    salted per process, so it cannot be stored)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


def _read_only(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if array.flags.writeable:
        array.setflags(write=False)
    return array


class Texts:
    """Strings by number, held as one UTF-8 block and the offset of each string (n + 1 offsets)."""

    def __init__(self, blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> None:
        self._blob = _read_only(blob)
        self._offsets = _read_only(offsets)
        self._count = len(offsets) - 1

    @staticmethod
    def of(strings: Iterable[str]) -> Texts:
        """The strings, packed."""
        encoded = [text.encode() for text in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        return Texts(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, number: int) -> str:
        start, end = self._offsets[number:number + 2].tolist()
        text: str = self._blob[start:end].tobytes().decode()
        return text

    def arrays(self, prefix: str) -> Arrays:
        """The arrays to store, named after `prefix`."""
        return {f"{prefix}.blob": self._blob, f"{prefix}.offsets": self._offsets}

    @staticmethod
    def stored(arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> Texts:
        """Texts over stored arrays (as `arrays` named them)."""
        return Texts(arrays[f"{prefix}.blob"], arrays[f"{prefix}.offsets"])


class KeyTable:
    """Key text → key number without a dictionary of millions of strings: the keys are numbered in
    the order of their stable hashes, found by a binary search, and checked against their text (two
    keys may share a hash)."""

    def __init__(self, hashes: npt.NDArray[np.int64], texts: Texts) -> None:
        self._hashes = _read_only(hashes)
        self._texts = texts
        self._count = len(hashes)

    @staticmethod
    def of(keys: Sequence[str]) -> tuple[KeyTable, npt.NDArray[np.int64]]:
        """The table of `keys` and, for each key in the order given, its number in the table."""
        hashes = np.fromiter(map(stable_hash, keys), dtype=np.int64, count=len(keys))
        order = hashes.argsort(kind="stable")
        numbers = np.empty(len(keys), dtype=np.int64)
        numbers[order] = np.arange(len(keys), dtype=np.int64)
        return KeyTable(hashes[order], Texts.of(keys[int(i)] for i in order)), numbers

    def __len__(self) -> int:
        return self._count

    def get(self, key: str) -> int | None:
        """The key's number, None when the table does not hold it."""
        wanted = stable_hash(key)
        hashes = self._hashes
        at = int(hashes.searchsorted(wanted))
        while at < self._count and int(hashes[at]) == wanted:
            if self._texts[at] == key:
                return at
            at += 1
        return None

    def arrays(self, prefix: str) -> Arrays:
        """The arrays to store, named after `prefix`."""
        return {f"{prefix}.hashes": self._hashes, **self._texts.arrays(f"{prefix}.keys")}

    @staticmethod
    def stored(arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> KeyTable:
        """The table over stored arrays."""
        return KeyTable(arrays[f"{prefix}.hashes"], Texts.stored(arrays, f"{prefix}.keys"))


class Postings:
    """Key → the rows holding it, ascending and without repeats (as the index adds them)."""

    def __init__(self, keys: KeyTable, flat: Rows, starts: npt.NDArray[np.int64], rows_total: int) -> None:
        """Key number n's rows are flat[starts[n]:starts[n + 1]]; `rows_total` is the number of rows."""
        self._keys = keys
        self._flat = _read_only(flat)  # views of it are handed out and cached: never written to
        self._starts = _read_only(starts)
        self._rows_total = rows_total
        self._masks: dict[str, npt.NDArray[np.bool_]] = {}
        # key → its number, -1 for a key not held: a query asks about the same keys several times
        self._known: dict[str, int] = {}

    @staticmethod
    def of(lists: Mapping[str, Sequence[int]], rows_total: int) -> Postings:
        """Postings holding these ascending lists."""
        keys = list(lists)
        table, numbers = KeyTable.of(keys)
        sizes = np.zeros(len(keys), dtype=np.int64)
        sizes[numbers] = [len(lists[key]) for key in keys]
        starts = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        flat = np.empty(int(starts[-1]), dtype=np.int32)
        for key, number in zip(keys, numbers.tolist(), strict=True):
            flat[starts[number]:starts[number + 1]] = lists[key]
        return Postings(table, flat, starts, rows_total)

    def _number(self, key: str) -> int:
        known = self._known
        number = known.get(key)
        if number is None:
            found = self._keys.get(key)
            number = -1 if found is None else found
            if len(known) >= KNOWN_KEYS:
                known.clear()  # (shared by threads: dictionary operations are atomic)
            known[key] = number
        return number

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._number(key) >= 0

    def __len__(self) -> int:
        return len(self._keys)

    def size(self, key: str) -> int:
        """How many rows hold the key (0 for a key no row holds)."""
        number = self._number(key)
        if number < 0:
            return 0
        start, end = self._starts[number:number + 2].tolist()
        size: int = end - start
        return size

    def rows(self, key: str) -> Rows:
        """The rows holding the key, ascending (a read-only view)."""
        found = self.find(key)
        return EMPTY if found is None else found

    def find(self, key: str) -> Rows | None:
        """The rows holding the key, ascending (a read-only view); None for a key not held."""
        number = self._number(key)
        if number < 0:
            return None
        start, end = self._starts[number:number + 2].tolist()
        return self._flat[start:end]

    def arrays(self, prefix: str) -> Arrays:
        """The arrays to store, named after `prefix`."""
        return {**self._keys.arrays(prefix), f"{prefix}.flat": self._flat, f"{prefix}.starts": self._starts}

    @staticmethod
    def stored(arrays: Mapping[str, npt.NDArray[Any]], prefix: str, rows_total: int) -> Postings:
        """Postings over stored arrays."""
        return Postings(KeyTable.stored(arrays, prefix), arrays[f"{prefix}.flat"], arrays[f"{prefix}.starts"],
                        rows_total)

    def holds(self, key: str, rows: Numbers) -> npt.NDArray[np.bool_]:
        """For each of `rows`, whether it holds the key. A common key (tens of thousands of rows) is
        asked about often and about many rows: it gets a mask over all rows, one look-up per row instead
        of a binary search (a few are kept, bounded in bytes); a rarer key is searched (member)."""
        if self.size(key) < MASK_FROM:
            return member(rows, self.rows(key))
        mask = self._masks.get(key)
        if mask is None:
            mask = np.zeros(self._rows_total, dtype=np.bool_)
            mask[self.rows(key)] = True
            mask.setflags(write=False)
            if (len(self._masks) + 1) * self._rows_total > MASKS_BYTES:
                self._masks.clear()  # (shared by threads: dictionary operations are atomic)
            self._masks[key] = mask
        found: npt.NDArray[np.bool_] = mask[rows]
        return found


def member(rows: Numbers, members: Numbers) -> npt.NDArray[np.bool_]:
    """For each of `rows` (any order), whether it is one of `members` (ascending): a binary search per
    row, so a few hundred rows are checked against a common key's tens of thousands in microseconds."""
    if not len(members):
        return np.zeros(len(rows), dtype=np.bool_)
    found = members.searchsorted(rows)  # (the method: np.searchsorted is a Python-level wrapper of it)
    np.minimum(found, len(members) - 1, out=found)
    matched: npt.NDArray[np.bool_] = members[found] == rows
    return matched


class PostingsBuilder:
    """Files each row's keys, row after row, as key numbers; the sort by key runs in C at the end. A
    quarter of a million names give about two million keys: a Python list append per key, or a
    dictionary look-up per key string, took seconds. Keys are numbered once per word (`word`), and a
    name's keys are mostly its words' keys."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self.words: dict[str, tuple[int, ...]] = {}  # each word seen: its keys' numbers
        self._numbers: list[int] = []
        self._keys_per_row: list[int] = []

    def number(self, key: str) -> int:
        """The key's number (a new one for a key not seen before)."""
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self._ids)
        return found

    def word(self, word: str, keys: Callable[[str], Sequence[str]]) -> tuple[int, ...]:
        """The numbers of a word's keys (`keys` gives them; asked once per word)."""
        found = self.words.get(word)
        if found is None:
            found = self.words[word] = tuple(self.number(key) for key in keys(word))
        return found

    def add_row(self, numbers: Iterable[int]) -> None:
        """The next row's keys, by number (repeats are filed once)."""
        distinct = set(numbers)
        self._numbers.extend(distinct)
        self._keys_per_row.append(len(distinct))

    def build(self) -> Postings:
        table, renumbered = KeyTable.of(list(self._ids))
        key_numbers = renumbered[np.array(self._numbers, dtype=np.int64)] if self._numbers else renumbered[:0]
        rows = np.repeat(np.arange(len(self._keys_per_row), dtype=np.int32), self._keys_per_row)
        flat = rows[np.argsort(key_numbers, kind="stable")]  # (stable: each key's rows stay ascending)
        starts = np.zeros(len(self._ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_numbers, minlength=len(self._ids)), out=starts[1:])
        return Postings(table, flat, starts, len(self._keys_per_row))
