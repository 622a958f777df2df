"""Every name and alias of the OFAC 2021 and UN lists, typed exactly as listed, finds its own entry at block.

A listed party that gets `clear` under its own listed name is the worst error the screener can make;
generic-only names ("INDUSTRIAL BANK"), initialisms ("FOREIGN TRADE BANK (FTB)"), numerals ("11420
CORP.", "7-28"), one-word names and people listed as "AHMED, Ahmed" included. Screened through the
index, as the service screens.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine.parties.entry import ListEntry
from service.engine.parties.index import PartyIndex
from service.engine.parties.sources import read_list
from service.engine.verdict import Action, ListStamp

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
LISTS = (("ofac", DATA / "ofac-sdn-2021"), ("un", DATA / "un-consolidated" / "UN_consolidated.xml"))


def _entries() -> list[ListEntry]:
    return [entry for list_format, path in LISTS for entry in read_list(list_format, path).entries]


@pytest.mark.slow
def test_every_listed_name_finds_its_own_entry_at_block() -> None:
    entries = _entries()
    index = PartyIndex(entries, [ListStamp(name="lists", version="test", entries=len(entries))], cache_size=0)
    screened = 0
    missed: list[str] = []
    for entry in entries:
        for name in entry.all_names():
            screened += 1
            hits = index.match(name)
            if not any(hit.entry_id == entry.id and hit.list_name == entry.source_list
                       and hit.action is Action.BLOCK for hit in hits):
                missed.append(f"{entry.source_list}:{entry.id} {name!r}")
    assert screened > 24_000
    assert missed == []
