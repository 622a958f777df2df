"""Grouping rows into shipments: contiguous runs, split references fail closed, bounded run length."""

from __future__ import annotations

import pytest

from service.batch import shipments
from service.batch.columns import resolve_layout
from service.batch.records import Record
from service.batch.shipments import MAX_ROWS_PER_SHIPMENT, SplitReferences, group_shipments, run_starts

LAYOUT = resolve_layout(["reference", "consignee_name", "consignee_country", "destination_country", "hs_code"])


def recs(*references: str) -> list[Record]:
    return [Record(number, [ref, "n", "DE", "DE", "940360"]) for number, ref in enumerate(references, start=2)]


def groups(records: list[Record]) -> list[tuple[str, list[int], str | None]]:
    split = SplitReferences(run_starts(records, LAYOUT))
    split.collect(records, LAYOUT)
    split.store_outputs((r.number, f"<row {r.number}>") for s in split.gathered() for r in s.records)
    return [(s.reference, [r.number for r in s.records], s.error or s.output)
            for s in group_shipments(records, LAYOUT, split)]


def test_contiguous_rows_form_one_shipment() -> None:
    assert groups(recs("A", "A", "B", "C", "C")) == [("A", [2, 3], None), ("B", [4], None), ("C", [5, 6], None)]


def test_split_reference_runs_carry_the_results_screened_whole() -> None:
    got = groups(recs("A", "B", "A", "A"))
    assert got == [("A", [2], "<row 2>"), ("B", [3], None), ("A", [4, 5], "<row 4><row 5>")]


def test_split_reference_gathered_as_one_shipment_in_file_order() -> None:
    records = recs("A", "B", "A", "C", "B")
    split = SplitReferences(run_starts(records, LAYOUT))
    split.collect(records, LAYOUT)
    assert [(s.reference, [r.number for r in s.records]) for s in split.gathered()] == [("A", [2, 4]), ("B", [3, 6])]
    assert split.starts("A") == "2, 4"


def test_rows_without_reference_stand_alone() -> None:
    records = [*recs("A"), Record(3, ["", "", "", "", ""]), Record(4, ["", "x", "DE", "DE", "1"]), *recs("B")]
    got = groups(records)
    assert [(g[0], g[1]) for g in got] == [("A", [2]), ("", [3]), ("", [4]), ("B", [2])]
    assert got[1][2] == "empty row, nothing to screen"
    assert got[2][2] == "reference is empty"


def test_oversized_reference_is_reported_in_bounded_pieces() -> None:
    got = groups(recs(*["BIG"] * (MAX_ROWS_PER_SHIPMENT * 2 + 5), "NEXT"))
    assert sum(len(g[1]) for g in got) == MAX_ROWS_PER_SHIPMENT * 2 + 6
    assert all(len(g[1]) <= MAX_ROWS_PER_SHIPMENT + 1 for g in got)
    assert all(g[2] and "more than" in g[2] for g in got if g[0] == "BIG")
    assert got[-1] == ("NEXT", [MAX_ROWS_PER_SHIPMENT * 2 + 7], None)


def test_split_reference_lookup() -> None:
    split = SplitReferences([("A", 2), ("B", 3), ("A", 9)])
    assert "A" in split and "B" not in split
    assert split.count == 1
    split.close()


def test_membership_without_the_in_memory_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shipments, "_SET_LIMIT", 0)
    assert groups(recs("A", "B", "A")) == [("A", [2], "<row 2>"), ("B", [3], None), ("A", [4], "<row 4>")]


def test_oversized_split_reference_is_an_error_in_pieces() -> None:
    records = recs(*["BIG"] * (MAX_ROWS_PER_SHIPMENT + 3), "X", "BIG")
    split = SplitReferences(run_starts(records, LAYOUT))
    split.collect(records, LAYOUT)
    pieces = list(split.gathered())
    assert [len(p.records) for p in pieces] == [MAX_ROWS_PER_SHIPMENT, 4]
    assert all(p.error and "more than" in p.error for p in pieces)
