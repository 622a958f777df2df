"""Generated evaluation sets for the denied-party matcher: clerk variants, evasions and look-alike negatives.

Each labelled query is a name a clerk or an evader might type, the list entry it should find (or
"none") and its category. The variants are made from the OFAC 2021 and UN lists in ../shared/data by
string rules of our own (scripts/eval_variants.py), with a fixed seed, so the output is the same on every
machine. Neither module imports the matcher (names, scoring, index ...): a set built with the matcher's own rules would
only measure the matcher against itself. It reads the lists with the service's list readers.

Every query falls in a tuning half or a reporting half by a hash of the entry it comes from, so all
variants of one entry stay in one half. The reporting half is for reporting only: never tune on its errors.

    .venv/bin/python scripts/eval_sets.py [--per-category 200] [--seed 2026] [--half reporting] [-o sets.csv]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent
for folder in (ROOT, SCRIPTS):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from eval_variants import (  # noqa: E402
    Inventor,
    abbreviation,
    all_caps,
    branch_suffix,
    cyrillic,
    full_width,
    homoglyph,
    hyphen_space,
    inserted_word,
    is_russian,
    legal_form,
    missing_middle_name,
    number_suffix,
    other_surname,
    run_together,
    shared_first_word,
    shared_generic,
    transliteration,
    typo_double,
    typo_drop,
    typo_swap,
    word_order,
    zero_width,
)

from service.engine.parties.entry import EntryKind, ListEntry  # noqa: E402
from service.engine.parties.sources import read_list  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OFAC_DIR = DATA / "ofac-sdn-2021"
UN_XML = DATA / "un-consolidated" / "UN_consolidated.xml"
SEED = 2026
NONE = "none"
HALVES = ("tuning", "reporting")


@dataclass(frozen=True)
class LabelledQuery:
    """One query with what it should find: `expected` is "list:entry id", or "none" for a look-alike."""

    query: str
    expected: str
    category: str
    group: str  # clerk, evasion or negative
    half: str  # tuning or reporting
    kind: str  # the source entry's kind (person, organisation, ...)
    country: str  # the source entry's first country (alpha-2) or ""; screened with the query as the service does
    source_name: str  # the listed name the query was made from


@dataclass(frozen=True)
class Source:
    """A listed name to vary, with its entry."""

    entry: ListEntry
    name: str

    @property
    def key(self) -> str:
        return entry_key(self.entry)


def entry_key(entry: ListEntry) -> str:
    """The id a hit reports, made unique across lists: "ofac-sdn:306"."""
    return f"{entry.source_list}:{entry.id}"


def half_of(key: str) -> str:
    """Tuning or reporting, by a hash of the entry (stable across runs, machines and Python versions)."""
    return HALVES[hashlib.sha256(key.encode()).digest()[0] % 2]


def load_entries(ofac_dir: Path = OFAC_DIR, un_xml: Path = UN_XML) -> list[ListEntry]:
    """The OFAC 2021 and UN entries, read by the service's own readers."""
    return [*read_list("ofac", ofac_dir).entries, *read_list("un", un_xml).entries]


# ---------------------------------------------------------------------------------------------------------
# Assembly

Variant = Callable[[str, random.Random], str | None]
Invention = Callable[[str, Inventor], str | None]
ORG = (EntryKind.ORGANISATION,)
PEOPLE_AND_ORGS = (EntryKind.PERSON, EntryKind.ORGANISATION)

CLERK: dict[str, tuple[Variant, tuple[EntryKind, ...]]] = {
    "typo-drop": (typo_drop, PEOPLE_AND_ORGS),
    "typo-double": (typo_double, PEOPLE_AND_ORGS),
    "typo-swap": (typo_swap, PEOPLE_AND_ORGS),
    "word-order": (word_order, PEOPLE_AND_ORGS),
    "legal-form": (legal_form, ORG),
    "abbreviation": (abbreviation, ORG),
    "transliteration": (transliteration, (EntryKind.PERSON,)),
    "cyrillic-script": (cyrillic, (EntryKind.PERSON,)),
    "missing-middle-name": (missing_middle_name, (EntryKind.PERSON,)),
    "hyphen-space": (hyphen_space, PEOPLE_AND_ORGS),
    "all-caps": (all_caps, PEOPLE_AND_ORGS),
}
EVASION: dict[str, tuple[Variant, tuple[EntryKind, ...]]] = {
    "number-suffix": (number_suffix, ORG),
    "branch-suffix": (branch_suffix, ORG),
    "run-together": (run_together, ORG),
    "zero-width-space": (zero_width, ORG),
    "full-width": (full_width, ORG),
    "homoglyph": (homoglyph, ORG),
    "inserted-word": (inserted_word, ORG),
}
NEGATIVE: dict[str, tuple[Invention, tuple[EntryKind, ...]]] = {
    "shared-generic-words": (shared_generic, ORG),
    "shared-first-word": (shared_first_word, ORG),
    "other-surname": (other_surname, (EntryKind.PERSON,)),
}
CATEGORIES = {**{c: "clerk" for c in CLERK}, **{c: "evasion" for c in EVASION}, **{c: "negative" for c in NEGATIVE}}


def _sources(entries: Sequence[ListEntry], kinds: tuple[EntryKind, ...], russian: bool = False) -> list[Source]:
    """Primary names of entries of the given kinds, in list order (Russian ones only for transliteration)."""
    return [Source(e, e.name) for e in entries if e.kind in kinds and (not russian or is_russian(e))]


def _query(source: Source, query: str, category: str, expected: str) -> LabelledQuery:
    entry = source.entry
    return LabelledQuery(query=query, expected=expected, category=category, group=CATEGORIES[category],
                         half=half_of(source.key), kind=entry.kind.value,
                         country=entry.countries[0] if entry.countries else "", source_name=source.name)


def _sample(pool: list[Source], rng: random.Random) -> Iterable[Source]:
    """The pool in a seeded random order (a copy; the caller stops when it has enough)."""
    order = list(pool)
    rng.shuffle(order)
    return order


def generate(entries: Sequence[ListEntry], per_category: int = 200, seed: int = SEED) -> list[LabelledQuery]:
    """Up to `per_category` labelled queries per category, the same for the same entries and seed."""
    queries: list[LabelledQuery] = []
    for category, (variant, kinds) in {**CLERK, **EVASION}.items():
        rng = random.Random(f"{seed}:{category}")  # one stream per category: adding one leaves the others
        pool = _sources(entries, kinds, russian=category in ("transliteration", "cyrillic-script"))
        made = 0
        for source in _sample(pool, rng):
            if made == per_category:
                break
            query = variant(source.name, rng)
            if query is None or query == source.name or not query.strip():
                continue
            queries.append(_query(source, query, category, source.key))
            made += 1
    inventor = Inventor(entries, random.Random(seed))
    for category, (invention, kinds) in NEGATIVE.items():
        rng = inventor.rng = random.Random(f"{seed}:{category}")
        made = 0
        for source in _sample(_sources(entries, kinds), rng):
            if made == per_category:
                break
            query = invention(source.name, inventor)
            if query is None or inventor.is_listed(query):
                continue
            queries.append(_query(source, query, category, NONE))
            made += 1
    return queries


def write_csv(queries: Iterable[LabelledQuery], out: TextIO) -> None:
    """The queries as CSV with a header (UTF-8; invisible characters are kept as they are)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(LabelledQuery)])
    for query in queries:
        writer.writerow(asdict(query).values())


def read_csv(path: Path) -> list[LabelledQuery]:
    """Queries written by write_csv (or a held-out set of the same columns kept elsewhere)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [LabelledQuery(**row) for row in csv.DictReader(handle)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-category", type=int, default=200, help="queries per category (default 200)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("-o", "--out", type=Path, help="write CSV here instead of standard output")
    parser.add_argument("--half", choices=HALVES, help="write only this half")
    args = parser.parse_args(argv)
    queries = [q for q in generate(load_entries(), args.per_category, args.seed) if args.half in (None, q.half)]
    if args.out:
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            write_csv(queries, handle)
    else:
        write_csv(queries, sys.stdout)


if __name__ == "__main__":
    main()
