"""score_names(a, b): how alike two party names are, 0-100, and why.

One pure function used by the index and by scripts/match_quality.py, so the quality script measures
the real scorer. The mix (documented with measured figures in docs/matching.md):

1. Core tokens are aligned one-to-one, whatever their order. A pair of tokens counts fully when equal,
   0.95 for a romanisation variant (same phonetic key: Levitsky/Levitskiy), 0.9 for an abbreviation
   (Intl/International, Mgmt/Management), 0.8 for an initial or an initialism of a run of words
   (US/United States), 0.85 for the same consonant skeleton (Qureshi/Quraishi), 0.9 for the same loose
   skeleton across scripts (Hebrew/Arabic transliterations write few vowels; for them even one
   consonant left is compared), a typo its rapidfuzz ratio for people and 0.75 for organisation words
   (one edit in four to eight letters, two from nine, same first letter; plurals and -n/-ng are not
   typos). Burmese is compared on folded romanisation keys; two names in CJK characters syllable for
   syllable only. The base score is the share of both names' tokens covered, minus 8 per unmatched
   word on either side (the sibling guard: Brevanti Trading is not Brevanti Logistics). A
   space-insensitive ratio rescues names written without spaces; people named with fewer of their
   names reach review; across scripts, business words left untranslated (every distinctive word
   matched) make a review.
2. Vetoes and penalties: numerals that differ (vessel "Ocean 1" vs "Ocean 2", SPV "No. 3" vs "No. 8")
   cap the score below review, except numbered fund or trust series of an organisation (review);
   conflicting legal forms (GmbH vs Sdn. Bhd.) and a country word on one side only (Marrowby
   Chemicals (Thailand)) cost 35 and 30; a vessel prefix against a company form costs 15; a name whose
   only overlap is generic words (trading, international, group) is capped at 55; names of one word on
   both sides, an initialism alone and an organisation typo are capped at 85 (review at most with the
   default thresholds).
3. Former names ("ex-", "f.k.a.") are compared with the other side's current name, never with its
   former names (two ships that once bore the same name are different ships).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Final

import pycountry
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Indel

from service.engine.parties import legal_forms
from service.engine.parties.burmese import burmese_key
from service.engine.parties.glossary import LATIN_CONCEPTS, same_concept
from service.engine.parties.letters import in_order, kept_letters, respell, spelling_rules
from service.engine.parties.names import (
    BRANCH_WORDS,
    CHINESE_SYLLABLE_STOP_WORDS,
    STOP_WORDS,
    Name,
    abjad_skeleton,
    loose_skeleton,
    normalise_name,
    phonetic,
    skeleton,
    spoken_tokens,
    written_words,
)

GENERIC_WORDS: Final = frozenset({
    "trading", "trade", "traders", "trader", "company", "corporation", "group", "groupe", "holding", "holdings",
    "international", "global", "general", "limited", "industries", "industrial", "industry", "industria",
    "enterprises", "enterprise", "services", "service", "solutions", "logistics", "shipping", "import",
    "export", "imports", "exports", "commerce", "commercial", "comercio", "products", "supply", "supplies",
    "marine", "maritime", "management", "investment", "investments", "development", "technology",
    "technologies", "tech", "engineering", "manufacturing", "systems", "partners", "associates", "brothers",
    "sons", "national", "united", "new", "first", "foreign", "economic", "bank", "agency", "agencies", "center",
    "centre", "co", "corp", "inc", "ltd", "societe", "compagnie", "compania", "ets", "establishment", "organization",
    "organisation", "institute", "factory", "plant", "works", "chemicals", "chemical", "energy", "resources",
    "petroleum", "oil", "gas", "electronics", "electronic", "machinery", "equipment", "materials", "metal",
    "steel", "transport", "shipmanagement", "navigation", "agro", "foods", "food", "mining", "construction",
    "consulting", "finance", "financial", "capital", "fund", "foundation", "association", "union", "office",
    "ministry", "department", "maru",
})
_EXTRA_COUNTRY_WORDS: Final = {"brasil", "mexico", "polska", "deutschland", "espana", "italia", "uk", "usa", "turkiye",
                               "rossiya", "nippon", "suisse", "schweiz", "osterreich", "hellas", "emirates", "hongkong",
                               "korea", "russia", "taiwan", "iran", "syria", "vietnam", "china", "singapore"}

# Regions a company's regional arm is named after ("Faberlic Europe"), beside the country words.
REGION_WORDS: Final = frozenset({"europe", "european", "asia", "asian", "africa", "african", "america", "americas",
                                 "pacific", "eurasia", "middle", "east", "gulf", "latam", "emea", "apac", "nordic",
                                 "scandinavia", "balkans", "caucasus", "levant", "maghreb"})
NUMERAL_MISMATCH_CAP: Final = 45.0
# A number on one side only ("Sharp Edge Engineering 7", "... Branch 2"): a variant of the listed name
# or a numbered unit of it, as an evader would write it; a review, never cleared and never a block.
ONE_SIDED_NUMERAL_CAP: Final = 85.0
SAME_AS_WRITTEN: Final = "the name exactly as listed"
TRANSLATED_DESCRIPTOR_FLOOR: Final = 75.0
# An organisation whose every word stands in the other name, which has more ("Huawei" / "Huawei
# Technologies Co., Ltd."): the listed party's fuller name, a branch or a subsidiary. Worth a review, never
# a block by itself; penalties (a country word on one side: "do Brasil") still apply after it.
CONTAINED_NAME_FLOOR: Final = 75.0
CONTAINED_NAME_PAIR: Final = 1.0  # every word matched as itself (the index lets exactly these through)
CONTAINED_NAME_LETTERS: Final = 4  # distinctive letters the contained name needs ("AB" is too little)
TRANSLATED_DESCRIPTOR_PAIR: Final = 0.85  # how alike the distinctive words must be
TRANSLATED_DESCRIPTOR_LETTERS: Final = 6  # one distinctive word must be this long (two may be shorter)
# "son of" in Arabic and Hebrew names, written several ways: one word for the scorer (bin Laden / ibn Laden)
PATRONYMIC_WORDS: Final = frozenset({"bin", "ibn", "ben", "bn"})
PATRONYMIC_ORDER_CAP: Final = 60.0  # "Salman bin Muhammad" is not "Muhammad bin Salman": father and son
ANNOTATION_CONFLICT_CAP: Final = 60.0  # two annotations with nothing in common: two branches, units or people
# People with a name on each side that the other lacks ("Korval Ben Tamir Orvani" / "... Delmani"): namesakes
OTHER_NAME_CAP: Final = 60.0
SERIES_NUMERAL_CAP: Final = 75.0  # a fund vintage or securitisation series: same sponsor, worth a review
# Units of an organisation, beside the branch words that normalisation takes out ("X Liaison Office")
UNIT_WORDS: Final = BRANCH_WORDS | {"liaison", "office", "offices", "bureau", "unit", "department", "headquarters"}
# What a company makes or does, beside the business words ("Huawei Device Co., Ltd."): a subsidiary's name
INDUSTRY_WORDS: Final = frozenset({
    "device", "devices", "cloud", "hardware", "digital", "network", "networks", "semiconductor", "semiconductors",
    "microelectronics", "optical", "optics", "photonics", "biotech", "biotechnology", "health", "healthcare",
    "solar", "battery", "batteries", "robotics", "research", "laboratory", "laboratories", "lab", "labs", "media",
    "defense", "defence", "information", "data", "internet", "mobile", "wireless", "terminal", "terminals",
    "display", "displays", "chip", "chips", "integrated", "circuit", "circuits", "cargo", "freight", "express",
})
# Words of investment vehicles issued in numbered series by one sponsor (Fund VII, Trust 2004-1):
SERIES_WORDS: Final = frozenset({"fund", "funds", "trust", "partners", "series", "securities"})
GENERIC_ONLY_CAP: Final = 55.0
SAME_GENERIC_NAME_WORDS: Final = 3
ONE_WORD_CAP: Final = 85.0
LEGAL_FORM_CONFLICT: Final = 35.0
COUNTRY_WORD_PENALTY: Final = 30.0
VESSEL_VS_COMPANY: Final = 15.0
UNMATCHED_PENALTY: Final = 8.0
TYPO_SIMILARITY: Final = 0.75
# a business word and its translation (glossary.py): aligned before a loose transliteration (0.9)
TRANSLATION_SIMILARITY: Final = 0.92
ABJAD_ONE_CONSONANT: Final = 0.75  # below "strong" (0.85): alone it never makes a partial person match
INITIALISM_MIN: Final = 2  # letters of an initialism (US, PLA, OAO is a legal form and already out)
INITIALISM_MAX: Final = 5
INITIALISM_SIMILARITY: Final = 0.8
TYPO_MIN_LENGTH: Final = 4
# Letters a consonant skeleton of a person's name needs: "hl" is Hollu and Khalal, "ms" Mosho and Mossa.
SKELETON_MIN_LETTERS: Final = 3
SKELETON_SIMILARITY: Final = 0.85
TYPO_TWO_EDITS_LENGTH: Final = 9
TYPO_CAP: Final = 85.0  # a typo of an organisation's word is for review, never a block by itself
SPACELESS_MIN: Final = 95.0  # the spaceless comparison is for spacing slips, not for an extra word
PARTIAL_NAME_PENALTY: Final = 3.0
PARTIAL_NAME_CAP: Final = 85.0
LEGAL_FORM_COMPATIBLE: Final = 2.0
_LARGE_NUMBER: Final = 1000  # years, registry numbers, street numbers: ignored when only one side has them


class NameScore:
    """A similarity score (0-100) and the reasons behind it. (Immutable, as Name is, and a plain class
    for the same reason: one is made for every name the index scores.)"""

    __slots__ = ("explanation", "score", "via_former_name")

    def __init__(self, score: float, explanation: str, via_former_name: bool = False) -> None:
        self.score: Final = score
        self.explanation: Final = explanation
        self.via_former_name: Final = via_former_name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NameScore) and (self.score, self.explanation, self.via_former_name) == (
            other.score, other.explanation, other.via_former_name)

    def __hash__(self) -> int:
        return hash((self.score, self.explanation, self.via_former_name))

    def __repr__(self) -> str:
        return f"NameScore(score={self.score!r}, explanation={self.explanation!r}, " \
               f"via_former_name={self.via_former_name!r})"


@lru_cache(maxsize=1)
def country_words() -> frozenset[str]:
    """One-word country names in ASCII lower case (a country on one side only suggests a subsidiary)."""
    words = set(_EXTRA_COUNTRY_WORDS)
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(country, attr, None)
            if value and " " not in value and value.isascii():
                words.add(value.casefold())
    return frozenset(words)


def score_names(query: Name | str, candidate: Name | str, kind: str = "organisation", at_least: float = 0.0,
                ) -> NameScore:
    """The best score between the two names' current names, or a current and a former name.

    `kind` is the listed party's kind (organisation, person, vessel, aircraft): person names tolerate
    single-letter spelling differences (transliteration), organisation and vessel names do not (Tak Shing
    and Tak Hing are two companies).

    A caller that reads only scores of at least `at_least` may be answered any score under it, with a
    shorter explanation, for a pair of names that cannot reach it: the index scores a few candidate rows
    for each name it has not seen before, and most of them end far under review.
    """
    left = normalise_name(query) if isinstance(query, str) else query
    right = normalise_name(candidate) if isinstance(candidate, str) else candidate
    if _same_as_written(left, right):
        return NameScore(100.0, f"{SAME_AS_WRITTEN} ({' '.join(left.tokens) or ' '.join(left.numerals)})")
    lenient = kind == "person"
    numeral_cap = SERIES_NUMERAL_CAP if kind == "organisation" and (_is_series(left) or _is_series(right)) \
        else NUMERAL_MISMATCH_CAP
    contained = kind == "organisation"
    best = _score(left, right, lenient, numeral_cap, contained, at_least)
    for former in right.former:
        best = _better(best, _score(left, former, lenient, numeral_cap, contained, at_least),
                       "matched a former name of the listed party")
    for former in left.former:
        best = _better(best, _score(former, right, lenient, numeral_cap, contained, at_least),
                       "the party's former name matched")
    return best


def _same_as_written(left: Name, right: Name) -> bool:
    """The same words as written, legal forms and annotations included ("FOREIGN TRADE BANK (FTB)",
    "11420 CORP.", "7-28"): the listed name itself, whatever rules would weigh its words."""
    return (left.tokens == right.tokens and left.numerals == right.numerals and left.qualifiers == right.qualifiers
            and written_words(left.original) == written_words(right.original))


def _better(best: NameScore, other: NameScore, note: str) -> NameScore:
    if other.score <= best.score:
        return best
    return NameScore(other.score, f"{note}; {other.explanation}", via_former_name=True)


def _score(left: Name, right: Name, lenient: bool, numeral_cap: float = 45.0, contained: bool = False,
           at_least: float = 0.0) -> NameScore:
    if not left.tokens or not right.tokens:
        return NameScore(0.0, "no name words to compare")
    cross_script = left.foreign_script != right.foreign_script
    abjad = cross_script and (left.abjad or right.abjad)
    burmese = cross_script and (left.burmese or right.burmese)
    if burmese:
        left, right = _burmese_keyed(left), _burmese_keyed(right)
    syllabic = not burmese and cross_script and (left.cjk or right.cjk)
    if syllabic:  # 大 is "da", a syllable, not an article; Taipei is 臺北 (Taibei)
        left, right = _romanisation_keyed(_syllables_kept(left)), _romanisation_keyed(_syllables_kept(right))
    # two names in Chinese, Japanese or Korean characters: another syllable is another character
    exact = left.foreign_script and right.foreign_script and left.cjk and right.cjk
    if abjad:  # (the glossed spellings of Hebrew and Arabic words take part: not cached)
        base, pairs, reasons = _coverage(left.tokens, left.qualifiers, right.tokens, right.qualifiers, cross_script,
                                         lenient, abjad, exact, syllabic, {**left.glossed, **right.glossed})
    else:
        base, aligned, noted = _cached_coverage(left.tokens, left.qualifiers, right.tokens, right.qualifiers,
                                                cross_script, lenient, exact, syllabic)
        pairs, reasons = list(aligned), list(noted)
    if left.compact and right.compact and base < 100:
        joined = fuzz.ratio(left.compact, right.compact)
        # spacing slips only: the words split differently, or the very same letters ("Van der Bilt")
        if joined > base and (joined == 100 or (joined >= SPACELESS_MIN and len(left.tokens) != len(right.tokens))):
            base, reasons = joined, [f"same letters ignoring spaces ({joined:.0f})"]
            pairs = [(left.compact, right.compact, joined / 100.0)]
    # Hebrew, Arabic and Burmese only: there it was measured; CJK and Indic syllables of people's
    # names match Latin company words by chance too often ("hyeon" / "Hunjin")
    if (abjad or burmese) and base < TRANSLATED_DESCRIPTOR_FLOOR and _descriptor_translated(left, right, pairs):
        base = TRANSLATED_DESCRIPTOR_FLOOR
        reasons.append("the unmatched words may be the business words translated")
    # (across scripts only against CJK characters, whose syllables match exactly or not at all: 華為技術 / Huawei)
    if (contained and (syllabic or not cross_script) and base < CONTAINED_NAME_FLOOR
            and _name_contained(left, right, pairs)):
        base = CONTAINED_NAME_FLOOR
        reasons.append("every word of one name is in the other (a fuller name, branch or subsidiary?)")
    score = base
    notes = reasons  # (the reasons are not used apart from the notes)
    if at_least and _tenth(score) < at_least:
        # Every rule below only lowers the score, and rounding to a tenth keeps the order: the score
        # stays under `at_least`, which is all the caller reads.
        return NameScore(_tenth(max(0.0, score)), "; ".join(notes))
    score = _apply_legal_forms(left, right, score, notes)
    if not lenient:  # a country word in a person's name (Jordan) is a name
        score = _apply_country_words(left, right, pairs, score, notes)
    if left.vessel_prefix != right.vessel_prefix and (left.legal_forms or right.legal_forms):
        score -= VESSEL_VS_COMPANY
        notes.append("a vessel against a company")
    score = _apply_caps(left, right, pairs, score, notes, numeral_cap, contained, lenient)
    if score > ANNOTATION_CONFLICT_CAP and _annotations_conflict(left, right, pairs, cross_script, lenient, abjad):
        notes.append("the annotations differ (another branch, unit or given name)")
        score = ANNOTATION_CONFLICT_CAP
    if lenient and score > PATRONYMIC_ORDER_CAP and _patronymic_swapped(left.tokens, right.tokens, pairs):
        notes.append("the names around 'bin' stand the other way round (a son is not his father)")
        score = PATRONYMIC_ORDER_CAP
    if not lenient and score > TYPO_CAP and any(
            _token_similarity(a, b, cross_script, lenient, abjad)[1] == "typo" for a, b, _ in pairs):
        notes.append("a word differs by a typo")
        score = TYPO_CAP
    if score > TYPO_CAP and any(_sounds_alike_only(a, b, lenient, cross_script, abjad) for a, b, _ in pairs):
        notes.append("a word alike in sound only (another word, or a variant)")
        score = TYPO_CAP
    return NameScore(_tenth(max(0.0, min(100.0, score))), "; ".join(notes))


_TENTHS: Final[dict[float, float]] = {}
_TENTHS_KEPT: Final = 50_000


def _tenth(score: float) -> float:
    """round(score, 1), remembered: rounding to a digit formats the float as a string and parses it
    back (two thousand instructions, a call per scored name), and the scores are sums of a few
    similarity steps, so the same few thousand values come back."""
    rounded = _TENTHS.get(score)
    if rounded is None:
        rounded = round(score, 1)
        if len(_TENTHS) < _TENTHS_KEPT:
            _TENTHS[score] = rounded
    return rounded


def _annotations_conflict(left: Name, right: Name, pairs: list[tuple[str, str, float]], cross_script: bool,
                          lenient: bool, abjad: bool) -> bool:
    """Both names carry an annotation and they have nothing in common: "Academy of Sciences, Institute of
    Physics" and "Academy of Sciences, Institute of Biology" are two institutes, "ICBC (Asia)" and "ICBC
    (London)" two banks, "SMITH, John" and "SMITH, James" two people. Business words say nothing either
    way; an annotation word matched anywhere in the other name, or alike to one of its annotation words,
    or the same registry number is something in common."""
    if not left.qualifiers or not right.qualifiers:
        return False  # (most names: no annotation on one side at least)
    ours = [w for w in left.qualifiers if w not in GENERIC_WORDS]
    theirs = [w for w in right.qualifiers if w not in GENERIC_WORDS]
    if not ours or not theirs:
        return False
    if any(int(n) >= _LARGE_NUMBER for n in set(left.numerals) & set(right.numerals)):
        return False  # the same registry number ("MŠ 5834219000" / "maticna stevilka 5834219000")
    aligned = {a for a, _, _ in pairs} | {b for _, b, _ in pairs}
    if any(w in aligned for w in (*ours, *theirs)):
        return False
    return not any(_token_similarity(a, b, cross_script, lenient, abjad)[0] > 0 for a in ours for b in theirs)


def _patronymic_swapped(left: tuple[str, ...], right: tuple[str, ...], pairs: list[tuple[str, str, float]]) -> bool:
    """Whether son and father swap places: in "Salman bin Muhammad" Salman is the son of Muhammad, in
    "Muhammad bin Salman" his father. Word order does not matter in names, except around "bin"; both
    names must be matched the other way round (one name repeated, "Ben Mohamed Ben Mohamed", is not a
    swap)."""
    def around(tokens: tuple[str, ...]) -> tuple[str, str] | None:
        for position in range(1, len(tokens) - 1):
            if tokens[position] in PATRONYMIC_WORDS:
                return tokens[position - 1], tokens[position + 1]
        return None
    ours, theirs = around(left), around(right)
    if ours is None or theirs is None or ours == theirs:
        return False
    aligned = {(a, b) for a, b, _ in pairs}
    return (ours[0], theirs[1]) in aligned and (ours[1], theirs[0]) in aligned


def _name_contained(left: Name, right: Name, pairs: list[tuple[str, str, float]]) -> bool:
    """Every word of the listed name (right) matched exactly in the query (left), which has more words,
    and the listed name has something distinctive (not only business words like 'Trading Company').

    One way round only: a query that is a fuller name, branch or subsidiary of a listed organisation
    holds the listed name; a query whose words are all in a longer listed name ("Sharp Corporation"
    against "Sharp Edge Engineering Inc.") is another company sharing a word. The listed name's
    annotations count as its words: "TIDEWATER CO. (MIDDLE EAST MARINE SERVICES)" is not contained in
    "Tidewater Photo Studio Co.", nor "AGRICULTURAL, MEDICAL, AND INDUSTRIAL RESEARCH CENTER" in
    "Rosewood Agricultural, Co."."""
    if len(left.tokens) == len(right.tokens):
        return False
    if len(left.tokens) < len(right.tokens):  # the query inside the listed name: only without a word of its own
        return _parent_of_listed(left, right, pairs)
    matched = {b for _, b, s in pairs if s >= CONTAINED_NAME_PAIR}
    if not all(t in matched for t in right.tokens):
        return False
    if not all(q in matched or q in GENERIC_WORDS for q in right.qualifiers):
        return False
    distinctive = [t for t in right.tokens if t not in GENERIC_WORDS]
    if sum(len(t) for t in distinctive) < CONTAINED_NAME_LETTERS:
        return False
    return len(distinctive) >= 2 or _only_descriptive_words_added(left, right, pairs)


def _only_descriptive_words_added(left: Name, right: Name, pairs: list[tuple[str, str, float]]) -> bool:
    """The query's words beyond the listed name describe it ("Zorvane Technologies", "Zorvane Trading
    Asia", "Zorvane Liaison Office"): a fuller name or an arm of the listed party. A listed name of one
    distinctive word with another name-like word beside it ("Zorvane Kelmira" against "ZORVANE 2012") is as
    likely another company that shares a word."""
    matched = {a for a, _, s in pairs if s >= CONTAINED_NAME_PAIR}
    # (the words as aligned: syllables the listed name writes as one word are joined, 華為 "hua wei")
    return all(t in matched or _descriptive(t) for t in _merge_split_words(left.tokens, right.tokens))


def _by_first_letter(words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for word in sorted(words):
        grouped.setdefault(word[:1], []).append(word)
    return {letter: tuple(group) for letter, group in grouped.items()}


# business words and the longer words of legal forms, by first letter (a slip or an abbreviation keeps it)
_DESCRIPTIVE_SPELLED: Final = _by_first_letter(
    GENERIC_WORDS | frozenset(w for w in legal_forms.FORM_WORDS if len(w) >= TYPO_MIN_LENGTH))


@lru_cache(maxsize=10_000)
def _descriptive(word: str) -> bool:
    """A word that says what or where a party is, not which one: a business or industry word (or a slip
    or abbreviation of one: "Compnay", "Exp"), a country or region, a unit of an organisation ("Liaison
    Office") or a word of a legal form out of its place ("JOINT STOCK CO ZORVANE")."""
    if (is_business_word(word) or word in INDUSTRY_WORDS or word in country_words() or word in REGION_WORDS
            or word in UNIT_WORDS or word in legal_forms.FORM_WORDS):
        return True
    size = len(word)
    # (the length bounds are the checks' own first conditions: most pairs fail them)
    return any((size <= 0.6 * len(g) and _is_abbreviation(word, g))
               or (abs(size - len(g)) <= 2 and _is_typo(word, g, fuzz.ratio(word, g)))
               for g in _DESCRIPTIVE_SPELLED.get(word[:1], ()))


def _parent_of_listed(left: Name, right: Name, pairs: list[tuple[str, str, float]]) -> bool:
    """The query's words all in the listed name, and the listed name's other words only country or
    region words ("Faberlic" / "FABERLIC EUROPE Sp. z o.o.": the listed company is its regional arm). A
    word of the listed name left out ("Sharp" / "Sharp Edge Engineering", "Anduvar Shipping" / "Anduvar
    Ship Finance") is another company. A typo of the query's words counts as the word (the typo cap
    keeps it a review)."""
    matched = {a for a, _, s in pairs if s >= TYPO_SIMILARITY}
    listed = {b for _, b, s in pairs if s >= TYPO_SIMILARITY}
    if not all(t in matched for t in left.tokens):
        return False
    places = country_words()
    if not all(t in listed or t in places or t in REGION_WORDS for t in right.tokens):
        return False
    return sum(len(t) for t in left.tokens if t not in GENERIC_WORDS) >= CONTAINED_NAME_LETTERS


def _descriptor_translated(left: Name, right: Name, pairs: list[tuple[str, str, float]]) -> bool:
    """Across scripts: every distinctive word of the Latin name matched, and what is left on the Latin
    side is business words (Trading, Industries) while words are left on the other side too: they are
    likely the same business words translated ("Maung Win Trading" / မောင်ဝင်း ကုန်သွယ်ရေး), which no
    transliteration can tell. Such a name is a review, not a match and not a miss."""
    latin, other = (left, right) if right.foreign_script else (right, left)
    # only strong pairs count (same word, spelling or skeleton): a loosely alike syllable of a person's
    # name ("hyeon" / "Hunjin") is no evidence for a company
    strong = {a if latin is left else b for a, b, s in pairs if s >= TRANSLATED_DESCRIPTOR_PAIR}
    on_other = {b if latin is left else a for a, b, _ in pairs}
    latin_out = [t for t in latin.tokens if t not in strong]
    # words the glossary already translated are known: another business word, not a possible translation
    other_out = [t for t in other.tokens if t not in on_other and t not in LATIN_CONCEPTS]
    # (a nationality, "Libyan", says which country, not which company: a given name alike to it is no evidence)
    distinctive = [t for t in latin.tokens if t not in GENERIC_WORDS and not _nationality(t)]
    # two distinctive words; or one long one with at least two business words ("Bahmani" is a person's
    # name as much as "X Group" is a company's: one word and one business word are too little)
    enough = len(distinctive) >= 2 or (
        sum(len(t) for t in distinctive) >= TRANSLATED_DESCRIPTOR_LETTERS and len(latin_out) >= 2)
    return (bool(latin_out and other_out and distinctive) and enough
            and all(t in GENERIC_WORDS for t in latin_out) and all(t in strong for t in distinctive))


_NATIONALITY_ENDINGS: Final = ("n", "an", "ian", "i", "ese", "ish")


def _nationality(word: str) -> bool:
    """A country's adjective made by a regular ending (Libyan, Syrian, Iranian, Iraqi, Lebanese)."""
    countries = country_words()
    return any(word.endswith(ending) and (word[:-len(ending)] in countries or word[:-len(ending)] + "a" in countries)
               for ending in _NATIONALITY_ENDINGS)


def is_business_word(word: str) -> bool:
    """A generic business word or a glossary word: kept as it is when a name's words are folded to
    romanisation keys (the other side has it in English too), and no evidence of which party it is."""
    return word in GENERIC_WORDS or word in LATIN_CONCEPTS


def _folded(words: tuple[str, ...], key: Callable[[str], str]) -> tuple[str, ...]:
    """The words folded by a romanisation key, business words kept."""
    return tuple(w if is_business_word(w) else key(w) for w in words)


def _burmese_keyed(name: Name) -> Name:
    """The name with its words folded to Burmese romanisation keys (business words kept)."""
    return name.replaced(tokens=_folded(spoken_tokens(name), burmese_key),
                         qualifiers=_folded(name.qualifiers, burmese_key), compact="")


def _syllables_kept(name: Name) -> Name:
    """A name in CJK characters with all its syllables; a Latin one with the stop words that are pinyin
    syllables ("Heng Da Trading" against 恒达贸易)."""
    stop_words = STOP_WORDS if name.cjk else CHINESE_SYLLABLE_STOP_WORDS
    tokens = spoken_tokens(name, stop_words)
    return name if tokens == name.tokens else name.replaced(tokens=tokens, compact="")


# Wade-Giles (Taiwan's spelling: Taipei, Kaohsiung, Hsinchu, Chang, Tsai) and pinyin (Taibei, Gaoxiong,
# Xinzhu, Zhang, Cai) folded to one key, as are Korean romanisations of final consonants (byeog/byeok)
# and of the vowels eo and eu (Jeong/Jong, Eun/Un):
# the aspiration marks that told ch/ch' or k/k' apart are dropped in practice, so the pairs merge.
_ROMANISATION_FOLDS: Final = (("hs", "x"), ("tz", "z"), ("ts", "z"), ("zh", "j"), ("ch", "j"), ("q", "j"), ("c", "z"),
                              ("k", "g"), ("t", "d"), ("p", "b"), ("ung", "ong"), ("ieh", "ie"), ("ien", "ian"),
                              ("ih", "i"), ("eo", "o"), ("eu", "u"))
_ROMANISATION_SPELLINGS: Final = spelling_rules(_ROMANISATION_FOLDS)
# (a word's romanisation key holds each of these letters of the word)
ROMANISATION_KEPT: Final = kept_letters(_ROMANISATION_SPELLINGS)


@lru_cache(maxsize=100_000)
def romanisation_key(token: str) -> str:
    """One key for the Wade-Giles and pinyin spellings of Chinese syllables (used across scripts only)."""
    return romanised(token)


def romanised(token: str) -> str:
    """romanisation_key without its cache: for the runs of words of a list's names, nearly all different,
    which would only churn the cache."""
    return respell(token, _ROMANISATION_SPELLINGS)


def _romanisation_keyed(name: Name) -> Name:
    """A name compared with one in CJK characters: its words folded to romanisation keys (business
    words, which the glossary put in English, kept as they are)."""
    tokens = _folded(name.tokens, romanisation_key)
    return name if tokens == name.tokens else name.replaced(tokens=tokens, compact="")


def _merge_split_words(tokens: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """Join neighbouring tokens that the other name writes as one word ("jin ping" -> "jinping").

    (The other name's few words are searched as a tuple, and a run is joined only when the other name
    has a word of its length: most runs are not, and this runs for every pair of names scored.)"""
    if len(tokens) < 2 or _all_in(other, tokens):
        return tokens
    merged: list[str] = []
    position = 0
    while position < len(tokens):
        width = _joined_width(tokens, position, other)
        if width:
            merged.append("".join(tokens[position:position + width]))
            position += width
        else:
            merged.append(tokens[position])
            position += 1
    return tuple(merged)


def _joined_width(tokens: tuple[str, ...], position: int, other: tuple[str, ...]) -> int:
    """3 or 2 when that many tokens from `position` joined are one word of the other name (the longer
    run first); 0 when neither is. (Runs past the end are not joined.)"""
    width = 3
    while width >= 2:
        if position + width <= len(tokens):
            length = len(tokens[position]) + len(tokens[position + 1])
            if width == 3:
                length += len(tokens[position + 2])
            if _has_length(other, length) and "".join(tokens[position:position + width]) in other:
                return width
        width -= 1
    return 0


def _all_in(words: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    return all(word in tokens for word in words)


def _has_length(words: tuple[str, ...], length: int) -> bool:
    return any(len(word) == length for word in words)


def _initials(joined: str) -> str:
    return "".join(word[0] for word in joined.split("+")) if "+" in joined else ""


def _merge_initialisms(tokens: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """Join the words that a word of the other name abbreviates by their initials ("united states" for
    "us", "peoples liberation army" for "pla") into one word, "united+states", that the initialism
    matches as an abbreviation. Two letters alone ("N.N.") are too little to stand for a name."""
    if len(tokens) < 2:
        return tokens
    initials = ""
    for short in other:
        size = len(short)
        if not INITIALISM_MIN <= size <= INITIALISM_MAX or (size < 3 and len(other) < 2):
            continue
        initials = initials or "".join(word[0] for word in tokens)
        start = initials.find(short)
        while start >= 0 and short not in tokens:
            run = tokens[start:start + size]
            if all(len(word) > 1 for word in run):
                tokens = (*tokens[:start], "+".join(run), *tokens[start + size:])
                initials = ""
                break
            start = initials.find(short, start + 1)
    return tokens


@lru_cache(maxsize=10_000)  # (the reuse is mostly within one query: a few MiB at most)
def _cached_coverage(left_tokens: tuple[str, ...], left_qualifiers: tuple[str, ...], right_tokens: tuple[str, ...],
                     right_qualifiers: tuple[str, ...], cross_script: bool, lenient: bool, exact: bool,
                     syllabic: bool) -> tuple[float, tuple[tuple[str, str, float], ...], tuple[str, ...]]:
    """_coverage depends on the words and annotations only (but for Hebrew and Arabic, whose glossed
    spellings take part): the index scores many listed names with the same words against one query
    ("Norlo Ltd", "Norlo FZE", "Norlo Inc."), two in five of its comparisons on the benchmark list."""
    base, pairs, reasons = _coverage(left_tokens, left_qualifiers, right_tokens, right_qualifiers, cross_script,
                                     lenient, False, exact, syllabic)
    return base, tuple(pairs), tuple(reasons)


def _coverage(left_tokens: tuple[str, ...], left_qualifiers: tuple[str, ...], right_tokens: tuple[str, ...],
              right_qualifiers: tuple[str, ...], cross_script: bool, lenient: bool, abjad: bool = False,
              exact: bool = False, syllabic: bool = False, spelled: Mapping[str, str] | None = None,
              ) -> tuple[float, list[tuple[str, str, float]], list[str]]:
    """Share of both names' tokens covered by a one-to-one alignment, with the aligned pairs.

    Against a name in CJK characters (`syllabic`) words are compared as syllables (_syllable_similarity).
    `spelled` (Hebrew and Arabic only) maps a glossed word to its own transliteration (Name.glossed).

    Qualifiers (bracketed or comma-separated annotations, and the given names of "LAST, First") are
    optional: they count when they match a word of the other name and cost nothing when they do not.
    """
    left = _merge_split_words(left_tokens, right_tokens)
    right = _merge_split_words(right_tokens, left_tokens)
    left, right = _merge_initialisms(left, right), _merge_initialisms(right, left)
    left_all = (*left, *left_qualifiers)
    right_all = (*right, *right_qualifiers)
    alike: Callable[[str, str], tuple[float, str]] | None = None
    if exact:
        alike = _exact_similarity
    elif syllabic:
        alike = _syllable_similarity
    elif abjad and spelled:  # הזהב: "gold", and "Hazahav"

        def alike(a: str, b: str) -> tuple[float, str]:
            best = _token_similarity(a, b, cross_script, lenient, abjad)
            for word, other in ((a, b), (b, a)):
                if word in spelled and best[0] < 1.0:
                    best = max(best, _token_similarity(spelled[word], other, cross_script, lenient, abjad))
            return best
    # Pairs of words not alike at all are never aligned, so they are left out before sorting (most pairs:
    # the sort is of the few that may align). The common case calls the cached _token_similarity
    # directly, without a Python frame per pair of words.
    if alike is None:
        candidates = [(found, i, j) for i, a in enumerate(left_all) for j, b in enumerate(right_all)
                      if (found := _token_similarity(a, b, cross_script, lenient, abjad))[0] > 0]
    else:
        candidates = [(found, i, j) for i, a in enumerate(left_all) for j, b in enumerate(right_all)
                      if (found := alike(a, b))[0] > 0]
    candidates.sort(reverse=True)
    size_left, size_right = len(left), len(right)
    used_left: set[int] = set()
    used_right: set[int] = set()
    pairs: list[tuple[str, str, float]] = []
    other_endings = 0  # pairs alike by their consonant skeletons, but another ending (Fadril / Fadrli)
    core_matched = 0  # words of the names (not annotations) aligned, both sides together
    annotations_matched = 0
    for (similarity, kind), i, j in candidates:
        if i in used_left or j in used_right:
            continue
        if i >= size_left and j >= size_right:
            continue  # two annotations matching each other say nothing about the names
        used_left.add(i)
        used_right.add(j)
        pairs.append((left_all[i], right_all[j], similarity))
        if kind == "skeleton" and not _same_ends(left_all[i], right_all[j]):
            other_endings += 1
        core = (i < size_left) + (j < size_right)
        core_matched += core
        annotations_matched += 2 - core
    counted = size_left + size_right + annotations_matched
    base = 100.0 * 2 * sum(s for _, _, s in pairs) / counted
    unmatched_count = size_left + size_right - core_matched
    base -= UNMATCHED_PENALTY * unmatched_count
    left_out = [t for i, t in enumerate(left) if i not in used_left]
    right_out = [t for j, t in enumerate(right) if j not in used_right]
    reasons = [f"matched words: {', '.join(a if a == b else f'{a}~{b}' for a, b, _ in pairs) or 'none'}"]
    strong = [pair for pair in pairs if pair[2] >= 0.85 and pair[0] in left and pair[1] in right] if lenient else []
    if (lenient and len(strong) >= 2 and len(strong) == len(pairs) and not (left_out and right_out)
            and not other_endings):
        # A person named with fewer of their names (no patronymic, one given name) is the same person;
        # a different name on both sides is not. Partial names go to review, not block. A name alike by
        # its consonants but ending otherwise (Fadril / AL-FADRLI, Sultan / SOLTANI) is another name, too
        # weak to stand beside a missing one; inner vowels written otherwise (Hamid / Hamed) are a spelling.
        shorter = min(len(left), len(right))
        partial = 100.0 * sum(s for a, b, s in pairs if a in left and b in right) / shorter
        partial -= PARTIAL_NAME_PENALTY * len(left_out or right_out)
        if partial > base:
            base = min(partial, PARTIAL_NAME_CAP) if left_out or right_out else partial
            if left_out or right_out:
                reasons.append("part of the listed person's names")
    unmatched = left_out + right_out
    if unmatched:
        reasons.append(f"unmatched: {', '.join(unmatched)}")
    if lenient and left_out and right_out and base > OTHER_NAME_CAP:
        # every given name alike but another family name: namesakes, however long the names they share
        base = OTHER_NAME_CAP
        reasons.append("a different name on each side (another person?)")
    return base, pairs, reasons


@lru_cache(maxsize=100_000)
def _syllable_similarity(a: str, b: str) -> tuple[float, str]:
    """Words against a name in CJK characters: each syllable is a character, so no typos, skeletons or
    abbreviations (ming is not ping, yang is not cheng); only the same syllable in another spelling, an
    initial, or a business word and its translation."""
    if a == b:
        return 1.0, "exact"
    if phonetic(a) == phonetic(b):
        return 0.95, "spelling"
    if len(a) == 1 or len(b) == 1:
        return (0.8, "initial") if a[0] == b[0] else (0.0, "")
    if same_concept(a, b):
        return TRANSLATION_SIMILARITY, "translation"
    return 0.0, ""


def _exact_similarity(a: str, b: str) -> tuple[float, str]:
    return (1.0, "exact") if a == b else (0.0, "")


SIMILAR_PAIRS_KEPT: Final = 500_000  # pairs of words compared, kept (all forgotten when full)
# Per way of comparing (cross_script, lenient, abjad as three bits), word -> other word -> how alike.
_similar_pairs: Final[list[dict[str, dict[str, tuple[float, str]]]]] = [{} for _ in range(8)]
_similar_kept = [0]


def _token_similarity(a: str, b: str, cross_script: bool, lenient: bool, abjad: bool = False
                      ) -> tuple[float, str]:
    """How alike two tokens are (0-1) and why; cached, since the words of listed names meet the same query
    words again and again. (Two dictionaries keyed by a word each, with the hashes the words keep: a
    never-seen name asks about a hundred pairs, and functools.lru_cache, keyed by a tuple of the five
    arguments, cost about 540 instructions a call, several times this look-up.)"""
    way = (4 if cross_script else 0) + (2 if lenient else 0) + (1 if abjad else 0)
    words = _similar_pairs[way].get(a)
    if words is None:
        words = _similar_pairs[way][a] = {}
    found = words.get(b)
    if found is None:
        found = _similarity(a, b, cross_script, lenient, abjad)
        if _similar_kept[0] >= SIMILAR_PAIRS_KEPT:  # (shared by threads: dictionary operations are atomic)
            for kept in _similar_pairs:
                kept.clear()
            _similar_kept[0] = 0
            words = _similar_pairs[way][a] = {}
        words[b] = found
        _similar_kept[0] += 1
    return found


def _similarity(a: str, b: str, cross_script: bool, lenient: bool, abjad: bool) -> tuple[float, str]:
    """How alike two tokens are (0-1) and why (not cached: _token_similarity)."""
    if a == b:
        return 1.0, "exact"
    if phonetic(a) == phonetic(b) or (a in PATRONYMIC_WORDS and b in PATRONYMIC_WORDS):
        return 0.95, "spelling"
    # (the cheap tests before the calls are the calls' own first conditions: most pairs fail them)
    if lenient:
        if len(a) - len(b) in (1, -1) and _baltic_ending(a, b):
            return 0.9, "spelling"
    elif a in LATIN_CONCEPTS and same_concept(a, b):  # a business word in two languages (Gvino / Wine)
        return TRANSLATION_SIMILARITY, "translation"
    # abbreviations and typos keep the first letter: most pairs of words differ there, and skip the calls
    same_first = a[:1] == b[:1]
    if same_first and (_is_abbreviation(a, b, lenient) or _is_abbreviation(b, a, lenient)):
        return 0.9, "abbreviation"
    if "+" in a or "+" in b:  # words joined for an initialism of the other name
        return (INITIALISM_SIMILARITY, "initialism") if _initials(a) == b or _initials(b) == a else (0.0, "")
    if len(a) == 1 or len(b) == 1:
        return (0.8, "initial") if a[0] == b[0] else (0.0, "")
    shortest = min(len(a), len(b))
    if cross_script:
        la, lb = loose_skeleton(a), loose_skeleton(b)
        # (two consonants are enough only from an abjad, which writes no vowels: from Devanagari, which
        # writes them, "ram" is not "Ebrahim" nor "dvivedi" "Dawood")
        if len(la) >= (2 if abjad else 3) and la == lb:
            return 0.9, "transliteration"
        if abjad and shortest >= 3:
            ka, kb = abjad_skeleton(a), abjad_skeleton(b)
            if ka and ka == kb:  # also one consonant left, as weaker evidence: נוה (nvh) / Naveh
                return (0.85 if len(ka) > 1 else ABJAD_ONE_CONSONANT), "transliteration"
        if min(len(la), len(lb)) >= 3 and Indel.normalized_similarity(la, lb) >= 0.75:
            return 0.8, "transliteration"
    # (a person's name alike to another in two consonants, Hollu / Khalal, is another name; in other names
    # a word alike in sound only is capped and is not enough alone: _alike_in_sound_only)
    if shortest >= 4 and skeleton(a) == skeleton(b) and (not lenient or len(skeleton(a)) >= SKELETON_MIN_LETTERS):
        return SKELETON_SIMILARITY, "skeleton"
    # The ratio is at most 200 * shortest / (len(a) + len(b)) (an Indel distance is at least the length
    # difference). Under 75 no test below can pass: the typo test needs at most two letters more on one
    # side of at least four, which keeps that bound over 80. Most pairs of a never-seen word with a
    # listed name's words are this far apart, and the call costs more than the rest of this function.
    if 8 * shortest < 3 * (len(a) + len(b)):
        return 0.0, ""
    ratio = fuzz.ratio(a, b)
    if lenient and ratio >= 75:
        return ratio / 100.0, "typo"
    if (ratio >= 85 and shortest >= 6) or (same_first and _is_typo(a, b, ratio)):
        if _is_plural(a, b) or _is_plural(b, a) or _nasal_final(a, b) or _nasal_final(b, a):
            return 0.0, ""  # Star/Stars, Kaptan/Kaptanlar: another ship or business, not a typo; Xin/Xing
        return TYPO_SIMILARITY, "typo"
    return 0.0, ""


def _sounds_alike_only(a: str, b: str, lenient: bool, cross_script: bool, abjad: bool) -> bool:
    """Two different words that the phonetic keys take for one: in an organisation's name the same
    consonants ("Exports" / "Experts"), in any name j for y at the start of a word otherwise the same
    ("Jinqiao" / "Yinqiao": two pinyin syllables). Alike enough for a review, not for a block."""
    if a == b or "+" in a or "+" in b:
        return False
    if {a[:1], b[:1]} == {"j", "y"} and a[1:] == b[1:]:
        return True
    return not lenient and not cross_script and _token_similarity(a, b, cross_script, lenient, abjad)[1] == "skeleton"


def _same_ends(a: str, b: str) -> bool:
    """The same first and last letter: words alike by their consonants that differ in inner vowels only."""
    return a[:1] == b[:1] and a[-1:] == b[-1:]


def _alike_in_sound_only(a: str, b: str) -> bool:
    """Two words of organisations or vessels that only their consonant skeletons make one (Telvar / Talivar, Dorvel /
    Darvil), not a slip of one letter either (Talvar / Talivar is a typo): invented or other words that
    sound alike. As the only distinctive word two names share, too little for a review."""
    if _token_similarity(a, b, False, False)[1] != "skeleton":
        return False
    return not _is_typo(a, b, fuzz.ratio(a, b))


def _baltic_ending(a: str, b: str) -> bool:
    """A person's name with the Latvian or Lithuanian nominative -s (Sergejs Lavrovs / Sergey Lavrov)."""
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return (len(shorter) >= 4 and longer[-1] == "s" and len(longer) == len(shorter) + 1
            and phonetic(longer[:-1]) == phonetic(shorter))


def _is_typo(a: str, b: str, ratio: float) -> bool:
    """A slip of one letter in a word of four to eight letters, two in a longer word (Korvex/Korvel,
    Zaltrexium/Zaltroxiun).

    Not a typo: words of three letters or fewer (Hai/Wai: no room for one), another first letter
    (Metal/Petal, Tiger/Liger: a different word, and people rarely mistype the first letter), and -n
    against -ng (Haoxin/Haoxing: two different syllables in Chinese and Korean romanisation).
    """
    shorter, longer = sorted((len(a), len(b)))
    if shorter < TYPO_MIN_LENGTH or a[0] != b[0]:
        return False
    allowed = 1 if shorter < TYPO_TWO_EDITS_LENGTH else 2
    # cheap bounds first: the length difference, and the Indel distance (from the ratio already
    # computed), which is at most twice the Levenshtein distance
    if longer - shorter > allowed or (100.0 - ratio) * (shorter + longer) > 100.0 * 2 * allowed + 1e-6:
        return False
    # (optimal string alignment: two letters swapped, "Ildeb" for "Idleb", is one slip, not two)
    return OSA.distance(a, b, score_cutoff=allowed) <= allowed


def _nasal_final(n_word: str, ng_word: str) -> bool:
    return n_word.endswith("n") and ng_word == n_word + "g"


_PLURAL_ENDINGS: Final = ("s", "es", "lar", "ler", "leri", "lari")


def _is_plural(single: str, plural: str) -> bool:
    """English, Romance and Turkish plurals of the same word (organisation and vessel names only)."""
    return len(single) >= 3 and plural.startswith(single) and plural[len(single):] in _PLURAL_ENDINGS


def _is_abbreviation(short: str, long: str, lenient: bool = False) -> bool:
    """"mgmt" abbreviates "management": same first letter, letters in order, much shorter.

    In an organisation's name, three first letters of a distinctive word are another name, not its
    abbreviation (Bay / Baykal); of a business word they are one (Ind / Industries). People's given
    names are shortened that way (Ben / Benjamin, Sam / Samuel)."""
    if len(short) < 3 or len(short) > 0.6 * len(long) or short[0] != long[0]:
        return False
    if not lenient and len(short) == 3 and long.startswith(short) and long not in GENERIC_WORDS:
        return False
    return in_order(short, long)


def _apply_legal_forms(left: Name, right: Name, score: float, notes: list[str]) -> float:
    if not left.legal_forms or not right.legal_forms:
        return score  # (relation "missing": nothing to say, and no notes to format)
    relation = legal_forms.relation(left.legal_forms, right.legal_forms)
    forms = "/".join(f.code for f in left.legal_forms) or "-", "/".join(f.code for f in right.legal_forms) or "-"
    if relation == "conflict":
        notes.append(f"legal forms of different jurisdictions ({forms[0]} vs {forms[1]})")
        return score - LEGAL_FORM_CONFLICT
    if relation == "compatible":
        notes.append(f"legal forms compatible ({forms[0]} vs {forms[1]})")
        return score - LEGAL_FORM_COMPATIBLE
    if relation == "same":
        notes.append(f"same legal form ({forms[0]})")
    return score


def _apply_country_words(left: Name, right: Name, pairs: list[tuple[str, str, float]], score: float,
                         notes: list[str]) -> float:
    if left.vessel_prefix or right.vessel_prefix:
        return score  # a flag or port of registry, not a subsidiary
    countries = country_words()
    if not (_any_in(left.tokens, countries) or _any_in(right.tokens, countries)
            or _any_in(left.qualifiers, countries) or _any_in(right.qualifiers, countries)):
        return score  # no country word on either side (most names): the sets below would both be empty
    aligned = {word for a, b, _ in pairs for word in (a, b)}  # "Chima" for "China" is a typo, not a country
    left_words = {w for w in (*left.tokens, *left.qualifiers) if w in countries and w not in aligned}
    right_words = {w for w in (*right.tokens, *right.qualifiers) if w in countries and w not in aligned}
    if left_words != right_words:
        notes.append(f"country in one name only ({', '.join(sorted(left_words ^ right_words))})")
        return score - COUNTRY_WORD_PENALTY
    return score


def _any_in(words: tuple[str, ...], known: frozenset[str]) -> bool:
    # (not frozenset.isdisjoint: a method call on a few words cost more than the look-ups themselves;
    # mypyc compiles any() over a generator to a loop)
    return any(word in known for word in words)


def _apply_caps(left: Name, right: Name, pairs: list[tuple[str, str, float]], score: float,
                notes: list[str], numeral_cap: float, variant_numeral_cap: bool, lenient: bool = False) -> float:
    if _numerals_differ(left.numerals, right.numerals):
        notes.append(f"numbers differ ({' '.join(left.numerals) or '-'} vs {' '.join(right.numerals) or '-'})")
        score = min(score, numeral_cap)
    elif left.numerals != right.numerals and _small_numeral(_added_numbers(left.numerals, right.numerals)):
        if variant_numeral_cap:  # an organisation: "X 7" is a suspicious variant of X
            notes.append(f"a number on one side only ({' '.join(_added_numbers(left.numerals, right.numerals))})")
            score = min(score, ONE_SIDED_NUMERAL_CAP)
        else:  # a vessel or aircraft: "Ocean 1" is not the "Ocean"
            notes.append(f"numbers differ ({' '.join(left.numerals) or '-'} vs {' '.join(right.numerals) or '-'})")
            score = min(score, numeral_cap)
    # a word of an organisation or vessel alike to the other's in sound only (Telvar / Talivar) is no word
    # in common (people's names are spelled many ways: there the skeleton is a spelling)
    by_sound = not lenient and left.foreign_script == right.foreign_script
    distinctive = [(a, b, s) for a, b, s in pairs if s >= 0.75 and a not in GENERIC_WORDS and b not in GENERIC_WORDS]
    # (a skeleton pair scores SKELETON_SIMILARITY: the other pairs need no second look)
    if not any(s != SKELETON_SIMILARITY or not (by_sound and _alike_in_sound_only(a, b)) for a, b, s in distinctive):
        if _same_generic_name(left, right, pairs):
            notes.append("only business words, but all of them alike (the same generic name)")
            score = min(score, ONE_WORD_CAP)
        else:
            notes.append("no distinctive word in common" + (" (one alike in sound only)" if distinctive else ""))
            score = min(score, GENERIC_ONLY_CAP)
    if len(left.tokens) == 1 and len(right.tokens) == 1:
        notes.append("one-word names")
        score = min(score, ONE_WORD_CAP)
    elif len(pairs) == 1 and "+" in pairs[0][0] + pairs[0][1]:
        notes.append("an initialism alone")  # "PLA": as little to go on as a one-word name
        score = min(score, ONE_WORD_CAP)
    return score


def _same_generic_name(left: Name, right: Name, pairs: list[tuple[str, str, float]]) -> bool:
    """Two names made of the same three or more business words ("First International Bank" / "1st
    International Bank"): one name, though a weak one, so a review at most. Two business words ("Global
    Trading") are too common a pair to say anything, and a shared generic word among others
    ("International" in two different names) says nothing either: both stay capped."""
    strong = [(a, b) for a, b, s in pairs if s >= 0.9]
    ours, theirs = (*left.tokens, *left.qualifiers), (*right.tokens, *right.qualifiers)
    return (len(ours) >= SAME_GENERIC_NAME_WORDS and len(strong) == len(ours) == len(theirs)
            and {a for a, _ in strong} == set(ours) and {b for _, b in strong} == set(theirs))


def _is_series(name: Name) -> bool:
    """A fund, partnership or securitisation trust: numbered vintages of one sponsor, not one ship each."""
    return _any_in(name.tokens, SERIES_WORDS) or (
        bool(name.legal_forms) and any(form.code == "lp" for form in name.legal_forms))


def _numerals_differ(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """Different numbers on both sides are different ships or SPVs ("No. 3" / "No. 8"). A number on one
    side only is not another party: a large one is an annotation (a year, a registry number), a small
    one a suspicious variant (ONE_SIDED_NUMERAL_CAP)."""
    return bool(left and right) and left != right and not _added(left, right) and not _added(right, left)


def _added(fewer: tuple[str, ...], more: tuple[str, ...]) -> bool:
    """The numbers of one name all in the other, which has more: a number added ("PLANET 2 REACHING 2"),
    a variant as a number on one side only is."""
    if len(fewer) >= len(more):
        return False
    rest = list(more)
    for number in fewer:
        if number not in rest:
            return False
        rest.remove(number)
    return True


def _added_numbers(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    """The numbers one name has beyond the other's (a number on one side only, or added to a numbered name)."""
    fewer, more = (left, right) if len(left) < len(right) else (right, left)
    rest = list(more)
    for number in fewer:
        rest.remove(number)
    return tuple(rest)


def _small_numeral(numerals: tuple[str, ...]) -> bool:
    return any(int(n) < _LARGE_NUMBER for n in numerals)
