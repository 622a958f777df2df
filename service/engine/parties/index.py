"""PartyIndex: the denied-party screener (the PartyScreener protocol of service.engine.checks.parties).

Built once from the list entries; a query touches only the names that share a rare key with it:

- Candidate generation: an inverted index from keys to name rows. Each name token gives three keys:
  the token, its consonant skeleton (romanisation variants and vowel typos) and its first four letters
  (typos later in the word). A key's weight is its IDF; keys held by more than `max_postings` names
  (generic words such as "trading" or "company" on a large list) are skipped unless nothing rarer
  exists, so a query reads a small share of the list.
- The best `max_candidates` rows by summed IDF are scored with score_names (the same scorer that
  scripts/match_quality.py measures). One hit per entry (its best name), best first.
- A name from another script shares no spelling key with its Latin listing (צפרירים / Zafririm, 臺北 /
  Taipei): script keys (consonant skeletons, Chinese and Burmese romanisation keys) find it, built
  for every listed name when the service loads (prepare_scripts) or on the first such query.
- Party country is supporting evidence: a small boost when it is one of the entry's countries, only on
  a name that is already close; never a hit on country alone.
- A bounded LRU cache maps (normalised name, country) to hits: ERP exports repeat the same consignees,
  and the index never changes after it is built, so a cached answer is always the current answer.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import math
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from rapidfuzz import fuzz, process

from service.engine.checks.parties import PartyHit
from service.engine.parties import legal_forms
from service.engine.parties.burmese import burmese_key
from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.names import Name, abjad_skeleton, normalise_name, skeleton
from service.engine.parties.scoring import (
    CONTAINED_NAME_LETTERS,
    GENERIC_WORDS,
    LEGAL_FORM_CONFLICT,
    UNMATCHED_PENALTY,
    is_business_word,
    romanisation_key,
    score_names,
)
from service.engine.verdict import Action, ListStamp

COUNTRY_BOOST = 3.0
COUNTRY_BOOST_FLOOR = 50.0  # the boost only lifts names that already resemble each other
VARIANT_WEIGHT = 0.5  # share of a key's IDF weight when the query word is found only by its skeleton or prefix
PERSON_SCRIPT_KEYS = 3  # script keys a listed person must share with the query
SCRIPT_LENGTH_RATIO = 1.25  # a name found by script keys has at most this many times the query's keys (+1)
MAX_WEIGHED = 100  # candidate rows weighed by IDF per query, at most
RAREST_GROUP = 30  # a query word held by this few names: its rows are always looked at
_NEVER = 1 << 30  # shared-word count that no query reaches
PREFILTER = 50.0  # rapidfuzz token_set_ratio under which a candidate is not scored (true matches score far above)


@dataclass(frozen=True, slots=True)
class _Row:
    """One searchable name: an entry's primary name, an alias, or a former name inside either."""

    entry: int
    name: Name
    text: str  # the name as listed
    is_alias: bool


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
    ) -> None:
        if block_threshold < review_threshold:
            raise ValueError("block_threshold must be at least review_threshold")
        self.review_threshold = review_threshold
        self.block_threshold = block_threshold
        self._entries = list(entries)
        self._stamps = list(stamps)
        self._max_candidates = max_candidates
        self._max_postings = max_postings
        self._max_hits = max_hits
        self._rows: list[_Row] = []
        self._contained_at: list[int] = []
        self._lengths: list[int] = []  # words per row, for ranking candidates by length
        self._postings: dict[str, list[int]] = defaultdict(list)
        collecting = gc.isenabled()
        gc.disable()  # hundreds of thousands of small acyclic objects: the cycle collector only slows the build
        try:
            for number, entry in enumerate(self._entries):
                self._add_entry(number, entry)
        finally:
            if collecting:
                gc.enable()
        self._postings = dict(self._postings)
        # Keys that survive a change of script (script_keys): for the few names listed in another
        # script at once, for every name on the first query from another script (see _across_scripts).
        self._script_postings: dict[str, list[int]] | None = None
        self._script_lock = threading.Lock()
        self._foreign_postings = _script_postings(
            (number, row.name) for number, row in enumerate(self._rows) if row.name.foreign_script)
        # Keys too common to read per query, as sets: a query's common words are checked against the
        # rows its rare words found by set intersection.
        self._common_rows = {key: set(rows) for key, rows in self._postings.items() if len(rows) > max_postings}
        self._total = max(1, len(self._rows))
        self._cache: OrderedDict[Hashable, list[PartyHit]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._cache_hits = 0
        self._cache_misses = 0

    def __len__(self) -> int:
        """Number of searchable names (primary names, aliases)."""
        return len(self._rows)

    def _add_entry(self, number: int, entry: ListEntry) -> None:
        seen: set[tuple[str, ...]] = set()
        for position, text in enumerate(entry.all_names()):
            name = normalise_name(_person_order(text) if entry.kind is EntryKind.PERSON else text)
            if not name.tokens or name.tokens in seen:
                continue
            seen.add(name.tokens)
            row = len(self._rows)
            self._rows.append(_Row(number, name, text, position > 0))
            self._lengths.append(len(name.tokens))
            # an organisation sharing all its words with a query may be contained in it (the scorer's
            # contained-name floor): the candidate filters let it through at that many shared words
            self._contained_at.append(len(name.tokens) if _may_contain(entry, name) else _NEVER)
            keys = name_keys(name)
            for former in name.former:
                keys.extend(name_keys(former))
            postings = self._postings
            for key in set(keys):
                postings[key].append(row)

    def stamps(self) -> list[ListStamp]:
        """The list snapshots this index was built from."""
        return list(self._stamps)

    def cache_info(self) -> CacheInfo:
        """Hits, misses and size of the query cache."""
        return CacheInfo(self._cache_hits, self._cache_misses, len(self._cache), self._cache_size)

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        """Hits for a party name at or above the review threshold, best first."""
        query = normalise_name(name)
        key = (_cache_key(query), (country or "").upper())
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self._cache_hits += 1
                return list(cached)
            self._cache_misses += 1
        hits = self._search(query, country)
        with self._cache_lock:
            self._cache[key] = hits
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return list(hits)

    def _search(self, query: Name, country: str | None) -> list[PartyHit]:
        query_key = " ".join((*query.tokens, *query.qualifiers))
        seen: set[int] = set()
        worth: list[int] = []  # rows to score, in the order they were found
        maybe = self._unkeyed_words(query)  # (a property of the query: counted once, not per row)
        for row_number, shared in self._candidates(query):
            seen.add(row_number)
            row = self._rows[row_number]
            if not self._may_reach_review(query, row_number, shared, maybe):
                continue
            # a cheap C-level look first: nothing alike enough to be worth the full scorer (not for names
            # from another script, nor for former names, which the look does not see)
            plain = not (query.foreign_script or row.name.foreign_script or query.former or row.name.former)
            if plain and fuzz.token_set_ratio(
                    query_key, " ".join((*row.name.tokens, *row.name.qualifiers)), score_cutoff=PREFILTER) == 0:
                continue
            if self._forms_rule_out(query, row.name):
                continue
            worth.append(row_number)
        worth += self._across_scripts(query, seen)
        best: dict[int, tuple[float, PartyHit]] = {}
        for row_number in worth:
            row = self._rows[row_number]
            hit = self._hit(query, row, country)
            if hit is not None and (row.entry not in best or hit.score > best[row.entry][0]):
                best[row.entry] = (hit.score, hit)
        ranked = sorted(best.values(), key=lambda pair: (-pair[0], pair[1].list_name, pair[1].entry_id))
        return [hit for _, hit in ranked[: self._max_hits]]

    def _across_scripts(self, query: Name, seen: set[int]) -> list[int]:
        """Rows a name from another script shares no spelling key with ("צפרירים" is "tsfryrym" after
        transliteration, "Zafririm" as listed; 臺北 is "tai bei", listed "Taipei"): found by the keys of
        script_keys, the few rows sharing the most of them. A query in another script reads every
        listed name's keys, built once on the first such query; a Latin query reads only the names
        listed in another script."""
        if query.foreign_script:
            postings = self._script_postings if self._script_postings is not None else self._build_script_postings()
        elif self._foreign_postings:
            postings = self._foreign_postings
        else:
            return []
        counts: Counter[int] = Counter()
        keys = script_keys(query)
        # (sorted: the same ties, so the same answer, in every process)
        found = [rows for rows in map(postings.get, sorted(keys)) if rows is not None]
        rare = [rows for rows in found if len(rows) <= self._max_postings]
        for rows in rare or found:  # a short name may have common keys only ("משה", Moshe): read them
            counts.update(rows)
        # most keys shared first, then names as long as the query (a common pair of names, Ahmed Hassan,
        # is shared by many longer names)
        size, lengths = len(query.tokens), self._lengths
        ranked = heapq.nsmallest(self._max_candidates + len(seen), counts.items(),
                                 key=lambda item: (-item[1], abs(lengths[item[0]] - size)))
        # Only names of about the query's length: a long listed name sharing two loose keys with a short
        # query is how unrelated people met (measured on yente's negatives against the UN list).
        longest = SCRIPT_LENGTH_RATIO * len(keys) + 1
        listed = self._rows
        # People's names are short and their transliterations loose: a person needs more keys in common.
        entries = self._entries
        return [row for row, count in ranked if row not in seen and len(script_keys(listed[row].name)) <= longest
                and (count >= PERSON_SCRIPT_KEYS or entries[listed[row].entry].kind is not EntryKind.PERSON)][
            : self._max_candidates]

    def prepare_scripts(self) -> None:
        """Build the keys that names from another script are looked up by, now rather than on the first
        such query (the service does it when loading; a quarter of a million names take seconds)."""
        self._build_script_postings()

    def _build_script_postings(self) -> dict[str, list[int]]:
        with self._script_lock:
            if self._script_postings is None:
                self._script_postings = _script_postings(enumerate(row.name for row in self._rows))
            return self._script_postings

    def _forms_rule_out(self, query: Name, listed: Name) -> bool:
        """True when the names' legal forms are of two jurisdictions (GmbH against Sdn. Bhd.): the scorer
        takes LEGAL_FORM_CONFLICT off a score of at most 100 and nothing after it adds any back, so even
        with the country boost the name stays under review; not worth the full scorer. Former names have
        forms of their own and are left to it. (From the speed work on branch `speed`: about a tenth
        fewer names scored on the generated benchmark list.)"""
        if not (query.legal_forms and listed.legal_forms) or query.former or listed.former:
            return False
        return (self.review_threshold > 100.0 - LEGAL_FORM_CONFLICT + COUNTRY_BOOST
                and legal_forms.relation(query.legal_forms, listed.legal_forms) == "conflict")

    def _may_reach_review(self, query: Name, row_number: int, shared: int, maybe: int) -> bool:
        """False when too few of the query's words share a key with the listed name to reach review.

        An upper bound of the scorer's coverage, assuming every word that shares a key matches fully.
        Words that can match without a shared key (`maybe`, _unkeyed_words: short ones, initials and
        abbreviations, and unknown ones, typos) count as matched. Names from
        another script, annotations and former names are given the benefit of the doubt, and so is an
        organisation whose every word may stand in the other name (the scorer's contained-name floor).
        """
        listed = self._rows[row_number].name
        if shared >= min(len(query.tokens), self._contained_at[row_number]) and _contained(query.tokens, listed.tokens):
            return True
        if (query.foreign_script or listed.foreign_script or query.qualifiers or listed.qualifiers
                or query.former or listed.former or query.compact == listed.compact):
            return True  # (the same letters without spaces: "SiemensAG", "VladimirPutin")
        q, r = len(query.tokens), len(listed.tokens)
        if shared >= 2 and shared >= min(q, r) and self._entries[self._rows[row_number].entry].kind is EntryKind.PERSON:
            return True  # a person named with fewer of their names (the scorer's partial-name rule)
        matched = min(q, r, shared + maybe)
        bound = 100.0 * 2 * matched / (q + r) - UNMATCHED_PENALTY * (q + r - 2 * matched)
        return bound >= self.review_threshold - COUNTRY_BOOST

    def _candidates(self, query: Name) -> list[tuple[int, int]]:
        """The rows sharing enough rare keys with the query, most shared IDF weight first, each with
        the number of the query's words it shares a key with.

        Each query word is one group of keys (the word, its skeleton and, only for a word the index
        does not hold, its prefix); a row counts once per group. Rows that share too few groups to
        reach the review threshold even if everything else matched are dropped before any weighing,
        and the query's common words (skipped: reading them would touch a large share of the list)
        are only checked against the rows that remain.
        """
        postings = self._postings
        groups = [self._query_keys(token) for token in (*query.tokens, *query.qualifiers)]
        groups += [self._query_keys(t) for former in query.former for t in former.tokens]
        row_sets: list[set[int]] = []
        group_weights: list[float] = []
        common: list[tuple[str, float]] = []
        # a word's common keys (the skeleton of a rare spelling of Mohammed, a prefix): checked against
        # the rows found, as the common words are, and counted for that word
        variants: list[tuple[int, list[str]]] = []
        for group in groups:
            keys = [k for k in group if k in postings]
            rare = [k for k in keys if len(postings[k]) <= self._max_postings]
            if rare:
                if len(rare) == 2 and rare[1][0] == "~":  # a word's rows are among its skeleton's rows
                    row_sets.append(set(postings[rare[1]]))
                else:
                    row_sets.append(set().union(*(postings[k] for k in rare)))
                # the word itself is the rarest key; a typo found by its skeleton or prefix only is
                # weaker evidence than a word found as it is written
                group_weights.append(self._idf(rare[0]) * (1.0 if rare[0] == group[0] else VARIANT_WEIGHT))
                if len(rare) < len(keys):
                    variants.append((len(row_sets) - 1, [k for k in keys if k not in rare]))
            elif keys:
                common.append((keys[0], self._idf(keys[0])))
        if not row_sets and common:  # nothing rare: read the least common word after all
            key = min((k for k, _ in common), key=lambda k: len(postings[k]))
            row_sets.append(set(postings[key]))
            group_weights.append(self._idf(key))
            common = [(k, w) for k, w in common if k != key]
        whole = set(postings.get(query.compact, ())) if len(query.tokens) > 1 else set()
        counts = Counter(itertools.chain.from_iterable(row_sets))
        for position, keys in variants:
            found = set().union(*(self._common_rows[key].intersection(counts) for key in keys)) - row_sets[position]
            counts.update(found)
            row_sets[position] |= found
        common_sets = [(self._common_rows[key], weight) for key, weight in common if key in self._common_rows]
        for members, _ in common_sets:
            counts.update(members.intersection(counts))  # C-level: only rows already found
        for row in whole:  # the spaceless form matched: as good as every word
            counts[row] += len(groups) + 1
        least = self._shared_needed(query)
        if len(counts) > MAX_WEIGHED:  # keep the rows sharing the most words (sorted in C)
            top = sorted(counts.items(), key=itemgetter(1), reverse=True)[:MAX_WEIGHED]
            passing = [row for row, count in top if count >= least]
            # and the rows of the query's rarest words, which the count alone may crowd out ("Janan Agha"
            # among the many "Mohammad Ahmed" when the query is "Janan Mohammad Ahmed Agha")
            contained_at = self._contained_at
            rarest = set().union(*(rows for rows in row_sets if len(rows) <= RAREST_GROUP)).difference(passing)
            passing += [row for row in rarest if counts[row] >= least or counts[row] >= contained_at[row]]
        elif least > 1:
            contained_at = self._contained_at  # (count >= the query's length already means count >= least)
            passing = [row for row, count in counts.items() if count >= least or count >= contained_at[row]]
        else:
            passing = list(counts)
        return self._ranked(query, passing, [*zip(row_sets, group_weights, strict=True), *common_sets])

    def _idf(self, key: str) -> float:
        """Inverse document frequency of a key (computed when asked: a query reads a handful)."""
        return math.log(1 + self._total / len(self._postings[key]))

    def _unkeyed_words(self, query: Name) -> int:
        """How many of the query's words may match without sharing a key: short words may be initials
        or abbreviations, words the index does not hold may be typos."""
        return sum(len(t) <= 2 or t not in self._postings for t in query.tokens)

    def _shared_needed(self, query: Name) -> int:
        """How many of the query's words a listed name must share a key with to possibly reach review."""
        if query.qualifiers or query.former or query.foreign_script:
            return 1
        q = len(query.tokens)
        maybe = self._unkeyed_words(query)
        for shared in range(1, q + 1):
            bound = 100.0 * 2 * shared / (q + shared) - UNMATCHED_PENALTY * (q - shared)
            if bound >= self.review_threshold - COUNTRY_BOOST:
                return max(1, shared - maybe)
        return 1

    def _ranked(self, query: Name, rows: list[int], groups: list[tuple[set[int], float]]) -> list[tuple[int, int]]:
        """The best `max_candidates` rows by shared IDF weight (ties: names as long as the query)."""
        if len(rows) <= self._max_candidates:  # every row is a candidate, in order: no weights needed
            counted = dict.fromkeys(rows, 0)
            found = counted.keys()
            for members, _ in groups:
                for row in found & members:
                    counted[row] += 1
            return [(row, counted[row]) for row in rows]
        size = len(query.tokens)
        weights = dict.fromkeys(rows, 0.0)
        shared = dict.fromkeys(rows, 0)
        candidates = weights.keys()
        for members, group_weight in groups:
            for row in candidates & members:  # C-level intersection; Python only touches the overlap
                weights[row] += group_weight
                shared[row] += 1
        lengths = self._lengths
        scored = [(weights[row] - 0.01 * abs(lengths[row] - size), row, shared[row]) for row in rows]
        best = heapq.nlargest(self._max_candidates, scored)
        cut = best[-1][0]
        tied = [item for item in scored if abs(item[0] - cut) < 1e-9]
        if len(tied) > sum(abs(item[0] - cut) < 1e-9 for item in best):
            best = self._break_ties(query, best, tied, cut)
        return [(row, shared) for _, row, shared in best]

    def _break_ties(self, query: Name, best: list[tuple[float, int, int]], tied: list[tuple[float, int, int]],
                    cut: float) -> list[tuple[float, int, int]]:
        """More rows share the last candidate places' weight than there are places ("Vladimir Pudin"
        among a list's many Vladimirs, where "Pudin" shares no key with "Putin"): the places go to the
        tied rows most alike the query as strings (rapidfuzz, in C), not to whichever came first."""
        ahead = [item for item in best if item[0] > cut + 1e-9]
        text = " ".join(query.tokens)
        rows = self._rows
        alike = process.extract(text, {i: " ".join(rows[item[1]].name.tokens) for i, item in enumerate(tied)},
                                scorer=fuzz.ratio, limit=self._max_candidates - len(ahead))
        return ahead + [tied[i] for _, _, i in alike]

    def _query_keys(self, token: str) -> tuple[str, ...]:
        """A query word's keys: the prefix only when the index does not hold the word itself (a typo).

        (Reading the prefix of every word was tried: its rows crowd the candidate places of a word
        found as written, and fewer of the generated list's variants were found.)"""
        keys = token_keys(token)
        return keys if token not in self._postings else keys[:2]

    def _hit(self, query: Name, row: _Row, country: str | None) -> PartyHit | None:
        entry = self._entries[row.entry]
        result = score_names(query, row.name, entry.kind.value)
        score = result.score
        notes = [result.explanation]
        if row.is_alias:
            notes.insert(0, "alias")
        if country and country.upper() in entry.countries and score >= COUNTRY_BOOST_FLOOR:
            score = min(100.0, score + COUNTRY_BOOST)
            notes.append(f"party country {country.upper()} is one of the entry's countries")
        if query.foreign_script or row.name.foreign_script:
            notes.append("compared after transliteration")
        if score < self.review_threshold:
            return None
        action = Action.BLOCK if score >= self.block_threshold else Action.REVIEW
        return PartyHit(
            list_name=entry.source_list, entry_id=entry.id, listed_name=entry.name,
            matched_name=row.text, score=round(score, 1), action=action,
            explanation="; ".join(notes), programs=tuple(entry.programs), source=entry.source_url or "",
            details={"kind": entry.kind.value, "countries": list(entry.countries)},
        )


def _contained(query: tuple[str, ...], listed: tuple[str, ...]) -> bool:
    """Every word of one name is a word of the other, which has more (the scorer's contained-name rule)."""
    if len(query) == len(listed):
        return False
    shorter, longer = (query, listed) if len(query) < len(listed) else (listed, query)
    return set(shorter).issubset(longer)


def _may_contain(entry: ListEntry, name: Name) -> bool:
    """Whether this listed name may stand whole in a longer query and still reach review: the scorer's
    contained-name floor for organisations (same conditions), its partial-name rule for a person
    named with two or more names ("Janan Agha" in "Janan Mohammad Ahmed Agha")."""
    if entry.kind is EntryKind.PERSON:
        return len(name.tokens) >= 2
    distinctive = sum(len(token) for token in name.tokens if token not in GENERIC_WORDS)
    return entry.kind is EntryKind.ORGANISATION and distinctive >= CONTAINED_NAME_LETTERS


@lru_cache(maxsize=200_000)
def token_keys(token: str) -> tuple[str, ...]:
    """Index keys of a token: itself, its consonant skeleton and its first four letters."""
    keys = [token]
    if len(token) >= 5:  # shorter skeletons ("kl") are too unspecific to be worth reading
        keys.append("~" + skeleton(token))
    if len(token) >= 6:
        keys.append("^" + token[:4])
    return tuple(keys)


def name_keys(name: Name) -> list[str]:
    """Index keys of a name: its tokens' keys, its spaceless form and its annotations' words."""
    keys = [key for token in name.tokens for key in token_keys(token)]
    if name.compact and len(name.tokens) > 1:
        keys.append(name.compact)
    keys.extend(key for word in name.qualifiers for key in token_keys(word))
    return keys


def script_keys(name: Name) -> set[str]:
    """Keys of a name that survive a change of script: each word's consonant skeleton as Hebrew and
    Arabic write it ("a:"), its Chinese romanisation key, which folds Wade-Giles and pinyin ("r:"), and
    its Burmese romanisation key ("b:"); the last two also for runs of two and three words, since a
    Latin spelling joins the syllables that a name in characters gives one by one (Taipei, 臺北
    "tai bei"). Business words (in English after the glossary) and numerals are left out: they are
    common and say nothing about which party it is."""
    tokens = [t for t in name.tokens if not is_business_word(t)]
    keys: set[str] = set()
    for token in tokens:
        consonants = abjad_skeleton(token)
        if len(consonants) >= 2:
            keys.add("a:" + consonants)
    for width in (1, 2, 3):
        for start in range(len(tokens) - width + 1):
            run = tokens[start:start + width]
            joined = "".join(run)
            if len(joined) >= 3:
                keys.add("r:" + romanisation_key(joined))
                keys.add("b:" + "".join(burmese_key(t) for t in run))
    return keys


def _script_postings(rows: Iterable[tuple[int, Name]]) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for number, name in rows:
        for key in script_keys(name):
            postings[key].append(number)
    return dict(postings)


def _person_order(text: str) -> str:
    """OFAC and others list people as "LAST, First": put the given names back in front."""
    family, comma, given = text.partition(",")
    if not comma or "," in given or not given.strip() or "(" in text:
        return text
    return f"{given.strip()} {family.strip()}"


def _cache_key(name: Name) -> Hashable:
    """Everything about a normalised name that the score depends on (not the text as written)."""
    return (name.tokens, name.legal_forms, name.numerals, name.qualifiers, name.foreign_script,
            name.abjad, name.burmese, name.cjk, name.vessel_prefix, name.compact,
            tuple(_cache_key(former) for former in name.former))
