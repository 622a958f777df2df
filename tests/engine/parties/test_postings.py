"""Postings: the index's key → rows lists in one flat array, and the membership test the index runs on them."""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from service.engine.parties.postings import EMPTY, STRINGS_KEPT, KeyTable, Postings, PostingsBuilder, Strings, member

try:
    from service.engine.parties import _in_c
except ImportError:  # (not built: PURE_PYTHON_BUILD=1)
    _in_c = None  # type: ignore[assignment]
NOT_BUILT = pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")


def _filed(lists: dict[str, list[int]]) -> Postings:
    """Postings holding these lists, filed row after row as the index files them."""
    builder = PostingsBuilder()
    for key in lists:
        builder.number(key)  # (a key may be known and held by no row)
    for row in range(max((r for rows in lists.values() for r in rows), default=-1) + 1):
        builder.add_row([builder.number(key) for key, rows in lists.items() if row in rows])
    return builder.build()


@pytest.fixture
def postings() -> Postings:
    return _filed({"brevanti": [0, 4, 9], "~brvnt": [0, 3, 4, 9], "trading": [1], "llc": []})


def test_rows_and_sizes(postings: Postings) -> None:
    assert postings.rows("brevanti").tolist() == [0, 4, 9]
    assert postings.rows("~brvnt").tolist() == [0, 3, 4, 9]
    assert postings.rows("trading").tolist() == [1]
    assert postings.size("~brvnt") == 4
    assert len(postings) == 4


def test_a_key_no_row_holds(postings: Postings) -> None:
    assert "kessendorf" not in postings
    assert postings.size("kessendorf") == 0
    assert postings.rows("kessendorf") is EMPTY
    assert "llc" in postings and postings.rows("llc").tolist() == []


def test_rows_are_read_only(postings: Postings) -> None:
    """The index caches the arrays it reads per query word: a write would corrupt every later query."""
    with pytest.raises(ValueError, match="read-only"):
        postings.rows("brevanti")[0] = 7


MEMBERS = [
    # (case, rows, members, expected)
    ("some in, some out", [9, 1, 4, 5], [0, 4, 9], [True, False, True, False]),
    ("none in", [1, 2], [0, 4, 9], [False, False]),
    ("past the last member", [10, 9], [0, 4, 9], [False, True]),
    ("before the first member", [0, -1], [3, 4], [False, False]),
    ("no members", [1, 2], [], [False, False]),
    ("no rows", [], [1, 2], []),
]


@pytest.mark.parametrize(("case", "rows", "members", "expected"), MEMBERS, ids=[c[0] for c in MEMBERS])
def test_member(case: str, rows: list[int], members: list[int], expected: list[bool]) -> None:
    found = member(np.array(rows, dtype=np.int64), np.array(members, dtype=np.int32))
    assert found.tolist() == expected, case


def test_member_agrees_with_sets() -> None:
    rng = np.random.default_rng(20261122)
    for _ in range(200):
        members = np.unique(rng.integers(0, 500, rng.integers(0, 60))).astype(np.int32)
        rows = rng.integers(0, 500, rng.integers(0, 40))
        assert member(rows, members).tolist() == [int(row) in set(members.tolist()) for row in rows]


def test_built_from_each_rows_keys_as_from_lists() -> None:
    """(Each row files its first key twice: filed once all the same.)"""
    rng = np.random.default_rng(7)
    vocabulary = [f"k{n}" for n in range(40)]
    per_row = [sorted(set(rng.choice(vocabulary, rng.integers(0, 6)).tolist())) for _ in range(300)]
    lists: dict[str, list[int]] = {}
    for row, keys in enumerate(per_row):
        for key in keys:
            lists.setdefault(key, []).append(row)
    builder = PostingsBuilder()
    for keys in per_row:
        builder.add_row([builder.number(key) for key in keys] + [builder.number(key) for key in keys[:1]])
    built = builder.build()
    assert len(built) == len(lists)
    for key, rows in lists.items():
        assert built.rows(key).tolist() == rows and built.size(key) == len(rows)
    with pytest.raises(ValueError, match="read-only"):
        built.rows("k1")[0] = 0


def test_a_words_keys_are_numbered_once() -> None:
    builder = PostingsBuilder()
    asked: list[str] = []

    def keys(word: str) -> tuple[str, ...]:
        asked.append(word)
        return (word, "~" + word[:2])

    first = builder.word("brevanti", keys)
    assert builder.word("brevanti", keys) == first and asked == ["brevanti"]
    assert builder.number("~br") == first[1]  # the same key from anywhere has the same number
    builder.add_row(first)
    assert builder.build().rows("~br").tolist() == [0]


@pytest.mark.parametrize("mask_from", [1, 10**9], ids=["masks", "binary search"])
def test_holds_agrees_with_member(monkeypatch: pytest.MonkeyPatch, mask_from: int) -> None:
    """A common key is looked up in a mask over all rows, a rarer one by binary search: the same answer."""
    import service.engine.parties.postings as postings_module

    monkeypatch.setattr(postings_module, "MASK_FROM", mask_from)
    monkeypatch.setattr(postings_module, "MASKS_BYTES", 3 * 500)  # room for three masks of 500 rows
    rng = np.random.default_rng(11)
    lists = {f"k{n}": sorted(set(rng.integers(0, 500, rng.integers(1, 300)).tolist())) for n in range(8)}
    postings = _filed(lists)
    for _ in range(3):
        for key, members in lists.items():
            rows = rng.integers(0, max(max(r) for r in lists.values()) + 1, 50)
            assert postings.holds(key, rows).tolist() == [int(row) in set(members) for row in rows]
    assert len(postings._masks) <= 3


@pytest.mark.parametrize("texts", [["sharp edge", "", "brevanti trading", "ocean 1"],
                                   ["צפרירים", "a", "", "臺北 taipei"]])
def test_strings_read_one_by_one_and_many_at_once(texts: list[str]) -> None:
    strings = Strings.of([text.encode() for text in texts])
    assert [strings[number] for number in range(len(strings))] == texts
    picked = np.array([3, 0, 0, 2], dtype=np.int32)
    assert strings.many(picked) == [texts[3], texts[0], texts[0], texts[2]]
    assert strings.many(np.zeros(0, dtype=np.int32)) == []


def test_strings_keep_what_they_decoded_up_to_their_bound() -> None:
    texts = [f"name {number} ünïcode" for number in range(STRINGS_KEPT + 100)]
    strings = Strings.of([text.encode() for text in texts])
    first = strings[7]
    assert strings[7] is first  # (kept: not decoded again)
    assert [strings[number] for number in range(len(strings))] == texts
    assert 0 < len(strings._kept) <= STRINGS_KEPT
    assert strings[len(strings) - 1] == texts[-1]


def test_listing_every_key_keeps_none_of_them() -> None:
    table = KeyTable.of([f"key{number}" for number in range(100)])
    assert table.keys()[42] == "key42"
    assert not table.spellings._kept


def test_keys_are_found_by_their_spelling_whatever_their_hash() -> None:
    keys = [f"key{number}" for number in range(3000)] + ["", "~brvnt", "r:taibei"]
    table = KeyTable.of(keys)
    assert [table.get(key) for key in keys] == list(range(len(keys)))
    assert table.get("absent") == -1 and table.keys() == keys


def _in_python(table: KeyTable) -> KeyTable:
    """The same table, its look-ups run by the Python steps (as without the C module)."""
    plain = KeyTable(table.spellings, table.hashes, table.buckets, table.order)
    plain._in_place = None
    plain.spellings._in_place = None
    return plain


@NOT_BUILT
def test_the_c_look_ups_give_what_python_gives() -> None:
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz~^:üé臺北צ"
    keys = sorted({"".join(rng.choice(letters) for _ in range(rng.randrange(0, 12))) for _ in range(5000)})
    table = KeyTable.of(keys)
    python = _in_python(KeyTable.of(keys))
    asked = keys + ["".join(rng.choice(letters) for _ in range(rng.randrange(0, 12))) for _ in range(5000)]
    assert [table.get(key) for key in asked] == [python.get(key) for key in asked]
    assert [table.spellings.raw(n) for n in range(len(keys))] == [python.spellings.raw(n) for n in range(len(keys))]
    assert [table.spellings[n] for n in range(len(keys))] == keys
    for number in (-1, len(keys)):
        for strings in (table.spellings, python.spellings):
            with pytest.raises(IndexError):
                strings.raw(number)


@pytest.mark.parametrize("in_python", [False, True])
def test_a_word_is_cut_where_either_half_is_a_key(in_python: bool) -> None:
    table = KeyTable.of(["sharp", "edge", "al", "furqan", "sh", "臺北", "co"])
    if in_python:
        table = _in_python(table)
    assert table.cuts("sharpedge") == [(2, 4, -1), (5, 0, 1)]
    assert table.cuts("alfurqan") == [(2, 2, 3)]
    assert table.cuts("臺北co") == [(2, 5, 6)]
    assert table.cuts("edge") == [] and table.cuts("") == [] and table.cuts("abc") == []


@NOT_BUILT
def test_the_c_cuts_give_what_python_gives() -> None:
    """Every cut from the second character to the second last, in characters (not bytes) beyond ASCII."""
    rng = random.Random(12)
    letters = "abcdü臺北\U0001d518"
    keys = sorted({"".join(rng.choice(letters) for _ in range(rng.randrange(1, 5))) for _ in range(400)})
    table, python = KeyTable.of(keys), _in_python(KeyTable.of(keys))
    for _ in range(2000):
        word = "".join(rng.choice(letters) for _ in range(rng.randrange(0, 10)))
        assert table.cuts(word) == python.cuts(word)


@NOT_BUILT
def test_the_c_hash_is_zlibs() -> None:
    rng = random.Random(6)
    for size in range(64):
        data = bytes(rng.randrange(256) for _ in range(size))
        assert _in_c.crc32(data) == zlib.crc32(data)


@NOT_BUILT
def test_a_malformed_table_is_refused_not_read_outside_its_arrays() -> None:
    table = KeyTable.of(["sharp", "edge", "brevanti"])
    spellings = table.spellings
    wrong_offsets = spellings.offsets.copy()
    wrong_offsets[2] = 10_000  # past the blob's end
    broken = _in_c.Keys(spellings.blob, wrong_offsets, table.hashes, table.buckets, table.order, table._shift)
    with pytest.raises(ValueError, match="malformed"):
        for key in ("sharp", "edge", "brevanti"):
            broken.find(key)
    with pytest.raises(ValueError, match="malformed"):
        _in_c.Strings(spellings.blob, wrong_offsets).text(1)
    shift = table._shift
    with pytest.raises(ValueError, match="items of"):
        _in_c.Keys(spellings.blob, spellings.offsets, table.hashes.astype(np.int32), table.buckets, table.order, shift)
    wrong_buckets = table.buckets.copy()
    wrong_buckets[1] = 99
    with pytest.raises(ValueError, match="malformed"):
        for key in ("sharp", "edge", "brevanti"):
            _in_c.Keys(spellings.blob, spellings.offsets, table.hashes, wrong_buckets, table.order, shift).find(key)


def _closest_by_rapidfuzz(texts: list[str], query: str, numbers: list[int], places: int) -> list[int]:
    alike = process.extract(query, [texts[number] for number in numbers], scorer=fuzz.ratio, limit=places)
    return [position for _, _, position in alike]


@pytest.mark.parametrize(("query", "places"), [("brevanti trading", 2), ("", 3), ("臺北", 1), ("a", 10)])
def test_the_closest_strings_are_rapidfuzzs_ranking(query: str, places: int) -> None:
    texts = ["brevanti trading", "brevant trading", "trading brevanti", "", "臺北 taipei", "a", "brevanti trading"]
    strings = Strings.of([text.encode() for text in texts])
    numbers = [6, 0, 1, 2, 3, 4, 5, 0]
    expected = _closest_by_rapidfuzz(texts, query, numbers, places)
    assert strings.closest(query, np.array(numbers, dtype=np.int32), places) == expected
    assert _in_python_strings(texts).closest(query, np.array(numbers, dtype=np.int32), places) == expected


@NOT_BUILT
def test_the_c_tie_break_ranks_as_rapidfuzz_does() -> None:
    """fuzz.ratio from the longest common subsequence, across the 64-character words the C code keeps it
    in, in every script, with equal scores in their order."""
    rng = random.Random(9)
    alphabets = ["ab ", "abcdefghijklmnopqrstuvwxyz0123456789 ", "aé臺北ß\U0001d518 b", "\x00a"]
    for _ in range(3000):
        alphabet = rng.choice(alphabets)

        def word(size: int, alphabet: str = alphabet) -> str:
            return "".join(rng.choice(alphabet) for _ in range(size))

        texts = [word(rng.choice([0, 1, 3, 8, 20, 63, 64, 65, 130])) for _ in range(rng.randint(1, 20))]
        strings = Strings.of([text.encode() for text in texts])
        query = word(rng.choice([0, 1, 5, 40, 63, 64, 65, 128, 129, 300]))
        numbers = [rng.randrange(len(texts)) for _ in range(rng.randint(0, 30))]
        places = rng.randint(1, 35)
        assert strings.closest(query, np.array(numbers, dtype=np.int32), places) == _closest_by_rapidfuzz(
            texts, query, numbers, places)


@NOT_BUILT
def test_the_c_tie_break_refuses_what_it_cannot_read() -> None:
    strings = Strings.of([b"sharp", b"edge"])
    with pytest.raises(IndexError):
        strings.closest("sharp", np.array([0, 2], dtype=np.int32), 1)
    with pytest.raises(ValueError, match="items of"):
        strings.closest("sharp", np.array([0, 1], dtype=np.int64), 1)
    with pytest.raises(ValueError, match="at least one place"):
        strings.closest("sharp", np.array([0, 1], dtype=np.int32), 0)


def _in_python_strings(texts: list[str]) -> Strings:
    strings = Strings.of([text.encode() for text in texts])
    strings._in_place = None
    return strings


@pytest.mark.parametrize("cutoff", [0.0, 50.0, 100.0])
def test_token_set_ratios_are_rapidfuzzs(cutoff: float) -> None:
    texts = ["brevanti trading", "trading brevanti llc", "", "臺北 taipei", "a b c", "brevant trading co", "  "]
    numbers = [0, 1, 2, 3, 4, 5, 6, 0]
    for query in ("brevanti trading", "", "taipei", "trading trading", "brevanti co"):
        expected = [fuzz.token_set_ratio(query, texts[number], score_cutoff=cutoff) for number in numbers]
        assert Strings.of([text.encode() for text in texts]).token_set_ratios(query, numbers, cutoff) == expected
        assert _in_python_strings(texts).token_set_ratios(query, numbers, cutoff) == expected


@NOT_BUILT
def test_the_c_token_set_ratios_are_rapidfuzzs_to_the_last_digit() -> None:
    """The same floats as rapidfuzz: words split where it splits them (not at U+00A0 nor U+0085), sorted
    by code point, each once; the words apart compared in one 64-bit word and across several; the
    cutoff applied where rapidfuzz applies it."""
    rng = random.Random(11)
    alphabets = ["ab ", "abcdefghijklmnopqrstuvwxyz   ", "aé臺北ß\U0001d518 b ", "xy\t\xa0\x85\u3000 z"]
    words = ["ltd", "co", "trading", "al", "noor", "sakura", "kk", "a", "éclair", "臺北"]

    def text() -> str:
        if rng.random() < 0.4:
            return " ".join(rng.choice(words) for _ in range(rng.randint(0, 7)))
        alphabet = rng.choice(alphabets)
        return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 3, 8, 20, 63, 64, 65, 70, 140])))

    texts = [text() for _ in range(400)]
    strings = Strings.of([text.encode() for text in texts])
    for _ in range(600):
        query = text()
        numbers = [rng.randrange(len(texts)) for _ in range(rng.randint(0, 12))]
        cutoff = rng.choice([0.0, 50.0, 66.5, 100.0, 101.0])
        assert strings.token_set_ratios(query, numbers, cutoff) == [
            fuzz.token_set_ratio(query, texts[number], score_cutoff=cutoff) for number in numbers]


@NOT_BUILT
def test_the_c_token_set_ratios_refuse_what_they_cannot_read() -> None:
    strings = Strings.of([b"sharp", b"edge"])
    with pytest.raises(IndexError):
        strings.token_set_ratios("sharp", [0, 2], 50.0)
    with pytest.raises(TypeError):
        strings.token_set_ratios("sharp", (0, 1), 50.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        strings.token_set_ratios("sharp", ["0"], 50.0)  # type: ignore[list-item]
