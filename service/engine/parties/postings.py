"""Postings of the party index: for each key, the sorted numbers of the name rows holding it.

All lists sit in one flat int32 array with an offset per key (compressed sparse rows), read as numpy
views. A query unites, counts and intersects a few hundred to a few thousand row numbers; done in
Python sets and Counters that was two thirds of a query's time on a quarter of a million names
(docs/performance.md), done on sorted arrays it is a handful of C loops. The flat array also takes a
fraction of the memory of a Python list per key.

The keys are arrays too (KeyTable: their spellings in one blob, their CRC-32s sorted), so that a file
can hold the postings as they are: a stored index maps them (service.lists.indexes), and every process
shares their pages instead of holding a dictionary of two million keys. Finding a key and cutting a
string out of its blob run in C (`_in_c.c`), reading the arrays in place; without a C compiler
(PURE_PYTHON_BUILD=1) the same steps run in Python.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

try:
    from service.engine.parties import _in_c
except ImportError:  # (not built: PURE_PYTHON_BUILD=1)
    _in_c = None  # type: ignore[assignment]

Rows = npt.NDArray[np.int32]
Numbers = npt.NDArray[np.integer[Any]]
Array = npt.NDArray[Any]
Arrays = dict[str, Array]
EMPTY: Rows = np.zeros(0, dtype=np.int32)
EMPTY.setflags(write=False)
MASK_FROM = 2_000  # a key held by this many rows is looked up in a mask (Postings.holds)
MASKS_BYTES = 32 * 2**20  # the masks kept, at most
MANY_STRINGS: Final = 32  # strings read at once from this many (numpy's calls cost more for fewer)
KEY_CACHE: Final = 65_536  # keys looked up, kept (cleared when full)
STRINGS_KEPT: Final = 32_768  # strings decoded, kept per table of strings (cleared when full)
POSTINGS_ARRAYS: Final = ("keys.blob", "keys.offsets", "hashes", "buckets", "order", "starts", "flat", "rows")


def bucket_bits(count: int) -> int:
    """How many leading bits of a hash pick its bucket: about one hash per bucket."""
    return max(1, (count - 1).bit_length())


def bucket_starts(leading: Array, bits: int) -> Array:
    """Where each bucket starts among hashes sorted by their `leading` bits (2**bits + 1 offsets):
    a look-up reads its bucket's one or two hashes instead of a binary search through all of them,
    which from Python costs a numpy call (a microsecond) per key."""
    return np.searchsorted(leading, np.arange(2**bits + 1, dtype=np.uint64)).astype(np.int64)


def items(array: Array, code: Literal["B", "i", "q"]) -> memoryview[int]:
    """A flat view of an array's items as Python numbers (`code`: a struct code, "q" for int64):
    reading one is several times quicker than indexing the array, which makes a numpy scalar."""
    return np.ascontiguousarray(array).data.cast("B").cast(code)


class Strings:
    """Strings by number: one UTF-8 blob and where each string starts (n + 1 offsets).

    The strings last read are kept decoded. Cutting one out of a mapped blob and decoding it costs
    several times what a query then does with it (a rapidfuzz comparison), and a query reads the same
    rows as the queries before it whenever their names share a rare word."""

    def __init__(self, blob: Array, offsets: Array) -> None:
        if offsets.dtype != np.int64 or offsets.ndim != 1 or not len(offsets) or blob.dtype != np.uint8:
            raise ValueError("stored tables: malformed strings")
        if int(offsets[0]) != 0 or int(offsets[-1]) != len(blob):
            raise ValueError("stored tables: strings do not add up")
        self.blob: Final = blob
        self.offsets: Final = offsets
        self._blob = items(blob, "B")
        self._offsets = items(offsets, "q")
        self._count = len(offsets) - 1
        self._kept: dict[int, str] = {}
        self._in_place = _in_c.Strings(blob, offsets) if _in_c is not None else None

    @staticmethod
    def of(encoded: Sequence[bytes]) -> Strings:
        """The strings of these UTF-8 encodings, in order."""
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        return Strings(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, number: int) -> str:
        found = self._kept.get(number)
        if found is None:
            in_place = self._in_place
            found = in_place.text(number) if in_place is not None else str(self.raw(number), "utf-8")
            if len(self._kept) >= STRINGS_KEPT:
                self._kept.clear()  # (shared by threads: dictionary operations are atomic)
            self._kept[number] = found
        return found

    def many(self, numbers: Numbers) -> list[str]:
        """The strings of these numbers, gathered by numpy and decoded at once: hundreds of rows tied
        for the last candidate places are compared by their texts, and one look-up each cost more
        than the comparison."""
        if len(numbers) < MANY_STRINGS:
            return [self[number] for number in numbers.tolist()]
        starts = self.offsets[numbers]
        lengths = self.offsets[numbers + 1] - starts
        ends = np.cumsum(lengths)
        at = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(starts - ends + lengths, lengths)
        data = self.blob[at].tobytes()
        text = data.decode()
        bounds = [0, *ends.tolist()]
        if len(text) == len(data):  # (ASCII: a character per byte, so the strings are cut where their bytes are)
            return [text[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
        return [str(data[bounds[i]:bounds[i + 1]], "utf-8") for i in range(len(bounds) - 1)]

    def closest(self, text: str, numbers: Rows, places: int) -> list[int]:
        """Positions in `numbers` of the `places` strings most alike `text` by rapidfuzz's
        fuzz.ratio, the most alike first, ties in their order: the tie-break among candidate rows. In C
        (`_in_c.Strings.closest`) no string is made of each row's text, which cost more than comparing it."""
        in_place = self._in_place
        if in_place is not None:
            return in_place.closest(text, numbers, places)
        alike = process.extract(text, self.many(numbers), scorer=fuzz.ratio, limit=places)
        return [position for _, _, position in alike]

    def token_set_ratios(self, text: str, numbers: list[int], cutoff: float) -> list[float]:
        """rapidfuzz's fuzz.token_set_ratio(text, string, score_cutoff=cutoff) for each of these strings: the
        scorer's cheap look first. In C (`_in_c.Strings.token_set_ratios`) the same steps run on the
        stored bytes; through rapidfuzz each row cost a Python string and a call with keywords, about
        9,500 instructions a row and a tenth of a never-seen name's."""
        in_place = self._in_place
        if in_place is not None:
            return in_place.token_set_ratios(text, numbers, cutoff)
        return [fuzz.token_set_ratio(text, self[number], score_cutoff=cutoff) for number in numbers]

    def raw(self, number: int) -> bytes:
        """The string's UTF-8 bytes."""
        in_place = self._in_place
        if in_place is not None:
            return in_place.raw(number)
        if not 0 <= number < self._count:
            raise IndexError("string number out of range")
        offsets = self._offsets
        return bytes(self._blob[offsets[number]:offsets[number + 1]])

    def arrays(self, prefix: str) -> Arrays:
        return {f"{prefix}.blob": self.blob, f"{prefix}.offsets": self.offsets}


def strings_from(arrays: Arrays, prefix: str) -> Strings:
    """The strings stored as `arrays(prefix)` gave them."""
    return Strings(arrays[f"{prefix}.blob"], arrays[f"{prefix}.offsets"])


class KeyTable:
    """Key -> its number: the keys' CRC-32s sorted, in buckets by their leading bits, a key found
    checked against its spelling (a shared CRC only costs a second look). A dictionary of two million
    keys was a few hundred MiB in every process. The look-up runs in C (`_in_c.Keys`); in Python (not
    built), the last keys asked about are kept: a query asks about the same keys often."""

    def __init__(self, spellings: Strings, hashes: Array, buckets: Array, order: Array) -> None:
        if hashes.dtype != np.int64 or order.dtype != np.int32 or not len(hashes) == len(order) == len(spellings):
            raise ValueError("stored tables: malformed keys")
        self._shift = 32 - bucket_bits(len(hashes))
        if buckets.dtype != np.int64 or len(buckets) != 2 ** (32 - self._shift) + 1:
            raise ValueError("stored tables: malformed keys")
        self.spellings: Final = spellings
        self.hashes: Final = hashes
        self.buckets: Final = buckets
        self.order: Final = order
        self._hashes = items(hashes, "q")
        self._buckets = items(buckets, "q")
        self._order = items(order, "i")
        self._asked: dict[str, int] = {}
        self._in_place = _in_c.Keys(spellings.blob, spellings.offsets, hashes, buckets, order, self._shift) if (
            _in_c is not None) else None

    @staticmethod
    def of(keys: Sequence[str]) -> KeyTable:
        """The table of these keys, numbered in order."""
        encoded = [key.encode() for key in keys]
        hashes = np.fromiter(map(zlib.crc32, encoded), dtype=np.int64, count=len(encoded))
        order = hashes.argsort(kind="stable").astype(np.int32)
        hashes = hashes[order]
        bits = bucket_bits(len(hashes))
        buckets = bucket_starts(hashes.astype(np.uint64) >> np.uint64(32 - bits), bits)
        return KeyTable(Strings.of(encoded), hashes, buckets, order)

    def __len__(self) -> int:
        return len(self._order)

    def get(self, key: str) -> int:
        """The key's number, -1 for a key not held. (In C a look-up costs about what keeping it would:
        the last keys asked about are kept only for the look-up in Python.)"""
        in_place = self._in_place
        if in_place is not None:
            return in_place.find(key)
        number = self._asked.get(key)
        if number is None:
            number = self._find(key)
            if len(self._asked) >= KEY_CACHE:
                self._asked.clear()  # (shared by threads: dictionary operations are atomic)
            self._asked[key] = number
        return number

    def cuts(self, word: str) -> list[tuple[int, int, int]]:
        """Where the word may be cut in two held keys: (cut, the head's number, the tail's number) for each
        cut from the second character to the second last where either half is held (-1 for a half not
        held). A never-seen word is tried at every cut, two look-ups each: in C one call for them all."""
        in_place = self._in_place
        if in_place is not None:
            return in_place.cuts(word)
        halves = [(cut, self.get(word[:cut]), self.get(word[cut:])) for cut in range(2, len(word) - 1)]
        return [(cut, head, tail) for cut, head, tail in halves if head >= 0 or tail >= 0]

    def _find(self, key: str) -> int:
        encoded = key.encode()
        wanted = zlib.crc32(encoded)
        hashes, spellings = self._hashes, self.spellings
        bucket = wanted >> self._shift
        for at in range(self._buckets[bucket], self._buckets[bucket + 1]):
            if hashes[at] == wanted:
                number: int = self._order[at]
                if spellings.raw(number) == encoded:
                    return number
        return -1

    def keys(self) -> list[str]:
        """Every key, by number."""
        spellings = self.spellings  # (decoded one by one, not kept: every key once)
        return [str(spellings.raw(number), "utf-8") for number in range(len(spellings))]

    def arrays(self, prefix: str) -> Arrays:
        return {**self.spellings.arrays(f"{prefix}.keys"), f"{prefix}.hashes": self.hashes,
                f"{prefix}.buckets": self.buckets, f"{prefix}.order": self.order}


class Postings:
    """Key → the rows holding it, ascending and without repeats (as the index adds them)."""

    def __init__(self, keys: KeyTable, flat: Rows, starts: Array, rows_total: int) -> None:
        """Key number n's rows are `flat[starts[n]:starts[n + 1]]`; the rows are numbered below
        `rows_total`."""
        if flat.dtype != np.int32 or starts.dtype != np.int64 or len(starts) != len(keys) + 1:
            raise ValueError("stored tables: malformed postings")
        if int(starts[0]) != 0 or int(starts[-1]) != len(flat):
            raise ValueError("stored tables: postings do not add up")
        self.keys: Final = keys
        self._flat = flat
        self._flat.setflags(write=False)  # views of it are handed out and cached: never written to
        self.starts: Final = starts
        self._starts = items(starts, "q")
        self.rows_total: Final = rows_total
        self._masks: dict[str, npt.NDArray[np.bool_]] = {}

    def __contains__(self, key: str) -> bool:
        return self.keys.get(key) >= 0

    def __len__(self) -> int:
        return len(self.keys)

    def flat(self) -> Rows:
        """Every key's rows, one run after another, by key number (read-only)."""
        return self._flat

    def size(self, key: str) -> int:
        """How many rows hold the key (0 for a key no row holds)."""
        number = self.keys.get(key)
        return self.size_of(number) if number >= 0 else 0

    def size_of(self, number: int) -> int:
        """How many rows hold key number `number` (as KeyTable.get numbers it)."""
        starts = self._starts
        size: int = starts[number + 1] - starts[number]
        return size

    def rows_of(self, number: int) -> Rows:
        """The rows holding key number `number`, ascending (a read-only view)."""
        starts = self._starts
        return self._flat[starts[number]:starts[number + 1]]

    def rows(self, key: str) -> Rows:
        """The rows holding the key, ascending (a read-only view)."""
        number = self.keys.get(key)
        return self.rows_of(number) if number >= 0 else EMPTY

    def holds(self, key: str, rows: Numbers) -> npt.NDArray[np.bool_]:
        """For each of `rows`, whether it holds the key. A common key (tens of thousands of rows) is
        asked about often and about many rows: it gets a mask over all rows, one look-up per row instead
        of a binary search (a few are kept, bounded in bytes); a rarer key is searched (member)."""
        if self.size(key) < MASK_FROM:
            return member(rows, self.rows(key))
        mask = self._masks.get(key)
        if mask is None:
            mask = np.zeros(self.rows_total, dtype=np.bool_)
            mask[self.rows(key)] = True
            mask.setflags(write=False)
            if (len(self._masks) + 1) * self.rows_total > MASKS_BYTES:
                self._masks.clear()  # (shared by threads: dictionary operations are atomic)
            self._masks[key] = mask
        found: npt.NDArray[np.bool_] = mask[rows]
        return found

    def arrays(self, prefix: str) -> Arrays:
        """The postings as named arrays (to store them)."""
        return {**self.keys.arrays(prefix), f"{prefix}.starts": self.starts, f"{prefix}.flat": self._flat,
                f"{prefix}.rows": np.array([self.rows_total], dtype=np.int64)}


def postings_names(prefix: str) -> list[str]:
    """The names of the arrays `Postings.arrays(prefix)` gives."""
    return [f"{prefix}.{part}" for part in POSTINGS_ARRAYS]


def postings_from(arrays: Arrays, prefix: str) -> Postings:
    """The postings stored as `Postings.arrays(prefix)` gave them (ValueError if malformed)."""
    keys = KeyTable(strings_from(arrays, f"{prefix}.keys"), arrays[f"{prefix}.hashes"], arrays[f"{prefix}.buckets"],
                    arrays[f"{prefix}.order"])
    total = arrays[f"{prefix}.rows"]
    if total.dtype != np.int64 or total.shape != (1,):
        raise ValueError("stored tables: malformed postings")
    return Postings(keys, arrays[f"{prefix}.flat"], arrays[f"{prefix}.starts"], int(total[0]))


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
        # (C ints: a Python list of ten million key numbers held an object per number, and numpy then
        # converted it number by number)
        self._numbers = array("i")
        self._keys_per_row = array("i")

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
        key_numbers = np.frombuffer(self._numbers, dtype=np.intc).astype(np.int32)
        per_row = np.frombuffer(self._keys_per_row, dtype=np.intc)
        rows = np.repeat(np.arange(len(per_row), dtype=np.int32), per_row)
        flat = rows[np.argsort(key_numbers, kind="stable")]  # (stable: each key's rows stay ascending)
        starts = np.zeros(len(self._ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_numbers, minlength=len(self._ids)), out=starts[1:])
        return Postings(KeyTable.of(list(self._ids)), flat, starts, len(self._keys_per_row))
