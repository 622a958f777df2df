"""Assembling a ScreeningContext from settings: the one place that reads rule files and lists.

Every shell (CLI, API, batch) calls `load_context`; if the rules or the lists cannot be loaded it raises,
and the shell refuses to screen.
"""

from __future__ import annotations

import gc

from service.engine.parties.entry import ListEntry
from service.engine.parties.index import PartyIndex
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import ListStamp
from service.lists.indexes import party_index, screener
from service.lists.load import load_lists
from service.settings import Settings


def load_context(settings: Settings) -> ScreeningContext:
    """Load the rulebook and the denied-party index of every configured list (the stored index, mapped,
    when snapshots are stored: service.lists.indexes), or raise."""
    rulebook = load_rulebook(settings.rules_dir, locked=True)
    lists = load_lists(settings, entries=False)
    parties = party_index(settings, lists)
    context = ScreeningContext(rulebook=rulebook, parties=parties, lists=lists.ages, listed_from=lists.listed_from,
                               past_days=settings.export_date_past_days)
    settle_memory()
    return context


def settle_memory() -> None:
    """Collect the garbage of loading, then move everything left out of the cycle collector's sight.

    The context lives as long as the process: with a large list the collector otherwise walks every name
    now and then (pauses near 1 s at 250,000 names). The index holds no reference cycles, so a replaced
    context is still freed by reference counting.
    """
    gc.collect()
    gc.freeze()


def build_party_index(settings: Settings, entries: list[ListEntry], stamps: list[ListStamp]) -> PartyIndex:
    """The party screener over the given entries, with the thresholds and cache size from settings."""
    return screener(settings, entries, stamps)
