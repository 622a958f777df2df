"""Entries stored with the party index: the same entries as the lists', read by number or by (list, id)
from their JSON lines, without a copy of all of them in memory."""

from __future__ import annotations

from datetime import date

import pytest

from service.engine.parties import stored_entries
from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.index import PartyIndex
from service.engine.parties.scoring import score_names
from service.engine.parties.stored_entries import StoredEntries
from service.engine.parties.tables import scored_kind
from service.engine.verdict import ListStamp

ENTRIES = [
    ListEntry(id="1", source_list="ofac-sdn", name="BANCO NACIONAL DE CUBA", aliases=["BNC"], countries=["CU"],
              programs=["CUBA"], source_url="https://sanctionssearch.ofac.treas.gov/"),
    ListEntry(id="1", source_list="un-sc", name="Ivan Petrov", kind=EntryKind.PERSON, listed_on=date(2022, 3, 1)),
    ListEntry(id="x\x1fy", source_list="tw-curated", name="銳元科技", remarks="written in characters"),
]


def _stored() -> StoredEntries:
    return StoredEntries.from_arrays(StoredEntries.of(ENTRIES).arrays("entries"), "entries")


def test_stored_entries_are_the_entries() -> None:
    stored = _stored()
    assert len(stored) == 3
    assert list(stored) == ENTRIES
    assert stored[-1] == ENTRIES[-1] and stored[1:] == ENTRIES[1:]
    with pytest.raises(IndexError):
        stored[3]


def test_an_entry_is_found_by_its_list_and_id() -> None:
    stored = _stored()
    assert stored.find("un-sc", "1") == ENTRIES[1]
    assert stored.find("ofac-sdn", "1") == ENTRIES[0]
    assert stored.find("tw-curated", "x\x1fy") == ENTRIES[2]
    assert stored.find("ofac-sdn", "2") is None and stored.find("bis-dpl", "1") is None
    by_key = stored.by_key()
    assert dict(by_key) == {(entry.source_list, entry.id): entry for entry in ENTRIES}
    assert by_key.get(("un-sc", "1")) == ENTRIES[1] and by_key.get(("un-sc", "2")) is None
    assert ("ofac-sdn", "1") in by_key and ("ofac-sdn", "9") not in by_key and len(by_key) == 3
    assert "ofac-sdn" not in by_key and ("ofac-sdn",) not in by_key


def test_asking_whether_an_entry_is_held_validates_none(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = _stored()
    monkeypatch.setattr(StoredEntries, "__getitem__", lambda self, number: pytest.fail("an entry was validated"))
    assert ("un-sc", "1") in stored.by_key() and ("un-sc", "2") not in stored.by_key()


def test_a_snapshot_s_own_lines_are_kept_as_they_are() -> None:
    lines = [entry.model_dump_json().encode() for entry in ENTRIES]
    assert StoredEntries.of(ENTRIES, lines).arrays("e")["e.lines.blob"].tobytes() == b"".join(lines)
    with pytest.raises(ValueError, match="one JSON line per entry"):
        StoredEntries.of(ENTRIES, lines[:2])


def test_entries_and_ids_of_another_number_are_refused() -> None:
    arrays = StoredEntries.of(ENTRIES).arrays("entries")
    fewer = StoredEntries.of(ENTRIES[:2]).arrays("entries")
    mixed = {**arrays, **{name: array for name, array in fewer.items() if name.startswith("entries.lines")}}
    with pytest.raises(ValueError, match="differ in number"):
        StoredEntries.from_arrays(mixed, "entries")


def test_the_entries_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stored_entries, "ENTRIES_KEPT", 2)
    stored = _stored()
    assert [stored[n] for n in (0, 1, 2, 0)] == [ENTRIES[0], ENTRIES[1], ENTRIES[2], ENTRIES[0]]
    assert len(stored._kept) <= 2


def test_a_query_reads_the_entries_of_its_hits_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows scored under review need no entry: their kind of party is in the row's flags."""
    stamps = [ListStamp(name="test", version="1", entries=len(ENTRIES))]
    built = PartyIndex(ENTRIES, stamps, review_threshold=95.0, block_threshold=99.0)
    index = PartyIndex(_stored(), stamps, review_threshold=95.0, block_threshold=99.0, tables=built.tables())
    reads: list[int] = []
    read = StoredEntries.__getitem__
    monkeypatch.setattr(StoredEntries, "__getitem__", lambda self, number: reads.append(number) or read(self, number))
    assert [hit.entry_id for hit in index.match("Banco Nacional de Cuba")] == ["1"] and set(reads) == {0}
    reads.clear()
    near = "Banko Nacional de Cuba"  # (alike enough to be scored, under the review threshold of 95)
    assert 60 < score_names(near, ENTRIES[0].name).score < 95
    assert index.match(near) == [] and reads == []


@pytest.mark.parametrize("kind", list(EntryKind))
def test_a_row_is_scored_as_its_entry_s_kind(kind: EntryKind) -> None:
    entry = ListEntry(id="1", source_list="test", name="Tak Shing Trading", kind=kind)
    tables = PartyIndex([entry], [ListStamp(name="test", version="1", entries=1)]).tables()
    scored = scored_kind(int(tables.flags[0]))
    assert scored == (kind.value if kind is not EntryKind.AIRCRAFT else EntryKind.VESSEL.value)  # (scored alike)
