"""The party index's tables: an index made from tables that went through their stored form (arrays
written and read back, nothing shared) answers exactly as the index built from the entries."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from service.engine.parties.entry import ListEntry
from service.engine.parties.hit import PartyHit
from service.engine.parties.index import PartyIndex, build_tables
from service.engine.parties.postings import Arrays, postings_from
from service.engine.parties.tables import Row, tables_from_arrays
from service.engine.verdict import ListStamp
from tests.engine.parties.test_index import ENTRIES, STAMPS
from tests.scripts.conftest import load_script

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
OTHER_QUERIES = ["Brevanti Tradinq", "KIM Jong-un", "SharpEdge Engineering", "銳元科技", "Путин Владимир", "Ocean 1",
                 "Hoshikaze Maru No 8", "Nothing Alike Here"]


def _copied(arrays: Arrays) -> Arrays:
    """The arrays written as .npy and read back (what a file holds, nothing shared with the build)."""
    copies = {}
    for name, array in arrays.items():
        stream = io.BytesIO()
        np.save(stream, array, allow_pickle=False)
        stream.seek(0)
        copies[name] = np.load(stream, allow_pickle=False)
    return copies


def _remade(built: PartyIndex, entries: list[ListEntry], stamps: list[ListStamp]) -> PartyIndex:
    """An index made in another process from the stored tables: written, read back, nothing shared."""
    tables = tables_from_arrays(_copied(built.tables().arrays()))
    scripts = _copied(built.script_postings().arrays("scripts"))
    return PartyIndex(entries, stamps, tables=tables, stored_scripts=lambda: postings_from(scripts, "scripts"))


def _answers(index: PartyIndex, queries: list[str]) -> list[list[tuple[object, ...]]]:
    """Everything a hit says, for every query (with a country: the boost counts too)."""
    def said(hit: PartyHit) -> tuple[object, ...]:
        return (hit.list_name, hit.entry_id, hit.listed_name, hit.matched_name, hit.score, hit.action,
                hit.explanation, hit.programs, hit.source, hit.details)
    return [[said(hit) for hit in index.match(query, "IR")] for query in queries]


def test_an_index_made_from_stored_tables_answers_as_the_built_one() -> None:
    built = PartyIndex(ENTRIES, STAMPS)
    remade = _remade(built, ENTRIES, STAMPS)
    queries = [name for entry in ENTRIES for name in entry.all_names()] + OTHER_QUERIES
    expected = _answers(PartyIndex(ENTRIES, STAMPS), queries)
    assert _answers(remade, queries) == expected
    assert len(remade) == len(built) and sum(map(bool, expected)) > len(queries) // 2


@pytest.mark.skipif(not (SHARED_DATA / "ofac-sdn-2021").is_dir(), reason="the shared OFAC 2021 and UN lists")
def test_an_index_made_from_stored_tables_answers_as_the_built_one_on_ofac_and_un() -> None:
    """OFAC 2021 and UN: their listed names, aliases and the generated clerk variants and evasions."""
    eval_sets = load_script("eval_sets")
    entries: list[ListEntry] = list(eval_sets.load_entries())
    stamps = [ListStamp(name="ofac+un", version="test", entries=len(entries))]
    queries = [query.query for query in eval_sets.generate(entries, per_category=15)]
    queries += [entry.name for entry in entries[::25]] + [alias for entry in entries[::40] for alias in entry.aliases]
    built = PartyIndex(entries, stamps)
    expected = _answers(built, queries)
    remade = _remade(built, entries, stamps)
    assert _answers(remade, queries) == expected
    assert sum(map(bool, expected)) > len(queries) // 2  # (a comparison of empty answers would prove nothing)


def test_a_made_index_decodes_its_rows_and_keeps_no_row_objects() -> None:
    """Made from stored tables, the index holds arrays: a row is decoded when a query scores it."""
    remade = _remade(PartyIndex(ENTRIES, STAMPS), ENTRIES, STAMPS)
    tables = remade.tables()
    assert tables.arrays().keys() == PartyIndex(ENTRIES, STAMPS).tables().arrays().keys()
    assert all(isinstance(array, np.ndarray) for array in tables.arrays().values())
    built = PartyIndex(ENTRIES, STAMPS).tables()
    for number in range(len(tables)):
        decoded, row = tables.row(number), built.row(number)
        assert (decoded.entry, decoded.name, decoded.text, decoded.is_alias) == (row.entry, row.name, row.text,
                                                                                 row.is_alias)


def test_the_rows_are_handed_on_while_filed_then_their_end() -> None:
    batches: list[list[Row]] = []
    tables = build_tables(ENTRIES, lambda rows: batches.append(list(rows)))
    assert batches[-1] == [] and all(batches[:-1])
    handed = [row for batch in batches for row in batch]
    assert [(row.entry, row.name, row.text) for row in handed] == [
        (tables.row(number).entry, tables.row(number).name, tables.row(number).text) for number in range(len(tables))]


@pytest.mark.parametrize(("name", "change", "message"), [
    ("postings.flat", lambda array: array[:-1], "postings"),
    ("postings.starts", lambda array: array[:-1], "postings"),
    ("rows.lengths", lambda array: array[:-1], "columns"),
    ("rows.texts.offsets", lambda array: array[:-1], "strings"),
    ("rows.flags", lambda array: array.astype(np.int64), "columns"),
    ("exact.rows", lambda array: array[:-1], "filed as written"),
    ("postings.order", lambda array: array.astype(np.int64), "keys"),
])
def test_malformed_tables_are_refused(name: str, change: object, message: str) -> None:
    arrays = PartyIndex(ENTRIES, STAMPS).tables().arrays()
    assert callable(change)
    with pytest.raises(ValueError, match=message):
        tables_from_arrays({**arrays, name: change(arrays[name])})


def test_names_filed_as_written_are_filed_alike_in_every_process() -> None:
    """Python's hash of a string differs between processes: the filing of stored tables must not."""
    script = ("from tests.engine.parties.test_index import ENTRIES, STAMPS; "
              "from service.engine.parties.index import PartyIndex; "
              "print(PartyIndex(ENTRIES, STAMPS).tables().exact.hashes.tolist())")
    root = Path(__file__).resolve().parents[3]
    found = [subprocess.run([sys.executable, "-c", script], cwd=root, env={**os.environ, "PYTHONHASHSEED": seed},
                            check=True, capture_output=True, text=True).stdout for seed in ("1", "2")]
    assert found[0] == found[1] == f"{PartyIndex(ENTRIES, STAMPS).tables().exact.hashes.tolist()}\n"
