"""A bounded LRU of party-name matches: ERP exports repeat the same consignees on thousands of rows."""

from __future__ import annotations

from collections import OrderedDict

from service.engine.checks.parties import PartyHit, PartyScreener
from service.engine.verdict import ListStamp

DEFAULT_SIZE = 50_000


class CachedScreener:
    """Wraps a PartyScreener; remembers the hits of the last `size` distinct (name, country) queries."""

    def __init__(self, inner: PartyScreener, size: int = DEFAULT_SIZE) -> None:
        self._inner = inner
        self._size = size
        self._hits: OrderedDict[tuple[str, str | None], tuple[PartyHit, ...]] = OrderedDict()
        self.lookups = 0
        self.misses = 0

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        """The inner screener's hits, from the cache when the same query was seen recently."""
        self.lookups += 1
        key = (name, country)
        hits = self._hits.get(key)
        if hits is not None:
            self._hits.move_to_end(key)
            return list(hits)
        self.misses += 1
        hits = tuple(self._inner.match(name, country))
        self._hits[key] = hits
        if len(self._hits) > self._size:
            self._hits.popitem(last=False)
        return list(hits)

    def stamps(self) -> list[ListStamp]:
        """The inner screener's list snapshots."""
        return self._inner.stamps()
