"""PartyIndex: the denied-party screener (the PartyScreener protocol of service.engine.checks.parties).

Built once from the list entries; a query touches only the names that share a rare key with it:

- Candidate generation: an inverted index from keys to name rows. Each name token gives three keys:
  the token, its consonant skeleton (romanisation variants and vowel typos) and its first four letters
  (typos later in the word). A key's weight is its IDF; keys held by more than `max_postings` names
  (generic words such as "trading" or "company" on a large list) are skipped unless nothing rarer
  exists, so a query reads a small share of the list.
- Postings are sorted numpy arrays in one flat block (postings.py); a query's unions, counts and
  intersections run in C, and what the index holds for each query word is cached.
- The best `max_candidates` rows by summed IDF are scored with score_names (the same scorer that
  scripts/match_quality.py measures); rows tied for the last places go to those most alike the query
  as strings, numerals included. One hit per entry (its best name; on a tie the primary name), best
  first.
- A name from another script shares no spelling key with its Latin listing (צפרירים / Zafririm, 臺北 /
  Taipei): script keys (consonant skeletons, Chinese and Burmese romanisation keys) find it, built
  for every listed name when the service loads (prepare_scripts) or on the first such query.
- Party country is supporting evidence: a small boost when it is one of the entry's countries, only on
  a name that is already close; never a hit on country alone.
- Building normalises every listed name: a PartyIndex can instead be made from the tables an earlier
  build made of the same entries (tables.py), stored once per set of lists (service.lists.indexes) and
  memory-mapped: flat arrays, a row's normalised name decoded only when a query scores it. A built
  index reads the same arrays (keeping its rows as objects), so the answers are the same either way.
- A bounded LRU cache maps (normalised name, country) to hits: ERP exports repeat the same consignees,
  and the index never changes after it is built, so a cached answer is always the current answer.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import itertools
import math
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from service.engine.parties import glossary, legal_forms
from service.engine.parties.burmese import KEY_KEPT, burmese_key
from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.hit import PartyHit
from service.engine.parties.letters import in_order
from service.engine.parties.names import (
    BRANCH_WORDS,
    STOP_WORDS,
    Name,
    abjad_skeleton,
    normalise_name,
    skeleton,
    written_words,
)
from service.engine.parties.postings import KeyTable, Postings, PostingsBuilder, Rows, items, member
from service.engine.parties.scoring import (
    CONTAINED_NAME_LETTERS,
    GENERIC_WORDS,
    LEGAL_FORM_CONFLICT,
    ROMANISATION_KEPT,
    SAME_AS_WRITTEN,
    UNMATCHED_PENALTY,
    NameScore,
    is_business_word,
    romanisation_key,
    romanised,
    score_names,
)
from service.engine.parties.stored_entries import StoredEntries
from service.engine.parties.tables import (
    FOREIGN,
    FORMER,
    OPENED,
    PERSON,
    Exact,
    IndexTables,
    Row,
    kind_flag,
    packed_tables,
    scored_kind,
    tie_text,
)
from service.engine.verdict import Action, ListStamp

try:
    from service.engine.parties import _in_c
except ImportError:  # (not built: PURE_PYTHON_BUILD=1)
    _in_c = None  # type: ignore[assignment]

Counts = npt.NDArray[np.int64]
Weights = npt.NDArray[np.float64]
ROWS_DTYPE: Final = np.dtype(np.int32)
COUNTS_DTYPE: Final = np.dtype(np.int64)
WEIGHTS_DTYPE: Final = np.dtype(np.float64)

COUNTRY_BOOST: Final = 3.0
COUNTRY_BOOST_FLOOR: Final = 50.0  # the boost only lifts names that already resemble each other
VARIANT_WEIGHT: Final = 0.5  # share of a key's IDF weight when the query word is found only by its skeleton or prefix
PERSON_SCRIPT_KEYS: Final = 3  # script keys a listed person must share with the query
FOREIGN_KEY_SET: Final = 20_000  # up to this many keys of the names listed in another script are kept as a set
SCRIPT_LENGTH_RATIO: Final = 1.25  # a name found by script keys has at most this many times the query's keys (+1)
MAX_WEIGHED: Final = 2000  # candidate rows weighed by IDF per query, at most (the most shared words first)
WORD_CACHE = 100_000  # query words whose rows are kept (cleared when full)
WORD_CACHE_BYTES = 32 * 2**20  # and the bytes of the row arrays made for them
SMALL_RANKING: Final = 64  # candidate rows ranked in plain Python up to this many (numpy's calls cost more)
RAREST_GROUP: Final = 30  # a query word held by this few names: its rows are always looked at
_NEVER: Final = 1 << 30  # shared-word count that no query reaches
ROWS_BATCH: Final = 10_000  # rows handed to build_tables' rows_filed at a time (another process keeps up)
# added to the weight of a listed name standing whole in the query (more than the IDFs of its words sum to)
CONTAINED_FIRST: Final = 100.0
# the kinds of script_keys, by their first two letters
ABJAD_KIND: Final = "a:"
ROMANISATION_KIND: Final = "r:"
BURMESE_KIND: Final = "b:"
SCRIPT_KEY_KINDS: Final = frozenset((ABJAD_KIND, ROMANISATION_KIND, BURMESE_KIND))
PREFILTER: Final = 50.0  # rapidfuzz token_set_ratio under which a row is not scored (true matches score far above)


# A query word's rows in the index: those of its rare keys with their IDF weight (None: it has no rare
# key); that weight (of its commonest key when it has no rare one); its keys held by too many names to
# read (checked against the rows found); and the rows holding two words the query word joins
# ("SharpEdge", "Alfurqan"). A plain tuple, not a named one: the word cache keeps one for every word
# screened, and the cycle collector stops walking a plain tuple of arrays, numbers and strings after its
# first look, while it walks a named tuple at every collection of its generation.
_Word = tuple[Rows | None, float, tuple[str, ...], Rows | None]


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """How the query cache is doing (for benchmarks and the batch summary)."""

    hits: int
    misses: int
    size: int
    maxsize: int


class PartyIndex:
    """Fuzzy search of party names over denied-party list entries."""

    def __init__(
        self,
        entries: Sequence[ListEntry],
        stamps: Sequence[ListStamp],
        *,
        review_threshold: float = 70.0,
        block_threshold: float = 90.0,
        max_candidates: int = 10,
        max_postings: int = 500,
        max_hits: int = 10,
        cache_size: int = 20_000,
        tables: IndexTables | None = None,
        stored_scripts: Callable[[], Postings | None] | None = None,
    ) -> None:
        """Built from the entries, or made from `tables` built from exactly these entries before (stored:
        service.lists.indexes); `stored_scripts` gives the cross-script keys stored with them (None when
        they cannot be read: then they are built)."""
        if block_threshold < review_threshold:
            raise ValueError("block_threshold must be at least review_threshold")
        self.review_threshold = review_threshold
        self.block_threshold = block_threshold
        # (stored entries stay in their mapped files, each validated when a hit needs it)
        self._entries: Sequence[ListEntry] = entries if isinstance(entries, StoredEntries) else list(entries)
        self._stamps = list(stamps)
        self._max_candidates = max_candidates
        self._max_postings = max_postings
        self._max_hits = max_hits
        if tables is None:
            tables = build_tables(self._entries)
        self._tables = tables
        # numbers per row, read per candidate (as Python numbers) or for many rows at once (as arrays)
        self._lengths = items(tables.lengths, "i")  # words per row, for ranking candidates by length
        self._contained_at = items(tables.contained_at, "i")
        self._flags = items(tables.flags, "B")  # (tables.py: alias, person, opened, from another script ...)
        self._length_array = tables.lengths
        self._contained_array = tables.contained_at
        self._steps_in_c = _in_c is not None  # (candidates kept and ranked in C: the same answers, fewer instructions)
        # each name's words (_written_key, by a stable hash) -> its rows: a name typed as listed is
        # found whatever its words, even when no rule of the scorer would weigh them enough
        self._exact = tables.exact
        self._postings = tables.postings
        # each row's words as one string, for the tie-break (with numerals) and the prefilter (with
        # annotations)
        self._tie_texts = tables.tie
        self._prefilter_texts = tables.prefilter
        self._words: dict[str, _Word] = {}
        self._words_bytes = 0
        # Keys that survive a change of script (script_keys): for the few names listed in another
        # script at once, for every name on the first query from another script (see _across_scripts).
        self._script_postings: Postings | None = None
        self._stored_scripts = stored_scripts
        self._script_lock = threading.Lock()
        foreign = (tables.flags & FOREIGN).nonzero()[0].tolist()
        self._foreign_postings = _script_postings(((number, tables.row(number).name) for number in foreign),
                                                  len(tables))
        # (their keys as a set: every Latin query asks about its dozen keys, nearly all absent, and a
        # set answers that quicker than the key table; few names are listed in another script)
        self._foreign_keys = frozenset(self._foreign_postings.keys.keys()) if len(
            self._foreign_postings) <= FOREIGN_KEY_SET else None
        # (and the kinds of those keys: a Latin query works out only its keys of these kinds, since no
        # other key of it can be among them; the few names listed so may have no abjad key, say)
        kinds = frozenset(key[:2] for key in self._foreign_keys) if self._foreign_keys is not None else None
        self._foreign_kinds = kinds if kinds is not None and kinds < SCRIPT_KEY_KINDS else None
        # (and those keys' forms, which tell most Latin names that they share none: held_script_keys)
        self._held_forms = held_forms(self._foreign_keys) if self._foreign_keys is not None else None
        self._total = max(1, len(tables))
        # (hits kept as tuples: most names have none, and the empty tuple is one object the cycle collector
        # never walks; an empty list would be one more object for it in every entry)
        self._cache: OrderedDict[Hashable, tuple[PartyHit, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._cache_hits = 0
        self._cache_misses = 0

    def __len__(self) -> int:
        """Number of searchable names (primary names, aliases)."""
        return len(self._tables)

    def _written_rows(self, query: Name, text: str) -> list[tuple[int, str]]:
        """The rows of the names written as the query is, each with the name as listed. They are filed
        by the words of their normalised names (_written_key), which a name typed as listed shares, and
        checked word for word as written (a name with the same normalised words may be written
        otherwise, and the hash may collide)."""
        key = _written_key(query)
        filed = self._exact.get(_filed(key)) if key else []
        if "," in text:  # (typed as a person is listed, "LAST, First": filed by its words as listed too)
            filed += self._exact.get(_listed_words_key(text))
        if not filed:
            return []
        written = written_words(text)
        found = []
        for row_number, other in dict.fromkeys(filed):
            row = self._tables.row(row_number)
            listed = row.text if other is None else other
            if written in (written_words(listed), written_words(row.name.original)):
                found.append((row_number, listed))
        return found

    def entries(self) -> Sequence[ListEntry]:
        """The entries searched, in the order the tables refer to them."""
        return self._entries

    def stamps(self) -> list[ListStamp]:
        """The list snapshots this index was built from."""
        return list(self._stamps)

    def cache_info(self) -> CacheInfo:
        """Hits, misses and size of the query cache."""
        return CacheInfo(self._cache_hits, self._cache_misses, len(self._cache), self._cache_size)

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        """Hits for a party name at or above the review threshold, best first."""
        # first by the name exactly as sent (ERP exports repeat their parties' names: no normalising),
        # then by the normalised name (the same name spelled otherwise)
        as_sent = (name, country)
        with self._cache_lock:
            cached = self._cache.get(as_sent)
            if cached is not None:
                self._cache.move_to_end(as_sent)
                self._cache_hits += 1
                return list(cached)
        query = normalise_name(name)
        written = self._written_rows(query, name)
        key = (_cache_key(query), tuple(written), (country or "").upper())
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self._cache_hits += 1
                self._remember(as_sent, cached)
                return list(cached)
            self._cache_misses += 1
        hits = self._search(query, country, written)
        kept = tuple(hits)
        with self._cache_lock:
            self._remember(key, kept)
            self._remember(as_sent, kept)
        return hits

    def _remember(self, key: Hashable, hits: tuple[PartyHit, ...]) -> None:
        """Cache hits under `key` (the cache lock held), dropping the least recently used beyond the size."""
        self._cache[key] = hits
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _search(self, query: Name, country: str | None, exact: Sequence[tuple[int, str]] = ()) -> list[PartyHit]:
        query_key = " ".join((*query.tokens, *query.qualifiers))
        maybe = self._unkeyed_words(query)  # (a property of the query: counted once, not per row or step)
        rows, shared, joined = self._candidates(query, maybe)
        seen = set(rows)
        worth: list[int] = []  # rows to score, in the order they were found
        flags = self._flags
        reviewable = list(itertools.compress(rows, self._may_reach_review(query, rows, shared, maybe, joined)))
        # a cheap look first: nothing alike enough to be worth the full scorer (not for names from another
        # script, nor for former names, which the look does not see)
        plain_query = not (query.foreign_script or query.former)
        alike = self._prefilter_texts.token_set_ratios(query_key, reviewable, PREFILTER) if plain_query else []
        for position, row_number in enumerate(reviewable):
            if plain_query and not flags[row_number] & (FOREIGN | FORMER) and alike[position] == 0:
                continue
            if query.legal_forms and self._forms_rule_out(query, self._tables.row(row_number).name):
                continue
            worth.append(row_number)
        worth += self._across_scripts(query, seen)
        as_written = dict(exact)
        worth += as_written
        best: dict[int, tuple[float, int, PartyHit]] = {}
        for row_number in worth:
            row = self._tables.row(row_number)
            hit = self._hit(query, row, flags[row_number], country, as_written.get(row_number) if as_written else None)
            # (an entry's best name; on a tie the one listed first, the primary name before its aliases)
            if hit is None:
                continue
            held = best.get(row.entry)
            if held is None or (-hit.score, row_number) < (-held[0], held[1]):
                best[row.entry] = (hit.score, row_number, hit)
        ranked = sorted(best.values(), key=lambda found: (-found[0], found[2].list_name, found[2].entry_id))
        return [hit for _, _, hit in ranked[: self._max_hits]]

    def _across_scripts(self, query: Name, seen: set[int]) -> list[int]:
        """Rows a name from another script shares no spelling key with ("צפרירים" is "tsfryrym" after
        transliteration, "Zafririm" as listed; 臺北 is "tai bei", listed "Taipei"): found by the keys of
        script_keys, the few rows sharing the most of them. A query in another script reads every
        listed name's keys, built once on the first such query; a Latin query reads only the names
        listed in another script."""
        held: frozenset[str] | None = None
        kinds: frozenset[str] | None = None
        partial = False  # (keys of some words only: those that may be held)
        if query.foreign_script:
            postings = self._script_postings if self._script_postings is not None else self._build_script_postings()
            keys = script_keys(query)
        elif self._foreign_postings:
            postings, held, kinds = self._foreign_postings, self._foreign_keys, self._foreign_kinds
            if self._held_forms is not None:
                keys, partial = held_script_keys(query, self._held_forms), True
            else:
                keys = script_keys(query, kinds)
        else:
            return []
        # (sorted: the same ties, so the same answer, in every process)
        shared = sorted(key for key in keys if (key in held if held is not None else key in postings))
        found = [postings.rows(key) for key in shared]
        if not found:  # (most Latin names: none of the few names listed in another script shares a key)
            return []
        if kinds is not None or partial:
            keys = script_keys(query)  # (all of them: their number bounds the length of the names found)
        counts: Counter[int] = Counter()
        rare = [rows for rows in found if len(rows) <= self._max_postings]
        for rows in rare or found:  # a short name may have common keys only ("משה", Moshe): read them
            counts.update(rows.tolist())
        # most keys shared first, then names as long as the query (a common pair of names, Ahmed Hassan,
        # is shared by many longer names)
        size, lengths = len(query.tokens), self._lengths
        ranked = heapq.nsmallest(self._max_candidates + len(seen), counts.items(),
                                 key=lambda item: (-item[1], abs(lengths[item[0]] - size)))
        # Only names of about the query's length: a long listed name sharing two loose keys with a short
        # query is how unrelated people met (measured on yente's negatives against the UN list).
        longest = SCRIPT_LENGTH_RATIO * len(keys) + 1
        tables = self._tables
        # People's names are short and their transliterations loose: a person needs more keys in common.
        flags = self._flags
        return [row for row, count in ranked if row not in seen and len(script_keys(tables.row(row).name)) <= longest
                and (count >= PERSON_SCRIPT_KEYS or not flags[row] & PERSON)][: self._max_candidates]

    def prepare_scripts(self) -> None:
        """Build the keys that names from another script are looked up by, and the glossary's patterns
        for their business words, now rather than on the first such query or comparison (the service does
        it when loading; a quarter of a million names take seconds)."""
        self._build_script_postings()
        glossary.prepare()

    def _build_script_postings(self) -> Postings:
        with self._script_lock:
            if self._script_postings is None:
                stored = self._stored_scripts() if self._stored_scripts is not None else None
                tables = self._tables
                self._script_postings = stored if stored is not None else _script_postings(
                    ((number, tables.row(number).name) for number in range(len(tables))), len(tables))
            return self._script_postings

    def tables(self) -> IndexTables:
        """What the index was made of (to store it, and make the same index in another process)."""
        return self._tables

    def script_postings(self) -> Postings:
        """The keys that names from another script are looked up by, built if not yet (to store them)."""
        return self._build_script_postings()

    def _forms_rule_out(self, query: Name, listed: Name) -> bool:
        """True when the names' legal forms are of two jurisdictions (GmbH against Sdn. Bhd.): the scorer
        takes LEGAL_FORM_CONFLICT off a score of at most 100 and nothing after it adds any back, so even
        with the country boost the name stays under review; not worth the full scorer. Former names have
        forms of their own and are left to it. (About a tenth fewer names scored on the generated
        benchmark list.)"""
        if not (query.legal_forms and listed.legal_forms) or query.former or listed.former:
            return False
        return (self.review_threshold > 100.0 - LEGAL_FORM_CONFLICT + COUNTRY_BOOST
                and legal_forms.relation(query.legal_forms, listed.legal_forms) == "conflict")

    def _may_reach_review(self, query: Name, candidates: list[int], shared: list[int], maybe: int,
                          joined: frozenset[int] = frozenset()) -> list[bool]:
        """For each candidate row, False when too few of the query's words share a key with the listed
        name to reach review.

        An upper bound of the scorer's coverage, assuming every word that shares a key matches fully.
        Words that can match without a shared key (_unkeyed_words: short ones, initials and
        abbreviations, and unknown ones, typos) count as matched. Names from another script,
        annotations and former names are given the benefit of the doubt, and so are the same letters
        without spaces ("SiemensAG", "VladimirPutin"), a person named with fewer of their names (the
        scorer's partial-name rule), an organisation whose every word may stand in the other name
        (the scorer's contained-name floor) and a name whose words the query writes joined or split
        (`joined`: the scorer merges them, so both names have fewer words than counted here). (At most
        max_candidates rows: plain Python, quicker than numpy's calls here.)
        """
        if query.foreign_script or query.qualifiers or query.former:
            return [True] * len(candidates)
        if joined:
            flags = self._may_reach_review(query, candidates, shared, maybe)
            return [flag or row in joined for flag, row in zip(flags, candidates, strict=True)]
        q = len(query.tokens)
        least = self.review_threshold - COUNTRY_BOOST
        compact = query.compact.encode()
        lengths, marks, contained_at = self._lengths, self._flags, self._contained_at
        compacts, texts = self._tables.compacts, self._prefilter_texts
        flags = []
        for row, count in zip(candidates, shared, strict=True):
            r = lengths[row]
            shorter = q if q < r else r  # (comparisons, not min(): compiled, a call to min() boxes its numbers)
            matched = count + maybe if count + maybe < shorter else shorter
            if (100.0 * 2 * matched / (q + r) - UNMATCHED_PENALTY * (q + r - 2 * matched) >= least
                    or marks[row] & OPENED):
                flags.append(True)
                continue
            if count >= 2 and count >= shorter and marks[row] & PERSON:
                flags.append(True)
                continue
            # (not decoded: a name that is not opened has no annotations, so its prefilter text is its words)
            contained = contained_at[row]
            flags.append(compacts.raw(row) == compact
                         or (count >= (q if q < contained else contained)
                             and _contained(query.tokens, tuple(texts[row].split(" ")) if r else ())))
        return flags

    def _candidates(self, query: Name, maybe: int) -> tuple[list[int], list[int], frozenset[int]]:
        """The rows sharing enough rare keys with the query, most shared IDF weight first, each with
        the number of the query's words it shares a key with.

        Each query word is one group of keys (the word, its skeleton and, only for a word the index
        does not hold, its prefix); a row counts once per group. Rows that share too few groups to
        reach the review threshold even if everything else matched are dropped before any weighing,
        and the query's common words (skipped: reading them would touch a large share of the list)
        are only checked against the rows that remain. Row numbers travel as sorted numpy arrays
        (postings.py): unions, counts and intersections run in C. A query word written where the listed
        name has two ("SharpEdge") or two written where it has one ("Hoda Shipping" for "Hodashipping")
        count twice for the rows that hold them, which are returned too.
        """
        postings = self._postings
        # (a branch word of the query's annotations, "Division 1", says which unit, not which party: its
        # rows would crowd the party's own out of the candidate places)
        words = [self._word(token) for token in (*query.tokens, *query.qualifiers) if token not in BRANCH_WORDS]
        words += [self._word(t) for former in query.former for t in former.tokens]
        pairs = [a + b for a, b in itertools.pairwise(query.tokens) if a + b in postings]
        joined = [word[3] for word in words if word[3] is not None]
        if pairs:  # two query words one listed word ("Hoda Shipping" / "HODASHIPPING")
            for pair in pairs:
                listed_word = self._word(pair)
                if listed_word[0] is not None:
                    words.append(listed_word)
                    joined.append(listed_word[0])
        row_sets: list[Rows] = []
        group_weights: list[float] = []
        common: list[tuple[str, float]] = []
        # a word's common keys (the skeleton of a rare spelling of Mohammed, a prefix): checked against
        # the rows found, as the common words are, and counted for that word
        variants: list[tuple[int, tuple[str, ...]]] = []
        for word_rows, weight, common_keys, _ in words:
            if word_rows is not None:
                row_sets.append(word_rows)
                group_weights.append(weight)
                if common_keys:
                    variants.append((len(row_sets) - 1, common_keys))
            elif common_keys:
                common.append((common_keys[0], weight))
        if not row_sets and common:  # nothing rare: read the least common word after all
            key = min((k for k, _ in common), key=postings.size)
            row_sets.append(postings.rows(key))
            group_weights.append(self._idf(key))
            common = [(k, w) for k, w in common if k != key]
        if not row_sets:
            return [], [], frozenset()
        rows, shared, weights = _tally(row_sets, group_weights)
        # (array methods and ufuncs with out= and where=, not numpy's Python-level functions or
        # temporaries: a query makes dozens of these calls on a few hundred rows, where each call's
        # overhead costs more than its work)
        for position, keys in variants:
            found = postings.holds(keys[0], rows)  # (a new array: holds never hands out its mask)
            for key in keys[1:]:
                found |= postings.holds(key, rows)
            found[rows.searchsorted(row_sets[position])] = False  # (the group's rows are among `rows`)
            shared += found
            np.add(weights, group_weights[position], out=weights, where=found)
            widened = np.concatenate([row_sets[position], rows[found]])  # (disjoint)
            widened.sort()
            row_sets[position] = widened
        for key, weight in common:  # only rows already found
            found = postings.holds(key, rows)
            shared += found
            np.add(weights, weight, out=weights, where=found)
        counts = shared
        doubled: frozenset[int] = frozenset()
        if joined:
            together = _union(*joined)
            counts = shared.copy()
            counts[member(rows, together)] += 1
            doubled = frozenset(together.tolist())
        if len(query.tokens) > 1 and query.compact in postings:  # the spaceless form: as good as every word
            rows, shared, weights, counts = _with_whole(
                rows, shared, weights, postings.rows(query.compact), len(words) + 1, common, postings)
        least = self._shared_needed(query, maybe)
        contained_at = self._contained_array
        if len(rows) > MAX_WEIGHED:  # keep the rows sharing the most words (ties: the earlier listed)
            passing = (-counts).argsort(kind="stable")[:MAX_WEIGHED]
            passing = passing[counts[passing] >= least]
            # and the rows of the query's rarest words, which the count alone may crowd out ("Janan Agha"
            # among the many "Mohammad Ahmed" when the query is "Janan Mohammad Ahmed Agha")
            rarest = [found for found in row_sets if len(found) <= RAREST_GROUP]
            if rarest:
                extra = rows.searchsorted(_union(*rarest))
                extra = extra[~member(extra, np.sort(passing))]
                extra = extra[(counts[extra] >= least) | (counts[extra] >= contained_at[rows[extra]])]
                passing = np.concatenate([passing, extra])
        elif self._steps_in_c:  # (the same rows kept and ranked, in C)
            ranked, counted = self._passing_ranked_in_c(query, rows, counts, shared, weights, least)
            return ranked, counted, doubled
        else:  # rows sharing enough words, or all the words of a name that may stand whole in the query
            passing = ((counts >= least) | (counts >= contained_at[rows])).nonzero()[0]
        weights = weights[passing]
        rows = rows[passing]
        whole = counts[passing] >= contained_at[rows]
        # a listed name whose every word is in the query goes first (the contained-name floor). (nonzero, not
        # any(): ndarray.any calls numpy's Python code, which costs more than the test here)
        if len(whole.nonzero()[0]):
            weights = weights + CONTAINED_FIRST * whole
        ranked, counted = self._ranked(query, rows, shared[passing], weights)
        return ranked, counted, doubled

    def _passing_ranked_in_c(self, query: Name, rows: Rows, counts: Counts, shared: Counts, weights: Weights,
                             least: int) -> tuple[list[int], list[int]]:
        """The rows sharing at least `least` of the query's words, or every word of their name (those
        `CONTAINED_FIRST` ahead), ranked as _ranked ranks them, with their shared counts: what _candidates
        keeps of few rows, worked out in one C call (`_in_c.passing_places`) but for the ties at the last
        places, which _break_ties settles. (One call, not one to keep the rows and one to rank them: the
        arrays handed between two calls cost more than either call's work.)"""
        places = self._max_candidates
        (ranked, counted), tied = _in_c.passing_places(
            rows, counts, shared, weights, self._contained_array, least, CONTAINED_FIRST, self._length_array,
            len(query.tokens), places)
        if tied is None:
            return ranked, counted
        tied_rows, tied_counts = tied
        chosen = self._break_ties(query, np.array(tied_rows, dtype=ROWS_DTYPE), places - len(ranked))
        return ranked + [tied_rows[i] for i in chosen], counted + [tied_counts[i] for i in chosen]

    def _word(self, token: str) -> _Word:
        """What the index holds for a query word (cached: a pure function of the word and the index,
        and the words of screened names repeat far more than the names do; shared by the API's threads
        without a lock, since each dictionary operation is atomic and a lost entry is only looked up again)."""
        found = self._words.get(token)
        if found is None:
            found = self._look_up(token)
            # bounded by words and by the bytes of the row arrays made for them (most are views of the
            # postings and cost nothing; a typo's union of its skeleton's and prefix's rows is a copy)
            rows = found[0]
            owned = rows.nbytes if rows is not None and rows.base is None else 0
            if len(self._words) >= WORD_CACHE or self._words_bytes + owned > WORD_CACHE_BYTES:
                self._words.clear()
                self._words_bytes = 0
            self._words[token] = found
            self._words_bytes += owned
        return found

    def _look_up(self, token: str) -> _Word:
        postings = self._postings
        group = self._query_keys(token)
        keys = [k for k in group if k in postings]
        rare = [k for k in keys if postings.size(k) <= self._max_postings]
        common = tuple(k for k in keys if k not in rare)
        joined = self._split(token) if token not in postings else None
        if not rare:
            if joined is not None:  # found only as two listed words
                return joined, self._idf(keys[0]) if keys else 1.0, common, joined
            return None, self._idf(keys[0]) if keys else 0.0, common, None
        if len(rare) == 1 or (len(rare) == 2 and rare[1][0] == "~"):
            rows = postings.rows(rare[-1])  # a word's rows are among its skeleton's rows
        else:
            rows = _union(*[postings.rows(k) for k in rare])
        if joined is not None:
            rows = _union(rows, joined)
        # the word itself is the rarest key; a typo found by its skeleton or prefix only is weaker
        # evidence than a word found as it is written
        return rows, self._idf(rare[0]) * (1.0 if rare[0] == group[0] else VARIANT_WEIGHT), common, joined

    def _split(self, token: str) -> Rows | None:
        """The rows holding both halves of a word the index does not hold, split where both halves are
        listed words ("sharpedge": sharp + edge), or its rest after a stop word ("alfurqan": al +
        furqan, listed as "AL FURQAN"); None when no split is."""
        postings = self._postings
        found: list[Rows] = []
        for cut, head_key, tail_key in postings.keys.cuts(token):  # (the cuts where either half is held)
            head, tail = token[:cut], token[cut:]
            if (head in STOP_WORDS or head in legal_forms.SPELLINGS) and tail_key >= 0:
                found.append(postings.rows_of(tail_key))  # "alfurqan", "zaovneshtorgservis"
            elif tail in legal_forms.SPELLINGS and head_key >= 0:
                found.append(postings.rows_of(head_key))  # "panyaag", "daycompany"
            elif head_key >= 0 and tail_key >= 0:
                rarer, other = (head_key, tail) if postings.size_of(head_key) <= postings.size_of(tail_key) else (
                    tail_key, head)
                rows = postings.rows_of(rarer)  # (the rarer half's rows, by the number the cut found)
                both = rows[postings.holds(other, rows)]
                if len(both):
                    found.append(both)
        return _union(*found) if found else None

    def _idf(self, key: str) -> float:
        """Inverse document frequency of a key (computed when asked: a query reads a handful)."""
        return math.log(1 + self._total / self._postings.size(key))

    def _unkeyed_words(self, query: Name) -> int:
        """How many of the query's words may match without sharing a key: short words may be initials
        or abbreviations, words the index does not hold may be typos."""
        return sum(len(t) <= 2 or t not in self._postings for t in query.tokens)

    def _shared_needed(self, query: Name, maybe: int) -> int:
        """How many of the query's words a listed name must share a key with to possibly reach review."""
        if query.qualifiers or query.former or query.foreign_script:
            return 1
        q = len(query.tokens)
        for shared in range(1, q + 1):
            bound = 100.0 * 2 * shared / (q + shared) - UNMATCHED_PENALTY * (q - shared)
            if bound >= self.review_threshold - COUNTRY_BOOST:
                return max(1, shared - maybe)
        return 1

    def _ranked(self, query: Name, rows: Rows, shared: Counts, weights: Weights) -> tuple[list[int], list[int]]:
        """The best `max_candidates` rows by shared IDF weight (ties: names as long as the query, then
        the later listed), each with the number of the query's words it shares a key with."""
        if len(rows) <= self._max_candidates:  # every row is a candidate, in order: no ranking needed
            return rows.tolist(), shared.tolist()
        if self._steps_in_c:
            placed = self._ranked_in_c(query, rows, weights)
            return _in_c.picked(rows, placed), _in_c.picked(shared, placed)
        if len(rows) <= SMALL_RANKING:
            listed, counts = rows.tolist(), shared.tolist()
            best = self._ranked_small(query, listed, weights.tolist(), self._length_array[rows].tolist())[
                : self._max_candidates]
            return [listed[i] for i in best], [counts[i] for i in best]
        # (many rows: only the best few leave numpy)
        chosen = np.array(self._ranked_large(query, rows, weights)[: self._max_candidates], dtype=np.intp)
        return rows[chosen].tolist(), shared[chosen].tolist()

    def _ranked_in_c(self, query: Name, rows: Rows, weights: Weights) -> list[int]:
        """_ranked's order (positions in `rows`), worked out in C (`_in_c.best_places`) but for the ties
        at the last places, which _break_ties settles."""
        places = self._max_candidates
        best, tied = _in_c.best_places(rows, weights, self._length_array, len(query.tokens), places)
        if tied is None:
            return best
        chosen = self._break_ties(query, rows[np.array(tied, dtype=np.intp)], places - len(best))
        return best + [tied[i] for i in chosen]

    def _ranked_small(self, query: Name, rows: list[int], weights: list[float], lengths: list[int]) -> list[int]:
        """_ranked's order (positions in `rows`) for a few rows (`lengths`: their words): a Python sort is
        quicker than numpy's calls there, and gives the same order (the same float arithmetic, the same keys)."""
        size, places = len(query.tokens), self._max_candidates
        scores = [weight - 0.01 * abs(length - size) for length, weight in zip(lengths, weights, strict=True)]
        # best first; ties: the higher row. Two sorts keyed by list look-ups, which run in C: the higher
        # rows first, then, stable, by score (a key function of ours made a tuple per row and cost more;
        # so did one sort of (score, row, position) triples, whose comparisons test equality first)
        if all(rows[i] < rows[i + 1] for i in range(len(rows) - 1)):  # (as they mostly come: no sort)
            higher_first = list(range(len(rows) - 1, -1, -1))
        else:
            higher_first = sorted(range(len(rows)), key=rows.__getitem__, reverse=True)
        negated = [-score for score in scores]
        order = sorted(higher_first, key=negated.__getitem__)
        cut = scores[order[places - 1]]
        if abs(scores[order[places]] - cut) < 1e-9:  # more rows tied for the last places
            tied = [i for i in order if abs(scores[i] - cut) < 1e-9]
            ahead = [i for i in order[:places] if scores[i] > cut + 1e-9]
            chosen = self._break_ties(query, np.array([rows[i] for i in tied], dtype=np.int32), places - len(ahead))
            order = ahead + [tied[i] for i in chosen]
        return order

    def _ranked_large(self, query: Name, rows: Rows, weights: Weights) -> list[int]:
        """_ranked's order (positions in `rows`) for many rows, in numpy. Only the rows at or near the
        last place's score can take a place: a partition finds that score, and those rows alone are
        sorted."""
        places = self._max_candidates
        scores = weights - 0.01 * np.abs(self._length_array[rows] - len(query.tokens))
        negated = -scores
        negated.partition(places - 1)
        near = (scores >= -negated[places - 1] - 1e-9).nonzero()[0]
        scores, rows = scores[near], rows[near]
        order = np.lexsort((-rows.astype(np.int64), -scores))  # best first; ties: the higher row
        if len(order) <= places:
            ordered: list[int] = near[order].tolist()
            return ordered
        cut = scores[order[places - 1]]
        if abs(scores[order[places]] - cut) < 1e-9:  # more rows tied for the last places
            tied = order[np.abs(scores[order] - cut) < 1e-9]
            ahead = order[:places][scores[order[:places]] > cut + 1e-9]
            chosen = self._break_ties(query, rows[tied], places - len(ahead))
            ordered = near[np.concatenate((ahead, tied[chosen]))].tolist()
            return ordered
        ordered = near[order[:places]].tolist()
        return ordered

    def _break_ties(self, query: Name, tied: Rows, places: int) -> list[int]:
        """More rows share the last candidate places' weight than there are places ("Vladimir Pudin"
        among a list's many Vladimirs, where "Pudin" shares no key with "Putin"): the places go to the
        tied rows most alike the query as strings (rapidfuzz's fuzz.ratio, worked out in C), not to
        whichever came first. The strings hold the numerals, which no key does: "YV1004" among a list's
        hundreds of YV aircraft. Returns positions in `tied`."""
        return self._tie_texts.closest(tie_text(query), tied, places)

    def _query_keys(self, token: str) -> tuple[str, ...]:
        """A query word's keys: the prefix only when the index does not hold the word itself (a typo).

        (Reading the prefix of every word was tried: its rows crowd the candidate places of a word
        found as written, and fewer of the generated list's variants were found.)"""
        keys = token_keys(token)
        return keys if token not in self._postings else keys[:2]

    def _hit(self, query: Name, row: Row, flags: int, country: str | None, written: str | None = None,
             ) -> PartyHit | None:
        """The row's hit, or None under review; `flags` are the row's (its kind of party among them);
        `written` is the listed name the query is typed as (the row's own or another name of the entry
        with the same words), if it is."""
        # (a score under review less the country boost makes no hit: score_names may stop short of it; a
        # name typed as listed is a hit whatever its score, with the scorer's explanation)
        result = score_names(query, row.name, scored_kind(flags),
                             self.review_threshold - COUNTRY_BOOST if written is None else 0.0)
        if written is not None and not result.explanation.startswith(SAME_AS_WRITTEN):
            result = NameScore(100.0, f"{SAME_AS_WRITTEN}; {result.explanation}")  # (and what the scorer saw)
        score = result.score
        party_country = country.upper() if country else ""
        may_boost = bool(party_country) and score >= COUNTRY_BOOST_FLOOR
        if score < self.review_threshold and not may_boost:
            return None  # (most rows scored and not a hit: no entry to read, no explanation to write)
        entry = self._entries[row.entry]  # (stored entries: validated now)
        kind = entry.kind.value
        boosted = may_boost and party_country in entry.countries
        if boosted:
            score = min(100.0, score + COUNTRY_BOOST)
        if score < self.review_threshold:
            return None
        notes = ["alias", result.explanation] if row.is_alias else [result.explanation]
        if boosted:
            notes.append(f"party country {party_country} is one of the entry's countries")
        if query.foreign_script or row.name.foreign_script:
            notes.append("compared after transliteration")
        action = Action.BLOCK if score >= self.block_threshold else Action.REVIEW
        # (the scorer's score is rounded to a tenth already; the boost's sum may not be)
        return PartyHit(
            list_name=entry.source_list, entry_id=entry.id, listed_name=entry.name,
            matched_name=row.text if written is None else written, score=round(score, 1) if boosted else score,
            action=action,
            explanation="; ".join(notes), programs=tuple(entry.programs), source=entry.source_url or "",
            details={"kind": kind, "countries": list(entry.countries)},
        )


class _Building:
    """The tables of an index, filled entry by entry (PartyIndex builds with it when not given tables)."""

    def __init__(self, file_keys: bool = True) -> None:
        self._builder = PostingsBuilder()
        self._file_keys = file_keys  # (False: another process files the rows' keys, build_tables)
        self._rows: list[Row] = []
        self._contained_at: list[int] = []
        self._lengths: list[int] = []
        self._kinds: list[int] = []
        self._exact: Exact = {}

    def add_entry(self, number: int, entry: ListEntry) -> None:
        """File the entry's names as rows (one per distinct set of words)."""
        builder = self._builder
        seen: dict[tuple[str, ...], int] = {}  # (tokens, or the written words of a name without any)
        kind = entry.kind  # (read once: a pydantic model's attributes are slower to read than a local)
        person, organisation = kind is EntryKind.PERSON, kind is EntryKind.ORGANISATION
        flag = kind_flag(kind)
        for position, text in enumerate(entry.all_names()):
            reordered = _person_order(text) if person else text
            name = normalise_name(reordered)
            key = _written_key(name)
            if not key:
                continue  # (no word at all: nothing to find it by)
            # a person read in another order than listed: also filed by the words as listed, which a
            # query typed as listed has whatever its normaliser makes of them ("SANTIC, Vladimir")
            keys = [_filed(key)] if reordered is text else [_filed(key), _listed_words_key(text)]
            # a name that normalises to no words ("OFFICE NO. 39") is still found as written
            same = name.tokens or key
            row_number = seen.get(same)
            if row_number is not None:  # another name of the entry has these words: found as written, too
                for filed in keys:
                    self._as_written(filed, row_number, text)
                continue
            row_number = seen[same] = len(self._rows)
            self._rows.append(Row(number, name, text, position > 0))
            for filed in keys:
                self._as_written(filed, row_number, None)
            self._lengths.append(len(name.tokens))
            self._kinds.append(flag)
            # an organisation sharing all its words with a query may be contained in it (the scorer's
            # contained-name floor): the candidate filters let it through at that many shared words
            self._contained_at.append(len(name.tokens) if _may_contain(person, organisation, name) else _NEVER)
            if self._file_keys:
                builder.add_row(row_keys(keyed_words(name), builder))

    def _as_written(self, key: int, row: int, text: str | None) -> None:
        """File a name's written words (by their hash: a quarter of a million tuples of words would cost
        a hundred MiB) for its row; `text` when the name is another than the row's own."""
        held = self._exact.get(key)
        if held is None and text is None:
            self._exact[key] = row  # (most names: one row, its own text)
            return
        rows: list[tuple[int, str | None]] = [] if held is None else [(held, None)] if isinstance(held, int) else held
        rows.append((row, text))
        self._exact[key] = rows

    @property
    def rows(self) -> Sequence[Row]:
        """The rows filed so far, in order."""
        return self._rows

    def tables(self, keys_aside: Callable[[], Postings | None] | None = None) -> IndexTables:
        """The tables of every entry added, packed into arrays; the postings of the rows' keys from
        `keys_aside` when it gives them, asked once the rest is packed."""
        return packed_tables(self._rows, self._contained_at, self._lengths, self._kinds, self._exact,
                             lambda: self._postings(keys_aside))

    def _postings(self, keys_aside: Callable[[], Postings | None] | None) -> Postings:
        found = keys_aside() if keys_aside is not None else None
        if found is not None:
            return found
        if not self._file_keys:  # (another process was to file them and did not: filed here, from the rows)
            builder = self._builder
            for row in self._rows:
                builder.add_row(row_keys(keyed_words(row.name), builder))
        return self._builder.build()


def build_tables(entries: Sequence[ListEntry],
                 rows_filed: Callable[[Sequence[Row]], None] | None = None,
                 keys_aside: Callable[[], Postings | None] | None = None) -> IndexTables:
    """Normalise and file every name of the entries, then pack the tables.

    `rows_filed` is given the rows while they are filed, in order, a batch at a time (every row once),
    then no rows once all are filed, before the packing: a caller that stores the index has another
    process build their keys meanwhile (service.lists.script_keys), since filing the names and their
    keys each take seconds at a million names. With `keys_aside` the rows' keys (row_keys) are not
    filed here: once the rest is packed, it gives the postings that process built from the rows it
    was given, or None, and they are then filed here after all."""
    with collector_paused():  # (packing too: millions of objects are alive by then)
        building = _Building(file_keys=keys_aside is None)
        rows, sent = building.rows, 0
        for number, entry in enumerate(entries):
            building.add_entry(number, entry)
            if rows_filed is not None and len(rows) - sent >= ROWS_BATCH:
                rows_filed(rows[sent:])
                sent = len(rows)
        if rows_filed is not None:
            if len(rows) > sent:
                rows_filed(rows[sent:])
            rows_filed([])
        return building.tables(keys_aside)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused: a build makes millions of small acyclic objects, and each collection
    would walk them all again. (Nested, the outermost resumes it: a caller that drops what was built
    before it resumes spares the collector a walk over all of it.)"""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class ScriptKeysBuilder:
    """The cross-script keys of rows (script_keys), filed row after row, by number: a word's keys are
    numbered once, and a million names repeat their words. Only the rows' words are needed, so another
    process can build them from the words alone (service.lists.script_keys)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._words: dict[str, tuple[int, ...]] = {}
        # (C ints: no Python int kept per key)
        self._numbers, self._held, self._counts = array("i"), array("i"), array("i")

    def add(self, number: int, tokens: Sequence[str]) -> None:
        """Row `number`'s keys, from its normalised words (rows added in ascending order)."""
        ids, words = self._ids, self._words
        kept = [t for t in tokens if not is_business_word(t)]
        found: set[int] = set()
        for token in kept:
            known = words.get(token)
            if known is None:
                known = words[token] = tuple([_numbered(ids, key) for key in _word_script_keys(token)])
            found.update(known)
        for key in _run_script_keys(kept):
            found.add(_numbered(ids, key))
        self._numbers.extend(found)
        self._held.append(number)
        self._counts.append(len(found))

    def postings(self, total: int) -> Postings:
        """The postings of the rows added, over `total` rows."""
        key_numbers = np.frombuffer(self._numbers, dtype=np.intc).astype(np.int32)
        held, counts = np.frombuffer(self._held, dtype=np.intc), np.frombuffer(self._counts, dtype=np.intc)
        rows = np.repeat(held, counts).astype(np.int32)
        flat = rows[np.argsort(key_numbers, kind="stable")]  # (each key's rows ascending)
        starts = np.zeros(len(self._ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_numbers, minlength=len(self._ids)), out=starts[1:])
        return Postings(KeyTable.of(list(self._ids)), flat, starts, total)


def _tally(row_sets: list[Rows], group_weights: list[float]) -> tuple[Rows, Counts, Weights]:
    """The rows of any group, ascending, with how many groups hold each and their summed weight."""
    if len(row_sets) == 1:
        rows = row_sets[0]
        counts, weights = np.empty(len(rows), dtype=np.int64), np.empty(len(rows), dtype=np.float64)
        counts.fill(1)
        weights.fill(group_weights[0])
        return rows, counts, weights
    if _in_c is not None:  # (merged in C: the same rows, counts and order of weights, one call)
        merged = _tallied_in_c(row_sets, group_weights)
        if merged is not None:
            return merged
    joined = np.concatenate(row_sets)
    order = joined.argsort(kind="stable")
    joined = joined[order]
    weights = np.array(group_weights).repeat([len(rows) for rows in row_sets])[order]
    if not len(joined):
        return joined, np.zeros(0, dtype=np.int64), weights
    starts = _run_starts(joined).nonzero()[0]
    if len(starts) == len(joined):  # no row in two groups (most queries): nothing to add up
        counts = np.empty(len(joined), dtype=np.int64)
        counts.fill(1)
        return joined, counts, weights
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = len(joined)
    return joined[starts], ends - starts, np.add.reduceat(weights, starts)


def _tallied_in_c(row_sets: list[Rows], group_weights: list[float]) -> tuple[Rows, Counts, Weights] | None:
    """_tally's answer from `_in_c.tally` (None if a group is not ascending). The weights of a row held by
    several groups are summed by numpy, as _tally sums them: the same float arithmetic."""
    total = 0
    for found in row_sets:
        total += len(found)
    empty = np.empty  # (dtypes made once and passed by position: keywords cost numpy as much as the allocation)
    rows, counts = empty(total, ROWS_DTYPE), empty(total, COUNTS_DTYPE)
    weights, starts = empty(total, WEIGHTS_DTYPE), empty(total, COUNTS_DTYPE)
    distinct = _in_c.tally(row_sets, group_weights, rows, counts, weights, starts)
    if distinct < 0:
        return None
    if distinct == total:  # no row in two groups (most queries): nothing to add up
        return rows, counts, weights
    return rows[:distinct], counts[:distinct], np.add.reduceat(weights, starts[:distinct])


def _with_whole(rows: Rows, shared: Counts, weights: Weights, whole: Rows, bonus: int,
                common: list[tuple[str, float]], postings: Postings) -> tuple[Rows, Counts, Weights, Counts]:
    """The rows whose spaceless form is the query's added to the rows found, and the counts that decide
    which rows pass: those rows count `bonus` more shared words. (A row found only so shares none of
    the query's rare words; its common ones are counted as for every other row.)"""
    merged = _union(rows, whole)
    at = merged.searchsorted(rows)
    merged_shared = np.zeros(len(merged), dtype=np.int64)
    merged_weights = np.zeros(len(merged), dtype=np.float64)
    merged_shared[at] = shared
    merged_weights[at] = weights
    new = np.empty(len(merged), dtype=np.bool_)
    new.fill(True)
    new[at] = False
    for key, weight in common:
        found = new & postings.holds(key, merged)
        merged_shared += found
        np.add(merged_weights, weight, out=merged_weights, where=found)
    counts = merged_shared.copy()
    counts[merged.searchsorted(whole)] += bonus
    return merged, merged_shared, merged_weights, counts


def _union(*groups: Rows) -> Rows:
    """The rows of ascending arrays without repeats, ascending: np.unique's (and np.union1d's) answer
    without numpy 2's hash-based unique, which took ten times as long on a few hundred rows (25 µs
    against 2.4 µs) and a third of a millisecond on a few thousand."""
    merged = np.concatenate(groups)
    if not len(merged):
        return merged
    merged.sort()
    kept: Rows = merged[_run_starts(merged)]
    return kept


def _run_starts(ascending: Rows) -> npt.NDArray[np.bool_]:
    """For a non-empty ascending array, True where a run of equal rows begins."""
    first = np.empty(len(ascending), dtype=np.bool_)
    first[0] = True
    np.not_equal(ascending[1:], ascending[:-1], out=first[1:])
    return first


def _contained(query: tuple[str, ...], listed: tuple[str, ...]) -> bool:
    """Every word of one name is a word of the other, which has more (the scorer's contained-name rule)."""
    if len(query) == len(listed):
        return False
    shorter, longer = (query, listed) if len(query) < len(listed) else (listed, query)
    return set(shorter).issubset(longer)


def _may_contain(person: bool, organisation: bool, name: Name) -> bool:
    """Whether this listed name may stand whole in a longer query and still reach review: the scorer's
    contained-name floor for organisations (same conditions), its partial-name rule for a person
    named with two or more names ("Janan Agha" in "Janan Mohammad Ahmed Agha"). (The kind comes as
    flags worked out once per entry: an enum member is a slow look-up from compiled code.)"""
    if person:
        return len(name.tokens) >= 2
    if not organisation:
        return False
    return sum(len(token) for token in name.tokens if token not in GENERIC_WORDS) >= CONTAINED_NAME_LETTERS


@lru_cache(maxsize=200_000)
def token_keys(token: str) -> tuple[str, ...]:
    """Index keys of a token: itself, its consonant skeleton and its first four letters."""
    keys = [token]
    if len(token) >= 5:  # shorter skeletons ("kl") are too unspecific to be worth reading
        keys.append("~" + skeleton(token))
    if len(token) >= 6:
        keys.append("^" + token[:4])
    return tuple(keys)


# What a row's index keys are made of: its name's words, spaceless form and annotations, and the same of
# each of its former names (keyed_words). Plain tuples of strings: another process builds the keys from them.
KeyedName = tuple[tuple[str, ...], str, tuple[str, ...]]
KeyedWords = tuple[tuple[str, ...], str, tuple[str, ...], tuple[KeyedName, ...]]


def keyed_words(name: Name) -> KeyedWords:
    """The parts of a row's name that its index keys are made of (row_keys)."""
    former = tuple([(f.tokens, f.compact, f.qualifiers) for f in name.former]) if name.former else ()
    return name.tokens, name.compact, name.qualifiers, former


def row_keys(words: KeyedWords, builder: PostingsBuilder) -> list[int]:
    """Index keys of a row, by number: its name's keys, then each former name's."""
    keys = name_keys(words[0], words[1], words[2], builder)
    for tokens, compact, qualifiers in words[3]:
        keys += name_keys(tokens, compact, qualifiers, builder)
    return keys


def name_keys(tokens: tuple[str, ...], compact: str, qualifiers: tuple[str, ...], builder: PostingsBuilder,
              ) -> list[int]:
    """Index keys of a name, by number: its tokens' keys, its spaceless form and its annotations' words."""
    known, numbered = builder.words.get, builder.word  # (known words: a dictionary look-up, no call)
    keys = [key for token in tokens for key in (known(token) or numbered(token, token_keys))]
    if compact and len(tokens) > 1:
        keys.append(builder.number(compact))
    if qualifiers:
        keys.extend(key for word in qualifiers for key in (known(word) or numbered(word, token_keys)))
    return keys


def script_keys(name: Name, kinds: frozenset[str] | None = None) -> set[str]:
    """Keys of a name that survive a change of script: each word's consonant skeleton as Hebrew and
    Arabic write it ("a:"), its Chinese romanisation key, which folds Wade-Giles and pinyin ("r:"), and
    its Burmese romanisation key ("b:"); the last two also for runs of two and three words, since a
    Latin spelling joins the syllables that a name in characters gives one by one (Taipei, 臺北
    "tai bei"). Business words (in English after the glossary) and numerals are left out: they are
    common and say nothing about which party it is.

    `kinds`: only the keys of these kinds, if given (a Latin query looks for the keys of the few names
    listed in another script, which may have fewer kinds: a never-seen word's keys of the others are not
    worked out)."""
    tokens = [t for t in name.tokens if not is_business_word(t)]
    keys: set[str] = set()
    for token in tokens:
        keys.update(_word_script_keys(token) if kinds is None else _word_script_keys_of(token, kinds))
    keys.update(_run_script_keys(tokens, SCRIPT_KEY_KINDS if kinds is None else kinds))
    return keys


HELD_FORMS: Final = 64  # the held script keys compared one by one with a Latin query's words, at most


class HeldForms(NamedTuple):
    """The held script keys of one kind, without their prefix ("r:yuan" as "yuan"), and the letters that a
    Latin word's key of that kind keeps and none of them has (_word_may_hold)."""

    values: tuple[str, ...]
    telling: frozenset[str]


def held_forms(held: frozenset[str]) -> dict[str, HeldForms] | None:
    """The held script keys by kind, the cheapest kind to tell first, for held_script_keys; None for
    more than HELD_FORMS of them (a list with many names in another script, which a Latin name then looks
    up key by key)."""
    if len(held) > HELD_FORMS:
        return None
    forms = {}
    for kind in (ROMANISATION_KIND, BURMESE_KIND, ABJAD_KIND):
        values = tuple(sorted(key[len(kind):] for key in held if key.startswith(kind)))
        if values:
            kept = {ROMANISATION_KIND: ROMANISATION_KEPT, BURMESE_KIND: KEY_KEPT}.get(kind, frozenset())
            forms[kind] = HeldForms(values, frozenset(kept - {letter for value in values for letter in value}))
    return forms


def held_script_keys(query: Name, forms: dict[str, HeldForms]) -> set[str]:
    """The script keys of a Latin name that may be held: those of its words that _word_may_hold does not
    rule out, and of runs of such words only (a run holding a word ruled out has no held key either). So
    it finds the same held keys as script_keys, and most names, which share none, are told so before any
    key is worked out (tens of thousands of instructions for a never-seen name). A name that may share
    one mostly does through one place name ("Tashkent", "Chicago"): the keys of the runs with its
    never-seen neighbours, the dearest to work out, are left out. Empty when it shares none."""
    tokens = [t for t in query.tokens if not is_business_word(t)]
    keys: set[str] = set()
    for kind, held in forms.items():
        only = _ONE_KIND[kind]
        run: list[str] = []  # (the words that may hold a key, one after the other, up to this one)
        for token in tokens:
            if _word_may_hold(token, kind, held):
                keys.update(_word_script_keys_of(token, only))
                run.append(token)
                continue
            if len(run) > 1 and kind != ABJAD_KIND:  # (runs have romanisation and Burmese keys only)
                keys.update(_run_script_keys(run, only))
            run = []
        if len(run) > 1 and kind != ABJAD_KIND:
            keys.update(_run_script_keys(run, only))
    return keys


_ONE_KIND: Final = {kind: frozenset({kind}) for kind in (ROMANISATION_KIND, BURMESE_KIND, ABJAD_KIND)}


def _word_may_hold(token: str, kind: str, held: HeldForms) -> bool:
    """Whether a word of a Latin name may have a held script key of `kind`, or be in a run that has one:

    - a romanisation key keeps the letters of its word or run that no romanisation rule rewrites
      (ROMANISATION_KEPT), in order: a word whose kept letters no held key holds in that order has no
      held key, and neither has a run holding it (its words' letters follow one another);
    - a Burmese key is a word's key or a run's, its words' keys joined, and keeps the letters KEY_KEPT: a
      word with a kept letter no held key has, or whose key is in no held key, has no held key, and
      neither has a run of words holding it;
    - an abjad key is a word's skeleton alone (cached for each word): held or not.
    """
    values, telling = held
    if kind == ABJAD_KIND:
        return abjad_skeleton(token) in values
    if not telling.isdisjoint(token):
        return False  # (a kept letter that no held key has)
    if kind == ROMANISATION_KIND:
        letters = "".join([letter for letter in token if letter in ROMANISATION_KEPT])
        return any(in_order(letters, value) for value in values)
    key = _burmese_word_key(token)
    return any(key in value for value in values)


def _run_script_keys(tokens: list[str], kinds: frozenset[str] = SCRIPT_KEY_KINDS) -> list[str]:
    """script_keys of the runs of two and three words (of `kinds`: runs have romanisation and Burmese
    keys only)."""
    romanisation, burmese = ROMANISATION_KIND in kinds, BURMESE_KIND in kinds
    keys = []
    for width in (2, 3):
        for start in range(len(tokens) - width + 1):
            run = tokens[start:start + width]
            joined = "".join(run)
            if len(joined) >= 3:
                if romanisation:
                    keys.append(ROMANISATION_KIND + romanised(joined))
                if burmese:
                    keys.append(BURMESE_KIND + "".join([_burmese_word_key(t) for t in run]))
    return keys


def _word_script_keys_of(token: str, kinds: frozenset[str]) -> tuple[str, ...]:
    """script_keys of one word, of `kinds` only: each kind is worked out only if asked for (its skeleton,
    romanisation and Burmese keys are each cached apart)."""
    keys = []
    if ABJAD_KIND in kinds:
        consonants = abjad_skeleton(token)
        if len(consonants) >= 2:
            keys.append(ABJAD_KIND + consonants)
    if len(token) >= 3:
        if ROMANISATION_KIND in kinds:
            keys.append(ROMANISATION_KIND + romanisation_key(token))
        if BURMESE_KIND in kinds:
            keys.append(BURMESE_KIND + _burmese_word_key(token))
    return tuple(keys)


@lru_cache(maxsize=100_000)
def _burmese_word_key(token: str) -> str:
    """burmese_key of one word, cached: a run's Burmese key is its words' keys joined, and the words of
    screened names repeat (as romanisation_key is cached)."""
    return burmese_key(token)


@lru_cache(maxsize=200_000)
def _word_script_keys(token: str) -> tuple[str, ...]:
    """script_keys of one word (its skeleton, romanisation and Burmese keys): worked out once per word,
    since a list's million names repeat their words (building them for every name took minutes)."""
    return _word_script_keys_of(token, SCRIPT_KEY_KINDS)


def _script_postings(rows: Iterable[tuple[int, Name]], total: int) -> Postings:
    """The script keys of these rows (ascending), as postings over `total` rows."""
    building = ScriptKeysBuilder()
    with collector_paused():  # (millions of keys)
        for number, name in rows:
            building.add(number, name.tokens)
    return building.postings(total)


def _numbered(ids: dict[str, int], key: str) -> int:
    found = ids.get(key)
    if found is None:
        found = ids[key] = len(ids)
    return found


def _person_order(text: str) -> str:
    """OFAC and others list people as "LAST, First": put the given names back in front."""
    family, comma, given = text.partition(",")
    if not comma or "," in given or not given.strip() or "(" in text:
        return text
    return f"{given.strip()} {family.strip()}"


def _written_key(name: Name) -> tuple[str, ...]:
    """What a name typed as listed shares with the listed name whatever order the index reads a person
    in ("AHMED, Ahmed" is filed as "Ahmed AHMED"): its words and annotations in any order, and its
    numbers; not its letters alone, which an annotation drops as stop words ("CONTRERAS, Luis C."). (Cheap:
    the normalised name is at hand, and no text is read again.)"""
    words = (*name.tokens, *name.qualifiers)
    return (*sorted([word for word in words if len(word) > 1] or words), *name.numerals)


def _listed_words_key(text: str) -> int:
    """The words of a name split at spaces and commas, in any order, hashed (filed for people listed as
    "LAST, First"; the match is then checked as written). No regular expression: a third of a list's
    names are people, and this runs for each of them at build."""
    return _filed(("", *sorted(text.casefold().replace(",", " ").split())))


def _filed(words: tuple[str, ...]) -> int:
    """A hash of words that is the same in every process (Python's own hash of a string is not), so
    that names filed as written can be stored and read by another process."""
    digest = hashlib.blake2b("\x1f".join(words).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _cache_key(name: Name) -> Hashable:
    """Everything about a normalised name that the score depends on (not the text as written). Its legal
    forms as their codes and jurisdictions: a key of strings alone is one the cycle collector stops
    walking after its first look (the query cache keeps one for every name screened)."""
    forms = tuple([(form.code, form.jurisdiction) for form in name.legal_forms]) if name.legal_forms else ()
    return (name.tokens, forms, name.numerals, name.qualifiers, name.foreign_script,
            name.abjad, name.burmese, name.cjk, name.vessel_prefix, name.compact,
            tuple(_cache_key(former) for former in name.former))
