"""The party index's tables: what building an index makes of the list entries, and their plain form.

Building normalises every listed name, which takes most of a minute at a million names. The tables
are what that work yields (the searchable rows with their normalised names, the postings, the names
filed as written); a PartyIndex is made from them in a fraction of the time. So they are built once per
set of lists and stored (service.lists.indexes), and every process makes its index from the stored ones.

The plain form holds only tuples, lists, dicts, strings, numbers and booleans (what `marshal` writes),
plus the postings' flat array (numpy, memory-mapped when stored). Equal strings become one object
before they are written, so that they are written once and read back as one object.
"""

from __future__ import annotations

from typing import Final

from service.engine.parties.legal_forms import LegalForm
from service.engine.parties.names import Name
from service.engine.parties.postings import Postings, Rows

Exact = dict[int, int | list[tuple[int, str | None]]]
PlainName = tuple[object, ...]


class Row:
    """One searchable name: an entry's primary name, an alias, or a former name inside either.
    (Immutable, as Name is, and a plain class: a quarter of a million are made per build, and compiled,
    its attributes are read without the look-up a named tuple's need.)"""

    __slots__ = ("entry", "is_alias", "name", "text")

    def __init__(self, entry: int, name: Name, text: str, is_alias: bool) -> None:
        self.entry: Final = entry
        self.name: Final = name
        self.text: Final = text  # the name as listed
        self.is_alias: Final = is_alias


class IndexTables:
    """Everything a PartyIndex reads besides the entries themselves, as building made it."""

    __slots__ = ("contained_at", "exact", "lengths", "persons", "postings", "rows")

    def __init__(self, rows: list[Row], contained_at: list[int], lengths: list[int], persons: list[bool],
                 exact: Exact, postings: Postings) -> None:
        self.rows: Final = rows
        self.contained_at: Final = contained_at  # shared words at which a row may stand whole in a query
        self.lengths: Final = lengths  # words per row
        self.persons: Final = persons
        self.exact: Final = exact  # each name's written words, by a stable hash -> its rows
        self.postings: Final = postings


def plain_tables(tables: IndexTables) -> tuple[tuple[object, ...], Rows]:
    """The tables as plain data (for marshal) and the postings' flat array."""
    same: dict[str, str] = {}
    rows = tables.rows
    plain: tuple[object, ...] = (
        [row.entry for row in rows], [row.text for row in rows], [row.is_alias for row in rows],
        [_plain_name(row.name, same) for row in rows],
        tables.contained_at, tables.lengths, tables.persons, tables.exact,
        [same.setdefault(key, key) for key in tables.postings.numbered_keys()], tables.postings.sizes(),
    )
    return plain, tables.postings.flat()


def tables_from_plain(plain: tuple[object, ...], flat: Rows) -> IndexTables:
    """The tables from their plain form and flat array (ValueError, TypeError or IndexError if malformed)."""
    entries, texts, aliases, names, contained_at, lengths, persons, exact, keys, sizes = plain
    assert isinstance(entries, list) and isinstance(texts, list) and isinstance(aliases, list)
    assert isinstance(names, list) and isinstance(contained_at, list) and isinstance(lengths, list)
    assert isinstance(persons, list) and isinstance(exact, dict) and isinstance(keys, list)
    assert isinstance(sizes, list)
    if not len(entries) == len(texts) == len(aliases) == len(names) == len(lengths):
        raise ValueError("stored tables: columns of different lengths")
    if len(keys) != len(sizes) or sum(sizes) != len(flat):
        raise ValueError("stored tables: postings do not add up")
    forms: dict[tuple[str, str | None], LegalForm] = {}
    rows = [Row(entry, _name(fields, forms), text, alias)
            for entry, text, alias, fields in zip(entries, texts, aliases, names, strict=True)]
    ids = dict(zip(keys, range(len(keys)), strict=True))
    return IndexTables(rows, contained_at, lengths, persons, exact, Postings(ids, flat, sizes))


def _plain_name(name: Name, same: dict[str, str]) -> PlainName:
    return (name.original, tuple([same.setdefault(token, token) for token in name.tokens]),
            tuple([(form.code, form.jurisdiction) for form in name.legal_forms]),
            name.numerals, tuple([same.setdefault(word, word) for word in name.qualifiers]),
            tuple([_plain_name(former, same) for former in name.former]),
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
