"""Assembling a ScreeningContext from settings: the one place that reads rule files and lists.

Every shell (CLI, API, batch) calls `load_context`; if the rules or the lists cannot be loaded it raises,
and the shell refuses to screen.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Mapping, Sequence

from service.engine.parties.entry import ListEntry
from service.engine.parties.index import PartyIndex
from service.engine.parties.stored_entries import StoredEntries
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import ListStamp
from service.lists.indexes import party_index
from service.lists.load import load_lists
from service.metrics import TimedParties
from service.settings import Settings

# Collections of the middle generation between two full collections (Python's default: 10). See settle_memory.
FULL_COLLECTION_AFTER = 100


def load_context(settings: Settings, *, scripts_up_front: bool = True) -> ScreeningContext:
    """Load the rulebook and the denied-party index of every configured list, or raise. The index is made
    from the tables stored for these lists, or built and stored (service.lists.indexes).

    With `scripts_up_front` the keys that names written in another script are looked up by are read (or
    built) now, so that a first query in Chinese or Hebrew characters does not wait for them (the API). Without,
    the first such query reads or builds them (a batch worker: most files have none, and the keys take about
    40 MiB per process for the OFAC list).
    """
    rulebook = load_rulebook(settings.rules_dir, locked=True)
    lists = load_lists(settings)
    parties = party_index(settings, lists, scripts_up_front=scripts_up_front)
    context = ScreeningContext(rulebook=rulebook, parties=TimedParties(parties), lists=lists.ages,
                               listed_from=lists.listed_from, past_days=settings.export_date_past_days,
                               entries=entries_by_key(parties.entries()))
    settle_memory()
    return context


def entries_by_key(entries: Sequence[ListEntry]) -> Mapping[tuple[str, str], ListEntry]:
    """The index's entries by (list, entry id): stored ones looked up in their mapped files, others in a
    dictionary."""
    if isinstance(entries, StoredEntries):
        return entries.by_key()
    return {(entry.source_list, entry.id): entry for entry in entries}


def settle_memory() -> None:
    """Collect the garbage of loading, then move everything left out of the cycle collector's sight.

    The context lives as long as the process: with a large list the collector otherwise walks every name
    now and then (pauses near 1 s at 250,000 names). The index holds no reference cycles, so a replaced
    context is still freed by reference counting.

    Full collections are also made ten times rarer. The matcher's caches fill after start with every new
    word and pair of words screened, and a full collection walks all of them: 40-70 ms of CPU on a worker
    screening never-seen names, every two seconds or so under load, while the requests that worker holds
    wait. Those waits set the 99th percentile of such requests (docs/performance.md, HTTP API). Nothing
    the caches hold forms cycles, so reference counting frees what they drop; only cyclic garbage waits
    longer for its collection.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
    _return_freed_memory()


def _return_freed_memory() -> None:
    """Hand the C allocator's free pages back to the system (glibc only; elsewhere nothing happens).

    Loading frees most of what it allocated, but glibc keeps those pages mapped for later; a batch
    worker loads once and never needs them again (about 5 MiB per process for the OFAC list).
    """
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def build_party_index(settings: Settings, entries: list[ListEntry], stamps: list[ListStamp]) -> PartyIndex:
    """The party screener over the given entries, with the thresholds and cache size from settings."""
    return PartyIndex(entries, stamps, review_threshold=settings.review_threshold,
                      block_threshold=settings.block_threshold, cache_size=settings.party_cache_size)
