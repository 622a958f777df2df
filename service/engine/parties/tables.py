"""The party index's tables: what building an index makes of the list entries, as flat arrays.

Building normalises every listed name, which takes most of a minute at a million names. The tables
are what that work yields: the searchable rows with their normalised names, the postings, the names
filed as written. They are built once per set of lists and stored (service.lists.indexes); every
process maps the stored files instead of holding the tables as Python objects.

So every table is a few numpy arrays that a file can hold as it is (`arrays`, `from_arrays`):

- numbers per row (entry, word count, flags) as typed arrays, read per candidate row;
- strings (the names as listed, the texts the prefilter and the tie-break compare) as one UTF-8 blob
  and the offset of each string;
- each row's normalised name as `marshal` bytes in a blob, decoded when a query scores the row (a
  handful per query; a small cache keeps the last few thousand);
- dictionaries as sorted arrays searched in C: the names filed as written by their 64-bit hash, the
  postings' keys by their CRC-32 (a key is checked against its stored spelling, so a shared CRC only
  costs a second look).

An index built in memory reads the same arrays, and keeps its Row objects so that it decodes nothing.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Callable, Iterable
from typing import Final

import numpy as np

from service.engine.parties.entry import EntryKind
from service.engine.parties.legal_forms import LegalForm
from service.engine.parties.names import Name
from service.engine.parties.postings import (
    Array,
    Arrays,
    Postings,
    Strings,
    bucket_bits,
    bucket_starts,
    items,
    postings_from,
    postings_names,
    strings_from,
)

Exact = dict[int, int | list[tuple[int, str | None]]]
PlainName = tuple[object, ...]

# bits of a row's flags
ALIAS: Final = 1
PERSON: Final = 2
OPENED: Final = 4  # from another script, or with annotations or former names (_may_reach_review)
FOREIGN: Final = 8  # from another script
FORMER: Final = 16  # with former names
VESSEL_OR_AIRCRAFT: Final = 32  # neither a person nor an organisation (the scorer treats them alike)
ROW_CACHE: Final = 8192  # decoded rows kept (cleared when full)


class Row:
    """One searchable name: an entry's primary name, an alias, or a former name inside either.
    (Immutable, as Name is, and a plain class: compiled, its attributes are read without the look-up a
    named tuple's need.)"""

    __slots__ = ("entry", "is_alias", "name", "text")

    def __init__(self, entry: int, name: Name, text: str, is_alias: bool) -> None:
        self.entry: Final = entry
        self.name: Final = name
        self.text: Final = text  # the name as listed
        self.is_alias: Final = is_alias


class ExactTable:
    """Each name's written words, by a stable 64-bit hash -> its rows, each with the name as listed when
    it is another name of the row's entry than the row's own: the hashes sorted (repeated for each row),
    searched in C."""

    def __init__(self, hashes: Array, buckets: Array, rows: Array, others: Array, texts: Strings) -> None:
        if hashes.dtype != np.int64 or rows.dtype != np.int32 or others.dtype != np.int32:
            raise ValueError("stored tables: malformed names filed as written")
        if not len(hashes) == len(rows) == len(others):
            raise ValueError("stored tables: names filed as written do not add up")
        self._shift = 64 - bucket_bits(len(hashes))
        if buckets.dtype != np.int64 or len(buckets) != 2 ** (64 - self._shift) + 1:
            raise ValueError("stored tables: malformed names filed as written")
        self.hashes, self.buckets, self.rows, self.others, self.texts = hashes, buckets, rows, others, texts
        self._hashes = items(hashes, "q")
        self._buckets = items(buckets, "q")
        self._rows = items(rows, "i")
        self._others = items(others, "i")

    @staticmethod
    def of(exact: Exact) -> ExactTable:
        """The table of names filed as written while building. (The hashes are sorted by numpy: sorting
        a million Python numbers and appending row after row to lists took seconds at a million names.)"""
        hashes, rows, others = array("q"), array("i"), array("i")
        texts: list[str] = []
        for key, held in exact.items():
            if isinstance(held, int):  # (most names: one row, its own text)
                hashes.append(key)
                rows.append(held)
                others.append(-1)
                continue
            for row, text in held:
                hashes.append(key)
                rows.append(row)
                others.append(-1 if text is None else len(texts))
                if text is not None:
                    texts.append(text)
        # sorted by hash; a hash's rows stay in the order they were filed (a stable sort)
        order = np.frombuffer(hashes, dtype=np.int64).argsort(kind="stable")
        sorted_hashes = np.frombuffer(hashes, dtype=np.int64)[order]
        sorted_others = np.frombuffer(others, dtype=np.intc).astype(np.int32)[order]
        # the other texts numbered in the sorted order
        with_text = (sorted_others >= 0).nonzero()[0]
        encoded = [texts[number].encode() for number in sorted_others[with_text].tolist()]
        sorted_others[with_text] = np.arange(len(with_text), dtype=np.int32)
        bits = bucket_bits(len(sorted_hashes))
        # (the buckets of signed hashes: by the leading bits of the hash + 2**63, which keeps their order)
        leading = (sorted_hashes.astype(np.uint64) ^ np.uint64(1 << 63)) >> np.uint64(64 - bits)
        return ExactTable(sorted_hashes, bucket_starts(leading, bits),
                          np.frombuffer(rows, dtype=np.intc).astype(np.int32)[order], sorted_others,
                          Strings.of(encoded))

    def get(self, key: int) -> list[tuple[int, str | None]]:
        """The rows filed under the hash, in the order they were filed (none: an empty list)."""
        hashes = self._hashes
        bucket = (key + 2**63) >> self._shift
        found: list[tuple[int, str | None]] = []
        for at in range(self._buckets[bucket], self._buckets[bucket + 1]):
            if hashes[at] == key:
                other: int = self._others[at]
                found.append((self._rows[at], None if other < 0 else self.texts[other]))
        return found

    def arrays(self) -> Arrays:
        return {"exact.hashes": self.hashes, "exact.buckets": self.buckets, "exact.rows": self.rows,
                "exact.others": self.others,
                **self.texts.arrays("exact.texts")}


class IndexTables:
    """Everything a PartyIndex reads besides the entries themselves, as flat arrays."""

    def __init__(self, entries: Array, flags: Array, lengths: Array, contained_at: Array, names: Strings,
                 texts: Strings, prefilter: Strings, tie: Strings, compacts: Strings, exact: ExactTable,
                 postings: Postings, rows: list[Row] | None = None) -> None:
        count = len(entries)
        if entries.dtype != np.int32 or flags.dtype != np.uint8 or lengths.dtype != np.int32:
            raise ValueError("stored tables: malformed columns")
        if contained_at.dtype != np.int32 or not all(len(column) == count for column in (
                flags, lengths, contained_at, names, texts, prefilter, tie, compacts)):
            raise ValueError("stored tables: columns of different lengths")
        if postings.rows_total != count:
            raise ValueError("stored tables: postings of another number of rows")
        self.entries = entries
        self.flags = flags
        self.lengths = lengths  # words per row, for ranking candidates by length
        self.contained_at = contained_at  # shared words at which a row may stand whole in a query
        self.names = names  # each row's normalised name (marshal)
        self.texts = texts  # each row's name as listed
        self.prefilter = prefilter  # each row's words and annotations (the prefilter's text)
        self.tie = tie  # each row's words and numerals (the tie-break's text)
        self.compacts = compacts  # each row's letters without spaces (Name.compact)
        self.exact = exact
        self.postings = postings
        self._entries = items(entries, "i")
        self._flags = items(flags, "B")
        self._built = rows  # (an index built in this process keeps its rows: nothing to decode)
        self._decoded: dict[int, Row] = {}
        self._forms: dict[tuple[str, str | None], LegalForm] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def flag(self, row: int, bit: int) -> bool:
        return bool(self._flags[row] & bit)

    def row(self, number: int) -> Row:
        """The row, decoded from its stored form (the last few thousand are kept)."""
        if self._built is not None:
            return self._built[number]
        found = self._decoded.get(number)
        if found is None:
            name = _name(marshal.loads(self.names.raw(number)), self._forms)
            found = Row(self._entries[number], name, self.texts[number], self.flag(number, ALIAS))
            if len(self._decoded) >= ROW_CACHE:
                self._decoded.clear()  # (shared by threads: dictionary operations are atomic)
            self._decoded[number] = found
        return found

    def arrays(self) -> Arrays:
        """The tables as named arrays (to store them)."""
        return {"rows.entries": self.entries, "rows.flags": self.flags, "rows.lengths": self.lengths,
                "rows.contained_at": self.contained_at, **self.names.arrays("rows.names"),
                **self.texts.arrays("rows.texts"), **self.prefilter.arrays("rows.prefilter"),
                **self.tie.arrays("rows.tie"), **self.compacts.arrays("rows.compacts"),
                **self.exact.arrays(), **self.postings.arrays(POSTINGS)}


POSTINGS: Final = "postings"  # the prefix of the arrays of the rows' keys (IndexTables.arrays)
TABLE_ARRAYS: Final = ("rows.entries", "rows.flags", "rows.lengths", "rows.contained_at",
                       *(f"rows.{column}.{part}" for column in ("names", "texts", "prefilter", "tie", "compacts")
                         for part in ("blob", "offsets")),
                       "exact.hashes", "exact.buckets", "exact.rows", "exact.others", "exact.texts.blob",
                       "exact.texts.offsets")


def table_names() -> list[str]:
    """The names of the arrays `IndexTables.arrays` gives."""
    return [*TABLE_ARRAYS, *postings_names(POSTINGS)]


def tables_from_arrays(arrays: Arrays) -> IndexTables:
    """The tables from their arrays (ValueError or KeyError if malformed)."""
    exact = ExactTable(arrays["exact.hashes"], arrays["exact.buckets"], arrays["exact.rows"], arrays["exact.others"],
                       strings_from(arrays, "exact.texts"))
    return IndexTables(arrays["rows.entries"], arrays["rows.flags"], arrays["rows.lengths"],
                       arrays["rows.contained_at"], strings_from(arrays, "rows.names"),
                       strings_from(arrays, "rows.texts"), strings_from(arrays, "rows.prefilter"),
                       strings_from(arrays, "rows.tie"), strings_from(arrays, "rows.compacts"), exact,
                       postings_from(arrays, POSTINGS))


def packed_tables(rows: list[Row], contained_at: list[int], lengths: list[int], kinds: list[int],
                  exact: Exact, postings: Callable[[], Postings]) -> IndexTables:
    """The tables of a build: its rows and lists packed into arrays (the rows kept as they are). `kinds`:
    each row's kind of party as flags (PERSON, VESSEL_OR_AIRCRAFT or none: an organisation).
    `postings` is asked last, once the rest is packed: it may wait for another process (build_tables)."""
    flags = np.fromiter((_flags(row, kind) for row, kind in zip(rows, kinds, strict=True)),
                        dtype=np.uint8, count=len(rows))
    plain = [" ".join(row.name.tokens) for row in rows]
    prefilter = [" ".join((*row.name.tokens, *row.name.qualifiers)) if row.name.qualifiers else text
                 for row, text in zip(rows, plain, strict=True)]
    tie = [tie_text(row.name) if row.name.numerals else text for row, text in zip(rows, plain, strict=True)]
    entries = np.fromiter((row.entry for row in rows), dtype=np.int32, count=len(rows))
    packed = (np.array(lengths, dtype=np.int32), np.array(contained_at, dtype=np.int32), _marshalled(rows),
              _strings(row.text for row in rows), _strings(prefilter), _strings(tie),
              _strings(row.name.compact for row in rows), ExactTable.of(exact))
    return IndexTables(entries, flags, *packed, postings(), rows)


def tie_text(name: Name) -> str:
    """A name's words and numerals, as the tie-break compares them."""
    return " ".join((*name.tokens, *name.numerals))


def _marshalled(rows: list[Row]) -> Strings:
    """Each row's normalised name as marshal bytes (plain tuples, strings and booleans)."""
    return Strings.of([marshal.dumps(_plain_name(row.name)) for row in rows])  # type: ignore[arg-type]


def _strings(texts: Iterable[str]) -> Strings:
    return Strings.of([text.encode() for text in texts])


def kind_flag(kind: EntryKind) -> int:
    """The flag of an entry's kind of party (none for an organisation)."""
    return PERSON if kind is EntryKind.PERSON else 0 if kind is EntryKind.ORGANISATION else VESSEL_OR_AIRCRAFT


def scored_kind(flags: int) -> str:
    """The kind a row's names are scored as (scoring.score_names), from its flags: no entry is read for
    the rows that score under review, which are most of them."""
    if flags & PERSON:
        return EntryKind.PERSON.value
    return EntryKind.VESSEL.value if flags & VESSEL_OR_AIRCRAFT else EntryKind.ORGANISATION.value


def _flags(row: Row, kind: int) -> int:
    name = row.name
    opened = name.foreign_script or bool(name.qualifiers) or bool(name.former)
    return ((ALIAS if row.is_alias else 0) | kind | (OPENED if opened else 0)
            | (FOREIGN if name.foreign_script else 0) | (FORMER if name.former else 0))


def _plain_name(name: Name) -> PlainName:
    return (name.original, name.tokens, tuple([(form.code, form.jurisdiction) for form in name.legal_forms]),
            name.numerals, name.qualifiers, tuple([_plain_name(former) for former in name.former]),
            name.foreign_script, name.vessel_prefix, name.compact)


def _name(fields: PlainName, forms: dict[tuple[str, str | None], LegalForm]) -> Name:
    original, tokens, legal, numerals, qualifiers, former, foreign_script, vessel_prefix, compact = fields
    assert isinstance(original, str) and isinstance(tokens, tuple) and isinstance(legal, tuple)
    assert isinstance(numerals, tuple) and isinstance(qualifiers, tuple) and isinstance(former, tuple)
    assert isinstance(foreign_script, bool) and isinstance(vessel_prefix, bool) and isinstance(compact, str)
    return Name(original, tokens, tuple([_form(pair, forms) for pair in legal]), numerals, qualifiers,
                tuple([_name(other, forms) for other in former]), foreign_script, vessel_prefix, compact)


def _form(pair: tuple[str, str | None], forms: dict[tuple[str, str | None], LegalForm]) -> LegalForm:
    """One LegalForm per code and jurisdiction, as the normaliser's own table has."""
    found = forms.get(pair)
    if found is None:
        found = forms[pair] = LegalForm(pair[0], pair[1])
    return found
