"""The difference between two versions of the lists: added and changed entries, removed ones."""

from __future__ import annotations

from service.engine.checks.clearances import entry_digest
from service.engine.parties.entry import ListEntry
from service.workflow.delta import delta_from_states, list_delta


def _entry(entry_id: str, name: str, **changes: object) -> ListEntry:
    return ListEntry.model_validate({"id": entry_id, "source_list": "l", "name": name, **changes})


def test_added_changed_and_removed_entries_are_found() -> None:
    old = {("l", e.id): e for e in [_entry("1", "A"), _entry("2", "B"), _entry("3", "C")]}
    new = {("l", e.id): e for e in [_entry("1", "A", remarks="only a remark"), _entry("2", "B", aliases=["Bee"]),
                                     _entry("4", "D")]}
    delta = list_delta(old, new)
    assert [e.id for e in delta.changed] == ["2", "4"] and delta.removed == [("l", "3")]
    stored = {key: entry_digest(entry) for key, entry in old.items()}
    from_states = delta_from_states(stored, new, {key: entry_digest(entry) for key, entry in new.items()})
    assert [e.id for e in from_states.changed] == ["2", "4"] and from_states.removed == [("l", "3")]


def test_no_change_is_an_empty_delta() -> None:
    entries = {("l", "1"): _entry("1", "A")}
    assert not list_delta(entries, dict(entries))
