"""The party index's tables on disk: an index opened over its stored, memory-mapped tables answers
exactly as the index built in memory, and a stored index of another format, other lists, another
matcher or with a corrupt file is refused, never read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.engine.parties.entry import ListEntry
from service.engine.parties.hit import PartyHit
from service.engine.parties.index import PartyIndex
from service.engine.parties.tables import TABLES_JSON, IndexTablesError, read_tables, write_tables
from tests.engine.parties.test_index import ENTRIES, STAMPS
from tests.scripts.conftest import load_script

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def _mapped(built: PartyIndex, directory: Path) -> PartyIndex:
    write_tables(directory, built.tables(), "lists")
    return PartyIndex(read_tables(directory, "lists"), STAMPS)


def _answers(index: PartyIndex, queries: list[str]) -> list[list[tuple[object, ...]]]:
    """Everything a hit says, for every query (with a country: the boost counts too)."""
    def said(hit: PartyHit) -> tuple[object, ...]:
        return (hit.list_name, hit.entry_id, hit.listed_name, hit.matched_name, hit.score, hit.action,
                hit.explanation, hit.programs, hit.source, hit.details)
    return [[said(hit) for hit in index.match(query, "IR")] for query in queries]


def test_the_mapped_index_answers_as_the_built_one(tmp_path: Path) -> None:
    built = PartyIndex(ENTRIES, STAMPS)
    mapped = _mapped(built, tmp_path / "tables")
    queries = [name for entry in ENTRIES for name in entry.all_names()] + [
        "Brevanti Tradinq", "KIM Jong-un", "SharpEdge Engineering", "銳元科技", "Путин Владимир", "Ocean 1",
        "Hoshikaze Maru No 8", "Nothing Alike Here"]
    assert _answers(mapped, queries) == _answers(PartyIndex(ENTRIES, STAMPS), queries)
    assert len(mapped) == len(built)
    with pytest.raises(ValueError, match="built from entries"):
        mapped.tables()  # (an opened index holds no entries to store again)


@pytest.mark.skipif(not (SHARED_DATA / "ofac-sdn-2021").is_dir(), reason="the shared OFAC 2021 and UN lists")
def test_the_mapped_index_answers_as_the_built_one_on_ofac_and_un(tmp_path: Path) -> None:
    """OFAC 2021 and UN: their listed names, aliases and the generated clerk variants and evasions."""
    eval_sets = load_script("eval_sets")
    entries: list[ListEntry] = list(eval_sets.load_entries())
    queries = [query.query for query in eval_sets.generate(entries, per_category=15)]
    queries += [entry.name for entry in entries[::25]] + [alias for entry in entries[::40] for alias in entry.aliases]
    built = PartyIndex(entries, STAMPS)
    expected = _answers(built, queries)
    mapped = _mapped(built, tmp_path / "tables")
    assert _answers(mapped, queries) == expected
    assert sum(map(bool, expected)) > len(queries) // 2  # (a comparison of empty answers would prove nothing)


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    directory = tmp_path / "tables"
    write_tables(directory, PartyIndex(ENTRIES, STAMPS).tables(), "lists")
    return directory


def test_the_arrays_are_mapped_read_only(stored: Path) -> None:
    arrays = read_tables(stored, "lists")
    assert all(isinstance(array.base, np.memmap) for array in arrays.values())  # (plain arrays over the map)
    with pytest.raises(ValueError, match="read-only"):
        arrays["postings.flat"][0] = 1


def _describe(directory: Path, **changes: object) -> None:
    path = directory / TABLES_JSON
    description = json.loads(path.read_text("utf-8"))
    description.update(changes)
    path.write_text(json.dumps(description), "utf-8")


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "party-index-tables/0"}, "index format"),
    ({"matcher": "0" * 64}, "another version of the party matcher"),
    ({"files": {}}, "lists no files"),
])
def test_another_format_or_matcher_is_refused(stored: Path, change: dict[str, object], message: str) -> None:
    _describe(stored, **change)
    with pytest.raises(IndexTablesError, match=message):
        read_tables(stored, "lists")


def test_other_lists_are_refused(stored: Path) -> None:
    with pytest.raises(IndexTablesError, match="other lists"):
        read_tables(stored, "other lists")


@pytest.mark.parametrize("damage", ["flipped", "truncated", "missing"])
def test_a_corrupt_file_is_refused(stored: Path, damage: str) -> None:
    path = stored / "postings.flat.npy"
    data = path.read_bytes()
    if damage == "flipped":
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "truncated":
        path.write_bytes(data[:-4])
    else:
        path.unlink()
    with pytest.raises(IndexTablesError, match=r"postings\.flat"):
        read_tables(stored, "lists")


@pytest.mark.parametrize("content", [None, b"{not json", b"[]"])
def test_a_missing_or_unreadable_description_is_refused(stored: Path, content: bytes | None) -> None:
    path = stored / TABLES_JSON
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    with pytest.raises(IndexTablesError):
        read_tables(stored, "lists")
