"""The list entries of a stored party index, read from mapped files one entry at a time.

A million entries as Python objects took about 1.2 GiB in every process that screens, and most of a
process's start-up to validate. Stored with the index, each entry is its JSON line in one blob (the
line the snapshot holds), found by number or by (list, entry id), and validated only when a query
needs it: the pages are shared by every process that maps them. The entries last read are kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final, overload

from service.engine.parties.entry import ListEntry
from service.engine.parties.postings import Arrays, KeyTable, Strings, strings_from

ENTRIES_KEPT: Final = 16_384  # entries kept validated (cleared when full): at most some 20 MiB
ENTRY_ARRAYS: Final = ("lines.blob", "lines.offsets", "ids.keys.blob", "ids.keys.offsets", "ids.hashes",
                       "ids.buckets", "ids.order")


def entry_key(source_list: str, entry_id: str) -> str:
    """One string for (list, entry id): a list's name holds no control character."""
    return f"{source_list}\x1f{entry_id}"


class StoredEntries(Sequence[ListEntry]):
    """The entries in index order, each validated from its JSON line when first asked for."""

    def __init__(self, lines: Strings, ids: KeyTable) -> None:
        if len(lines) != len(ids):
            raise ValueError("stored tables: entries and their ids differ in number")
        self._lines = lines
        self._ids = ids
        self._kept: dict[int, ListEntry] = {}

    @staticmethod
    def of(entries: Sequence[ListEntry], lines: Sequence[bytes] | None = None) -> StoredEntries:
        """The entries stored as their JSON lines: `lines` when given (a snapshot's own lines, which are
        `model_dump_json` of its entries), else written now."""
        if lines is None:
            lines = [entry.model_dump_json().encode() for entry in entries]
        elif len(lines) != len(entries):
            raise ValueError("one JSON line per entry expected")
        ids = KeyTable.of([entry_key(entry.source_list, entry.id) for entry in entries])
        return StoredEntries(Strings.of(lines), ids)

    @staticmethod
    def from_arrays(arrays: Arrays, prefix: str) -> StoredEntries:
        """The entries stored as `arrays(prefix)` gave them (ValueError if malformed)."""
        ids = KeyTable(strings_from(arrays, f"{prefix}.ids.keys"), arrays[f"{prefix}.ids.hashes"],
                       arrays[f"{prefix}.ids.buckets"], arrays[f"{prefix}.ids.order"])
        return StoredEntries(strings_from(arrays, f"{prefix}.lines"), ids)

    def arrays(self, prefix: str) -> Arrays:
        """The entries as named arrays (to store them)."""
        return {**self._lines.arrays(f"{prefix}.lines"), **self._ids.arrays(f"{prefix}.ids")}

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, number: int) -> ListEntry: ...

    @overload
    def __getitem__(self, numbers: slice) -> list[ListEntry]: ...

    def __getitem__(self, number: int | slice) -> ListEntry | list[ListEntry]:
        if isinstance(number, slice):
            return [self[n] for n in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self)
        if not 0 <= number < len(self):
            raise IndexError("entry number out of range")
        found = self._kept.get(number)
        if found is None:
            found = ListEntry.model_validate_json(bytes(self._lines.raw(number)))
            if len(self._kept) >= ENTRIES_KEPT:
                self._kept.clear()  # (shared by threads: dictionary operations are atomic)
            self._kept[number] = found
        return found

    def find(self, source_list: str, entry_id: str) -> ListEntry | None:
        """The entry with this id in this list, or None."""
        number = self._ids.get(entry_key(source_list, entry_id))
        return self[number] if number >= 0 else None

    def holds(self, source_list: str, entry_id: str) -> bool:
        """Whether this list holds an entry with this id (nothing validated)."""
        return self._ids.get(entry_key(source_list, entry_id)) >= 0

    def by_key(self) -> Mapping[tuple[str, str], ListEntry]:
        """The entries by (list, entry id), as the screening context looks them up."""
        return EntriesByKey(self)


class EntriesByKey(Mapping[tuple[str, str], ListEntry]):
    """(list, entry id) -> entry over stored entries, without a dictionary of all of them."""

    def __init__(self, entries: StoredEntries) -> None:
        self._entries = entries

    def __getitem__(self, key: tuple[str, str]) -> ListEntry:
        found = self._entries.find(*key) if isinstance(key, tuple) and len(key) == 2 else None
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        # (re-screening asks this of every stored entry after a list change: no entry validated for it)
        return isinstance(key, tuple) and len(key) == 2 and self._entries.holds(*key)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((entry.source_list, entry.id) for entry in self._entries)

    def __len__(self) -> int:
        return len(self._entries)
