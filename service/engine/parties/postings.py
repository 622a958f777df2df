"""Postings of the party index: for each key, the sorted numbers of the name rows holding it.

All lists sit in one flat int32 array with an offset per key (compressed sparse rows), read as numpy
views. A query unites, counts and intersects a few hundred to a few thousand row numbers; done in
Python sets and Counters that was two thirds of a query's time on a quarter of a million names
(docs/performance.md), done on sorted arrays it is a handful of C loops. The flat array also takes a
fraction of the memory of a Python list per key.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int32]
Numbers = npt.NDArray[np.integer[Any]]
EMPTY: Rows = np.zeros(0, dtype=np.int32)
MASK_FROM = 2_000  # a key held by this many rows is looked up in a mask (Postings.holds)
MASKS_BYTES = 32 * 2**20  # the masks kept, at most


class Postings:
    """Key → the rows holding it, ascending and without repeats (as the index adds them)."""

    def __init__(self, ids: dict[str, int], flat: Rows, sizes: Sequence[int]) -> None:
        """`ids` numbers the keys; key number n's rows are the n-th run of `flat`, `sizes[n]` long."""
        self._ids = ids
        self._flat = flat
        self._flat.setflags(write=False)  # views of it are handed out and cached: never written to
        self._sizes = list(sizes)
        self._starts = [0, *itertools.accumulate(self._sizes)]
        self._rows_total = int(flat.max()) + 1 if len(flat) else 0
        self._masks: dict[str, npt.NDArray[np.bool_]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def numbered_keys(self) -> list[str]:
        """Every key, by number (the order they were numbered in)."""
        return list(self._ids)

    def sizes(self) -> list[int]:
        """How many rows hold each key, by number."""
        return list(self._sizes)

    def flat(self) -> Rows:
        """Every key's rows, one run after another, by key number (read-only)."""
        return self._flat

    def size(self, key: str) -> int:
        """How many rows hold the key (0 for a key no row holds)."""
        number = self._ids.get(key)
        return 0 if number is None else self._sizes[number]

    def rows(self, key: str) -> Rows:
        """The rows holding the key, ascending (a read-only view)."""
        number = self._ids.get(key)
        if number is None:
            return EMPTY
        return self._flat[self._starts[number]:self._starts[number + 1]]


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
        key_numbers = np.array(self._numbers, dtype=np.int32)
        rows = np.repeat(np.arange(len(self._keys_per_row), dtype=np.int32), self._keys_per_row)
        flat = rows[np.argsort(key_numbers, kind="stable")]  # (stable: each key's rows stay ascending)
        return Postings(self._ids, flat, np.bincount(key_numbers, minlength=len(self._ids)).tolist())
