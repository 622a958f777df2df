"""The difference between two versions of the loaded lists: what was added or changed, what was removed.

Only content a reviewer judges counts as a change (names, aliases, countries, addresses, programmes), the
same content the clearance digest covers: a new remark alone raises no alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.engine.parties.entry import ListEntry

EntryKey = tuple[str, str]  # (list, entry id)


@dataclass(frozen=True)
class ListDelta:
    """Entries added or changed (to screen against) and entries removed (whose alerts close)."""

    changed: list[ListEntry]
    removed: list[EntryKey]

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed)


def _content(entry: ListEntry) -> tuple[object, ...]:
    return (entry.name, sorted(entry.aliases), sorted(entry.countries), sorted(entry.addresses),
            sorted(entry.programs))


def delta_from_states(stored: Mapping[EntryKey, str], current: Mapping[EntryKey, ListEntry],
                      digests: Mapping[EntryKey, str]) -> ListDelta:
    """What changed since the digests last screened against (`stored`); `digests` are those of `current`."""
    changed = [current[key] for key, digest in digests.items() if stored.get(key) != digest]
    return ListDelta(changed, [key for key in stored if key not in current])


def list_delta(old: Mapping[EntryKey, ListEntry], new: Mapping[EntryKey, ListEntry]) -> ListDelta:
    """What changed from `old` to `new` (both keyed by list and entry id)."""
    changed = [entry for key, entry in new.items()
               if (before := old.get(key)) is None or (before is not entry and _content(before) != _content(entry))]
    removed = [key for key in old if key not in new]
    return ListDelta(changed, removed)
