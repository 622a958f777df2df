"""PartyIndex: table-driven cases for what must match and what must not, plus the query cache."""

from __future__ import annotations

import random

import numpy as np
import pytest

from service.engine.parties import glossary
from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.hit import PartyHit
from service.engine.parties.index import (
    ROMANISATION_KEPT,
    SCRIPT_KEY_KINDS,
    PartyIndex,
    _tally,
    _union,
    held_forms,
    held_script_keys,
    script_keys,
)
from service.engine.parties.names import Name, normalise_name
from service.engine.verdict import Action, ListStamp

try:
    from service.engine.parties import _in_c
except ImportError:  # (not built: PURE_PYTHON_BUILD=1)
    _in_c = None  # type: ignore[assignment]

ENTRIES = [
    ListEntry(id="brevanti", source_list="test", name="Brevanti Trading LLC", countries=["AE"]),
    ListEntry(id="kessendorf", source_list="test", name="Kessendorf AG", countries=["DE"]),
    ListEntry(id="rosoboron", source_list="test", name="ROSOBORONEXPORT OAO", aliases=["Rosoboroneksport"],
              countries=["RU"]),
    ListEntry(id="kim", source_list="test", name="KIM, Jong Un", kind=EntryKind.PERSON, countries=["KP"]),
    ListEntry(id="sharp-edge", source_list="test", name="Sharp Edge Engineering Inc.", aliases=["銳元科技"],
              countries=["TW"]),
    ListEntry(id="global", source_list="test", name="Global Trading Company"),
    ListEntry(id="tornado", source_list="test", name="Tornado"),
    ListEntry(id="ocean", source_list="test", name="Ocean 1", kind=EntryKind.VESSEL),
    ListEntry(id="hoshikaze", source_list="test", name="Hoshikaze Maru No. 8", kind=EntryKind.VESSEL),
    ListEntry(id="qasr", source_list="test", name="Qasr Al Ghazalat General Trading"),
    ListEntry(id="moon", source_list="test", name="Pacific Moon Navigation Ltd", aliases=["Moon Star Shipping"]),
    ListEntry(id="putin", source_list="test", name="Владимир Путин", kind=EntryKind.PERSON),
    ListEntry(id="korvex", source_list="test", name="Korvex Mobil Corporation"),
    ListEntry(id="jadeport", source_list="test", name="Jadeport Trading Hong Kong Limited"),
    ListEntry(id="marrowby", source_list="test", name="Marrowby Leasing No. 3"),
]
STAMPS = [ListStamp(name="test", version="sha256:test", entries=len(ENTRIES))]


@pytest.fixture(scope="module")
def index() -> PartyIndex:
    return PartyIndex(ENTRIES, STAMPS, review_threshold=70, block_threshold=90)


FINDS = [
    # (case, query, expected entry, lowest acceptable action)
    ("exact", "Brevanti Trading LLC", "brevanti", Action.BLOCK),
    ("legal form added", "Brevanti Trading L.L.C.", "brevanti", Action.BLOCK),
    ("legal form missing", "Brevanti Trading", "brevanti", Action.BLOCK),
    ("legal form spelled out", "Brevanti Trading Limited Liability Company", "brevanti", Action.BLOCK),
    ("punctuation and case", "BREVANTI-TRADING, llc.", "brevanti", Action.BLOCK),
    ("reordered", "Trading Brevanti LLC", "brevanti", Action.BLOCK),
    ("person order", "Jong Un Kim", "kim", Action.BLOCK),
    ("person hyphen", "Kim Jong-un", "kim", Action.BLOCK),
    ("transliteration from Cyrillic", "Vladimir Putin", "putin", Action.BLOCK),
    ("transliteration variant", "Wladimir Putin", "putin", Action.REVIEW),
    ("Cyrillic homoglyph", "Sharp Edgе Engineering", "sharp-edge", Action.BLOCK),  # Cyrillic е
    ("alias in Chinese", "銳元科技", "sharp-edge", Action.REVIEW),
    ("alias", "Moon Star Shipping Co", "moon", Action.BLOCK),
    ("doubled letter", "Kessendorff AG", "kessendorf", Action.REVIEW),
    ("typo", "Sharp Edge Enginering Inc", "sharp-edge", Action.REVIEW),
    ("abbreviation", "Qasr Al Ghazalat Gen. Trading", "qasr", Action.REVIEW),
    ("romanisation", "Kasr El Ghazalat General Trading", "qasr", Action.BLOCK),
    ("vessel prefix", "MV Hoshikaze Maru No. 8", "hoshikaze", Action.BLOCK),
    ("vessel numeral written before", "No.8 Hoshikaze Maru", "hoshikaze", Action.BLOCK),
    ("fuller name of a listed one-word name", "Tornado Technologies Co., Ltd.", "tornado", Action.REVIEW),
    ("branch of a listed company", "Korvex Mobil Corporation Dubai Branch Office", "korvex", Action.REVIEW),
    # evasions: each at least a review
    ("a number on one side only", "Sharp Edge Engineering Inc. 7", "sharp-edge", Action.REVIEW),
    ("a numbered branch", "Brevanti Trading LLC Branch 2", "brevanti", Action.REVIEW),
    ("a representative office", "Korvex Mobil Corporation Representative Office", "korvex", Action.REVIEW),
    ("a division", "Kessendorf AG Division 4", "kessendorf", Action.REVIEW),
    ("first words run together", "SharpEdge Engineering", "sharp-edge", Action.REVIEW),
    ("words run together in capitals", "BREVANTITRADING LLC", "brevanti", Action.REVIEW),
    ("a word split", "Kessen Dorf AG", "kessendorf", Action.REVIEW),
    ("zero-width space", "Sharp\u200bEdge Engineering Inc.", "sharp-edge", Action.BLOCK),
    ("zero-width joiner and bidi controls", "Brevanti\u200d\u202eTrading\u202c LLC", "brevanti", Action.REVIEW),
    ("soft hyphen and word joiner", "Korvex\u00adMobil\u2060Corporation", "korvex", Action.REVIEW),
    ("full-width letters", "Ｂｒｅｖａｎｔｉ Ｔｒａｄｉｎｇ ＬＬＣ", "brevanti", Action.BLOCK),
    ("an inserted generic word", "Brevanti General Trading LLC", "brevanti", Action.REVIEW),
    ("abbreviated business word", "Brevanti Trdg LLC", "brevanti", Action.BLOCK),
    ("abbreviated place", "Jadeport Trdg HK Ltd", "jadeport", Action.BLOCK),
    ("the number left out", "Marrowby Leasing", "marrowby", Action.REVIEW),
]


@pytest.mark.parametrize(("case", "query", "entry_id", "lowest"), FINDS, ids=[f[0] for f in FINDS])
def test_finds(index: PartyIndex, case: str, query: str, entry_id: str, lowest: Action) -> None:
    hits = index.match(query)
    assert hits, f"{case}: no hit for {query!r}"
    assert hits[0].entry_id == entry_id
    if lowest is Action.BLOCK:
        assert hits[0].action is Action.BLOCK, hits[0]


MISSES = [
    ("sibling", "Brevanti Logistics LLC", "brevanti"),
    ("vessel numeral", "Ocean 2", "ocean"),
    ("vessel numeral", "Hoshikaze Maru No. 6", "hoshikaze"),
    ("numbers differ on both sides", "Marrowby Leasing No. 8", "marrowby"),
    ("a number added to a vessel", "Ocean", "ocean"),
    ("generic words only", "Global Trading Co", "global"),
    ("generic words only", "Zenith Global Trading Company", "global"),
    ("subsidiary in another country", "Kessendorf do Brasil Ltda.", "kessendorf"),
    ("namesake in another business", "Sharp Edge Dental Clinic", "sharp-edge"),
    ("other person", "Kim Jong Chol", "kim"),
]


@pytest.mark.parametrize(("case", "query", "entry_id"), MISSES, ids=[m[0] for m in MISSES])
def test_does_not_flag(index: PartyIndex, case: str, query: str, entry_id: str) -> None:
    assert entry_id not in {hit.entry_id for hit in index.match(query)}, case


def test_one_word_names_are_a_block_only_as_listed(index: PartyIndex) -> None:
    hits = index.match("TORNADO")
    assert hits and hits[0].entry_id == "tornado" and hits[0].action is Action.BLOCK
    assert "exactly as listed" in hits[0].explanation
    hits = index.match("Tornado Ltd")
    assert hits and hits[0].entry_id == "tornado" and hits[0].action is Action.REVIEW


def test_a_fuller_name_is_a_review_not_a_block(index: PartyIndex) -> None:
    hits = index.match("Tornado Technologies Co., Ltd.")
    assert hits and hits[0].entry_id == "tornado" and hits[0].action is Action.REVIEW
    assert "every word of one name is in the other" in hits[0].explanation


def test_a_typo_of_a_short_word_is_found_for_review_not_block(index: PartyIndex) -> None:
    hits = index.match("Korvel Mobil Corporation")
    assert hits and hits[0].entry_id == "korvex" and hits[0].action is Action.REVIEW
    assert "typo" in hits[0].explanation


def test_hits_explain_themselves(index: PartyIndex) -> None:
    hit = index.match("Moon Star Shipping", "HK")[0]
    assert (hit.list_name, hit.entry_id, hit.listed_name) == ("test", "moon", "Pacific Moon Navigation Ltd")
    assert hit.matched_name == "Moon Star Shipping"
    assert "alias" in hit.explanation and "moon" in hit.explanation


def test_country_is_supporting_evidence_only(index: PartyIndex) -> None:
    with_country = index.match("Sharp Edge Engineering Company", "TW")[0]
    without = index.match("Sharp Edge Engineering Company")[0]
    assert with_country.score >= without.score
    assert "TW" in with_country.explanation
    assert index.match("Unrelated Name Corp", "TW") == []


def test_results_are_best_first_and_stable(index: PartyIndex) -> None:
    hits = index.match("Moon Star")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert index.match("Moon Star") == hits


def test_query_cache_is_bounded_and_keyed_on_the_normalised_name() -> None:
    index = PartyIndex(ENTRIES, STAMPS, cache_size=2)
    first = index.match("Brevanti Trading LLC")
    assert index.match("BREVANTI TRADING, L.L.C.") == first  # same normalised name: served from cache
    assert index.cache_info().hits == 1
    index.match("Tornado")
    index.match("Ocean 1")
    info = index.cache_info()
    assert info.size == 2 and info.maxsize == 2 and info.misses == 3


def test_a_name_sent_again_as_before_is_answered_from_the_cache() -> None:
    index = PartyIndex(ENTRIES, STAMPS)
    first = index.match("Brevanti Trading LLC", "ae")
    first.clear()  # the caller's copy: the cache keeps its own
    again = index.match("Brevanti Trading LLC", "ae")
    assert again and again == index.match("Brevanti Trading LLC", "AE")  # (the country in any case)
    assert index.cache_info().hits == 2 and index.cache_info().misses == 1


def test_country_is_part_of_the_cache_key() -> None:
    index = PartyIndex(ENTRIES, STAMPS)
    index.match("Sharp Edge Engineering", "TW")
    index.match("Sharp Edge Engineering", None)
    assert index.cache_info().misses == 2


def test_stamps_and_thresholds(index: PartyIndex) -> None:
    assert index.stamps() == STAMPS
    with pytest.raises(ValueError, match="block_threshold"):
        PartyIndex(ENTRIES, STAMPS, review_threshold=90, block_threshold=80)


def _crowd(prefix: str, count: int, kind: EntryKind = EntryKind.PERSON) -> list[ListEntry]:
    """Listed names that share a word with the query, to crowd the candidate places."""
    syllables = ("ka", "lo", "ven", "tra", "mar", "zu", "rin", "del", "sho", "pe")
    return [ListEntry(id=f"{prefix}-{n}", source_list="crowd", kind=kind,
                      name=f"{prefix} {syllables[n % 10]}{syllables[n // 10 % 10]}{syllables[n // 100 % 10]}ov")
            for n in range(count)]


CROWDED = [
    # (case, listed, query, crowd word, kind)
    ("a spelling of Mohammed that shares no key with the listed one", "Mohammed bin Qasimi", "Mohamed bin Qasimi",
     "Mohammed", EntryKind.PERSON),
    ("a person named with more names, among many sharing two of them", "Farid Qorbani",
     "Farid Nasser Ahmad Qorbani", "Nasser Ahmad", EntryKind.PERSON),
    ("a typo sharing no key, among many with the same given name", "Dmitri Pavin", "Dmitri Parin", "Dmitri",
     EntryKind.PERSON),
    ("the query's former name", "Cape Diamond", "Ocean Pioneer (ex-Cape Diamond)", "Cape", EntryKind.VESSEL),
    ("written without spaces", "Zorbatek Velmar", "ZorbatekVelmar", "Zorbatek", EntryKind.PERSON),
]


@pytest.mark.parametrize(("case", "listed", "query", "crowd", "kind"), CROWDED, ids=[c[0] for c in CROWDED])
def test_finds_in_a_crowded_list(case: str, listed: str, query: str, crowd: str, kind: EntryKind) -> None:
    entries = [ListEntry(id="target", source_list="test", name=listed, kind=kind), *_crowd(crowd, 60, kind)]
    if crowd == "Mohammed":  # the query's spelling is listed too, but rarely: its skeleton is the common one
        entries += _crowd("Mohamed", 3, kind)
    index = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    assert "target" in {hit.entry_id for hit in index.match(query)}, case


ACROSS_SCRIPTS = [
    # (case, listed, query, kind)
    ("Hebrew query, Latin listing", "Zafririm Kirur Umizug Ltd", "צפרירים קירור ומיזוג בע״מ", EntryKind.ORGANISATION),
    ("Chinese query, Wade-Giles listing", "Taipei Hengda Electronics Co., Ltd.", "臺北恆達電子有限公司",
     EntryKind.ORGANISATION),
    ("Arabic query with the article and a business word", "Al Rafidain Kirur Trading Company",
     "شركة الرافدين كيرور للتجارة", EntryKind.ORGANISATION),
    ("Latin query, Hebrew listing", "ירקון סטאר", "YARKON STAR", EntryKind.VESSEL),
]


@pytest.mark.parametrize(("case", "listed", "query", "kind"), ACROSS_SCRIPTS, ids=[c[0] for c in ACROSS_SCRIPTS])
def test_finds_names_from_another_script_among_many(case: str, listed: str, query: str, kind: EntryKind) -> None:
    """Names from another script share no spelling key with the listed one: script keys find them,
    here among names crowding every key they share (common words, common name pairs)."""
    crowd = [*_crowd("Ahmed Hassan", 40), *_crowd("Hengda", 40, EntryKind.ORGANISATION),
             *_crowd("Star", 40, EntryKind.VESSEL), *_crowd("Kirur", 40, EntryKind.ORGANISATION)]
    entries = [ListEntry(id="target", source_list="test", name=listed, kind=kind), *crowd]
    index = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    assert "target" in {hit.entry_id for hit in index.match(query)}, case
    index.prepare_scripts()  # built ahead or on first use: the same answer
    assert "target" in {hit.entry_id for hit in index.match(query)}, case


def test_preparing_for_other_scripts_compiles_the_glossary() -> None:
    """An index of Latin names reads no text that would compile the glossary's patterns: the service's
    preparation compiles them, so the first name in another script does not wait for them."""
    glossary._patterns.cache_clear()
    index = PartyIndex([ListEntry(id="a", source_list="test", name="Volga Instruments OOO")], STAMPS, cache_size=0)
    assert glossary._patterns.cache_info().currsize == 0
    index.prepare_scripts()
    assert glossary._patterns.cache_info().currsize == 1


def test_latin_names_find_the_names_listed_in_another_script_by_set_or_by_table() -> None:
    """A Latin query looks the keys of the few names listed in another script up in a set of them; with
    more such names than the set holds, in their key table. Both give the same answers."""
    listed = [ListEntry(id="yarkon", source_list="test", name="ירקון סטאר", kind=EntryKind.VESSEL),
              ListEntry(id="hengda", source_list="test", name="臺北恆達電子有限公司", kind=EntryKind.ORGANISATION),
              ListEntry(id="rafidain", source_list="test", name="شركة الرافدين كيرور للتجارة",
                        kind=EntryKind.ORGANISATION)]
    entries = [*listed, *_crowd("Star", 40, EntryKind.VESSEL), *_crowd("Hengda", 40, EntryKind.ORGANISATION)]
    queries = ["YARKON STAR", "Yarkon Star Shipping", "Taipei Hengda Electronics", "Al Rafidain Kirur Trading",
               "Kalovetra Star", "Hengda Trading", "Rafidain", "Norvik Trading LLC"]
    by_set = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    by_table = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    by_table._foreign_keys = None  # (as with more keys than FOREIGN_KEY_SET)
    found = {query: by_set.match(query) for query in queries}
    assert found == {query: by_table.match(query) for query in queries}
    assert "yarkon" in {hit.entry_id for hit in found["YARKON STAR"]}


@pytest.mark.parametrize("name", ["Kalovetra Star Shipping", "Taipei Hengda Electronics Co Ltd", "Rui Yuan Technology",
                                  "Yadanar Myay Linn", "Al Rafidain Kirur Trading", "Li Wei", "ירקון סטאר",
                                  "臺北恆達電子"])
def test_script_keys_of_some_kinds_are_those_kinds_of_all_the_keys(name: str) -> None:
    """A Latin query works out only the kinds of keys that the names listed in another script have: the
    same keys as all of them, those kinds kept, whatever the kinds asked for."""
    query = normalise_name(name)
    every = script_keys(query)
    assert every
    for kinds in ({"r:"}, {"b:"}, {"a:"}, {"r:", "b:"}, {"a:", "b:"}, {"a:", "r:"}, set(SCRIPT_KEY_KINDS)):
        assert script_keys(query, frozenset(kinds)) == {key for key in every if key[:2] in kinds}


def test_latin_names_work_out_only_the_kinds_of_keys_listed_in_another_script() -> None:
    """With one name listed in Chinese characters (romanisation and Burmese keys, no abjad key), a Latin
    query finds it as it did with all its keys worked out."""
    listed = ListEntry(id="ruiyuan", source_list="test", name="銳元科技", kind=EntryKind.ORGANISATION)
    entries = [listed, *_crowd("Yuan", 30, EntryKind.ORGANISATION)]
    limited = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    every = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    assert limited._foreign_kinds == frozenset({"r:", "b:"})
    every._foreign_kinds = None  # (every kind worked out, as before)
    queries = ["Rui Yuan Technology", "Ruiyuan Keji", "Kalovetra Yuan", "Yuan Trading", "Norvik Trading LLC"]
    found = {query: limited.match(query) for query in queries}
    assert found == {query: every.match(query) for query in queries}
    assert "ruiyuan" in {hit.entry_id for hit in found["Rui Yuan Technology"]}


LISTED_IN_OTHER_SCRIPTS = [("臺北恆達電子有限公司", EntryKind.ORGANISATION), ("銳元科技", EntryKind.ORGANISATION),
                           ("ירקון סטאר", EntryKind.VESSEL), ("شركة الرافدين كيرور للتجارة", EntryKind.ORGANISATION),
                           ("ရတနာမြေ", EntryKind.ORGANISATION), ("李偉", EntryKind.PERSON)]
LATIN_NEAR_THEM = ["Taipei Hengda Electronics", "Tai Bei Heng Da", "Rui Yuan Technology", "Ruiyuan Keji", "Yarkon Star",
                   "Al Rafidain Kirur Trading", "Rafidayn", "Yadanar Myay", "Yadana Mye", "Li Wei", "Lee Way", "Hengda",
                   "Kalovetra Yuan", "Norvik Trading LLC", "Sakura Precision KK", "Anatolia Lojistik",
                   "Taib Eiheng Da", "Ruiyu An", "Rui Yu An", "Yadan Armye", "Yada Namye"]  # (split elsewhere)


def _latin_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    syllables = ["ka", "lo", "ve", "tra", "mar", "zu", "ri", "del", "sho", "pe", "qua", "bri", "no", "ax", "te", "yu",
                 "an", "ui", "hs", "tz", "ch", "eng", "ta", "bei", "da", "wei", "li", "ra", "fi", "dan", "ya", "my"]
    return [" ".join("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 4)))
            for _ in range(count)]


@pytest.mark.parametrize("listed", [LISTED_IN_OTHER_SCRIPTS[:1], LISTED_IN_OTHER_SCRIPTS[1:2],
                                    LISTED_IN_OTHER_SCRIPTS[2:4], LISTED_IN_OTHER_SCRIPTS[4:5],
                                    LISTED_IN_OTHER_SCRIPTS])
def test_a_latin_names_keys_that_may_be_held_are_all_its_held_keys(listed: list[tuple[str, EntryKind]]) -> None:
    """The keys worked out for the words and runs that may have a held key hold every held key that all of
    a Latin name's keys hold, of every kind; and most names are told they share none."""
    entries = [ListEntry(id=f"listed-{n}", source_list="test", name=name, kind=kind)
               for n, (name, kind) in enumerate(listed)]
    index = PartyIndex([*entries, *_crowd("Star", 10, EntryKind.VESSEL)], STAMPS, cache_size=0)
    held = index._foreign_keys
    assert held is not None
    forms = held_forms(held)
    assert forms is not None
    # (and each kind alone, so that no kind's check leans on another's)
    kinds = {kind: frozenset(key for key in held if key.startswith(kind)) for kind in forms}
    alone = {kind: held_forms(keys) for kind, keys in kinds.items()}
    told = shared = 0
    for name in [*LATIN_NEAR_THEM, *_latin_names(1500, len(listed))]:
        query = normalise_name(name)
        keys = script_keys(query)
        maybe = held_script_keys(query, forms)
        assert maybe <= keys, name
        assert maybe & held == keys & held, name
        told += not maybe
        shared += bool(keys & held)
        for kind, forms_of_kind in alone.items():
            assert forms_of_kind is not None
            assert held_script_keys(query, forms_of_kind) & kinds[kind] == keys & kinds[kind], (kind, name)
    assert told >= 300  # (of 1,516 names: made of syllables of the names listed, to meet their keys often)
    assert shared  # (and some do share one)


def test_latin_names_told_they_share_no_script_key_find_what_they_found() -> None:
    entries = [*[ListEntry(id=f"listed-{n}", source_list="test", name=name, kind=kind)
                 for n, (name, kind) in enumerate(LISTED_IN_OTHER_SCRIPTS)],
               *_crowd("Yuan", 30, EntryKind.ORGANISATION), *_crowd("Star", 30, EntryKind.VESSEL)]
    told = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    every = PartyIndex(entries, STAMPS, max_postings=20, cache_size=0)
    assert told._held_forms is not None
    every._held_forms = None  # (every Latin name works its keys out, as before the check)
    queries = [*LATIN_NEAR_THEM, *_latin_names(300, 99)]
    found = {query: told.match(query) for query in queries}
    assert found == {query: every.match(query) for query in queries}
    assert "listed-1" in {hit.entry_id for hit in found["Rui Yuan Technology"]}


def test_many_names_listed_in_another_script_are_looked_up_without_the_check() -> None:
    assert held_forms(frozenset(f"r:key{number}" for number in range(65))) is None
    forms = held_forms(frozenset({"r:yuan", "b:yuan", "b:luan", "a:rpdn"}))
    assert forms is not None
    assert list(forms) == ["r:", "b:", "a:"]
    assert [forms[kind].values for kind in forms] == [("yuan",), ("luan", "yuan"), ("rpdn",)]
    assert "l" in ROMANISATION_KEPT and "l" in forms["r:"].telling and "l" not in forms["b:"].telling


def test_conflicting_legal_forms_are_under_review_whatever_the_words(index: PartyIndex) -> None:
    # the index skips scoring such names (PartyIndex._forms_rule_out): the scorer's legal-form conflict
    # must keep even the very same words under review, country boost included
    assert index.match("Kessendorf Sdn. Bhd.", "DE") == []
    lenient = PartyIndex(ENTRIES, STAMPS, review_threshold=60, block_threshold=90)
    hit = lenient.match("Kessendorf Sdn. Bhd.", "DE")[0]
    assert hit.entry_id == "kessendorf" and "legal forms of different jurisdictions" in hit.explanation


def test_a_numbered_name_is_found_among_its_whole_series() -> None:
    """Hundreds of aircraft share the only word "YV": the keys hold no numerals, so all tie; the
    numerals decide which of them are scored."""
    series = [ListEntry(id=f"yv{n}", source_list="test", name=f"YV{n}", kind=EntryKind.AIRCRAFT)
              for n in range(2000, 2300)]
    target = ListEntry(id="target", source_list="test", name="YV1004", kind=EntryKind.AIRCRAFT)
    index = PartyIndex([*series, target], STAMPS, max_postings=20, cache_size=0)
    assert [hit.entry_id for hit in index.match("YV1004")] == ["target"]


def test_an_entry_reports_its_primary_name_when_an_alias_scores_the_same() -> None:
    """(The alias, the same words in another order, scores the same and ties with the primary name for
    a candidate place; among the many Norvik Trading companies the tie is broken by row.)"""
    entry = ListEntry(id="target", source_list="test", name="Norvik Trading LLC", aliases=["Trading Norvik LLC"])
    crowd = [ListEntry(id=f"crowd-{n}", source_list="test", name=f"Norvik Trading {word}")
             for n, word in enumerate(("Marine", "Energy", "Holdings", "Supply", "Global", "Precision", "Group",
                                       "Components", "Logistics", "Shipping", "Electronics", "Machinery"))]
    for entries in ([entry, *crowd], [*crowd, entry]):
        index = PartyIndex(entries, STAMPS, max_postings=5, cache_size=0)
        hit = next(hit for hit in index.match("Norvik Trading LLC") if hit.entry_id == "target")
        assert hit.matched_name == "Norvik Trading LLC"


def test_the_word_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each query word's rows are cached; ERP data brings endless new words (typos): the cache is
    cleared when it holds too many words or too many bytes of row arrays made for them."""
    import service.engine.parties.index as index_module

    monkeypatch.setattr(index_module, "WORD_CACHE", 5)
    index = PartyIndex(ENTRIES, STAMPS, cache_size=0)
    for n in range(40):
        index.match(f"Brevanti Tradinq{n} LLC")
    assert 0 < len(index._words) <= 5
    monkeypatch.setattr(index_module, "WORD_CACHE_BYTES", 0)
    index.match("Rosoboronexpor Kessendorff")  # typos; the last one's rows are a union of two keys', a copy
    assert len(index._words) == 1 and index._words_bytes > 0


def test_the_caches_keep_nothing_the_cycle_collector_walks_for_names_without_hits() -> None:
    """A server screening never-seen names adds an entry to the word and query caches for each: kept as
    plain tuples of strings, numbers and arrays, the cycle collector stops walking them after its first
    looks. (A named tuple, a list or a legal-form object in them is walked at every collection of its
    generation, for as long as the caches keep it.)"""
    import gc

    index = PartyIndex(ENTRIES, STAMPS, cache_size=100)
    for n in range(20):
        assert index.match(f"Zorvakil{n} Sharpedge Holdings Ltd", "AE") == []
    assert index.match("Sharp Edge Engineering Inc.")  # (a hit: its tuple holds PartyHit objects)
    for _ in range(6):  # (a tuple is let go only once what it holds is: one level of nesting a collection)
        gc.collect()
    walked = [kept for kept in (*index._cache.items(), *index._words.items()) if gc.is_tracked(kept[0])
              or (gc.is_tracked(kept[1]) and kept[1] and not isinstance(kept[1][0], PartyHit))]
    assert walked == []
    assert any(kept for kept in index._cache.values())


def _ranked_by_full_sort(index: PartyIndex, query: Name, rows: list[int], weights: list[float]) -> list[int]:
    """The candidate ranking as first written: more rows than places sorted (best first by shared weight less a
    hundredth per word of length difference, ties the higher row), and rows tied for the last places
    decided by the tie-break."""
    places = index._max_candidates
    if len(rows) <= places:  # every row is a candidate: no ranking
        return rows
    scores = np.array(weights) - 0.01 * np.abs(np.array([index._lengths[row] for row in rows]) - len(query.tokens))
    order = np.lexsort((-np.array(rows, dtype=np.int64), -scores)).tolist()
    cut = scores[order[places - 1]]
    if abs(scores[order[places]] - cut) >= 1e-9:
        return [rows[i] for i in order[:places]]
    tied = [i for i in order if abs(scores[i] - cut) < 1e-9]
    ahead = [i for i in order[:places] if scores[i] > cut + 1e-9]
    chosen = index._break_ties(query, np.array([rows[i] for i in tied], dtype=np.int32), places - len(ahead))
    return [rows[i] for i in ahead + [tied[i] for i in chosen]]


@pytest.mark.parametrize("in_c", [pytest.param(True, marks=pytest.mark.skipif(
    _in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")), False])
@pytest.mark.parametrize("size", [3, 10, 11, 12, 30, 64, 65, 200, 1000])
def test_candidates_are_ranked_as_by_a_full_sort(size: int, in_c: bool) -> None:
    # _ranked sorts a few rows in Python and finds the last place of many in numpy (a partition), then
    # ranks the rows near it as a few; in C it selects the last place's score and sorts the rows near it.
    # Each must give the full sort's order, ties and tie-break included.
    import random

    from service.engine.parties.names import normalise_name

    rng = random.Random(size)
    words = ["Norlo", "Trading", "Vector", "Marine", "Holdings", "Kavtel", "Ostra", "Delmin"]
    entries = [ListEntry(id=str(n), source_list="t", name=" ".join(rng.sample(words, rng.randint(1, 4))),
                         kind=EntryKind.ORGANISATION) for n in range(2000)]
    index = PartyIndex(entries, [ListStamp(name="t", version="1", entries=len(entries))])
    index._steps_in_c = in_c
    query = normalise_name("Norlo Vector Trading")
    for _ in range(20):
        rows = sorted(rng.sample(range(len(index)), size))
        if rng.random() < 0.3:
            rng.shuffle(rows)  # (rows kept by shared count come in that order)
        weights = [rng.choice((1.0, 1.5, 2.25, 3.0 + 1e-12)) for _ in rows]  # few values: many ties
        ranked, shared = index._ranked(query, np.array(rows, dtype=np.int32), np.array(rows, dtype=np.int64),
                                       np.array(weights))
        assert ranked == _ranked_by_full_sort(index, query, rows, weights), (size, rows, weights)
        assert shared == ranked  # (each row's count travels with it: here the count is the row)


@pytest.mark.parametrize("seed", range(40))
def test_union_is_union1d(seed: int) -> None:
    """_union stands in for np.union1d and np.unique on the index's ascending row arrays: same rows,
    same order and dtype, empty and overlapping inputs and three groups included."""
    rng = np.random.default_rng(seed)
    sizes = [0, 1, 5, 300][seed % 4], [0, 2, 40, 7][seed // 10 % 4]
    first, second = (np.unique(rng.integers(0, 60, size)).astype(np.int32) for size in sizes)
    united = _union(first, second)
    expected = np.union1d(first, second)
    assert united.dtype == expected.dtype
    assert united.tolist() == expected.tolist()
    third = np.unique(rng.integers(0, 90, seed)).astype(np.int32)
    assert _union(first, second, third).tolist() == np.unique(np.concatenate([first, second, third])).tolist()


@pytest.mark.parametrize("seed", range(40))
def test_tally_counts_and_weighs_each_row_over_its_groups(seed: int) -> None:
    """_tally against a loop over the groups: every row once, ascending, with how many groups hold it
    and their summed weights, groups apart and overlapping alike. (numpy's reduceat may add a run of
    three in another order than the loop: the sums agree to the last bits, which the ranking's 1e-9
    tolerance for ties absorbs.)"""
    rng = np.random.default_rng(seed)
    spread = (60, 100_000)[seed % 2]  # (overlapping groups, or groups with hardly a row in common)
    groups = [np.unique(rng.integers(0, spread, rng.integers(1, 50))).astype(np.int32)
              for _ in range(1 + seed % 4)]
    weights = [float(w) for w in rng.uniform(0.1, 12.0, len(groups))]
    counted: dict[int, int] = {}
    summed: dict[int, float] = {}
    for group, weight in zip(groups, weights, strict=True):
        for row in group.tolist():
            counted[row] = counted.get(row, 0) + 1
            summed[row] = summed.get(row, 0.0) + weight
    rows, counts, sums = _tally(groups, weights)
    assert rows.tolist() == sorted(counted)
    assert counts.tolist() == [counted[row] for row in sorted(counted)]
    assert sums.tolist() == pytest.approx([summed[row] for row in sorted(counted)], rel=1e-12, abs=0.0)


def _tallied_by_numpy(groups: list[np.ndarray], weights: list[float]) -> tuple[list[int], list[int], list[float]]:
    """_tally's steps in numpy: a stable sort of the groups joined, runs of equal rows, weights summed by reduceat."""
    joined = np.concatenate(groups)
    order = joined.argsort(kind="stable")
    joined = joined[order]
    spread = np.array(weights).repeat([len(group) for group in groups])[order]
    if not len(joined):
        return [], [], []
    starts = np.flatnonzero(np.r_[True, joined[1:] != joined[:-1]])
    ends = np.r_[starts[1:], len(joined)]
    return joined[starts].tolist(), (ends - starts).tolist(), np.add.reduceat(spread, starts).tolist()


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
@pytest.mark.parametrize("seed", range(60))
def test_tally_in_c_is_numpys_to_the_last_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    spread = (40, 100_000, 500)[seed % 3]
    groups = [np.sort(rng.integers(0, spread, rng.integers(0, 80))).astype(np.int32)  # (repeats within a group too)
              for _ in range(2 + seed % 11)]
    weights = [float(w) for w in rng.uniform(0.1, 12.0, len(groups))]
    rows, counts, sums = _tally(groups, weights)
    assert (rows.tolist(), counts.tolist(), sums.tolist()) == _tallied_by_numpy(groups, weights)
    assert rows.dtype == np.int32 and counts.dtype == np.int64 and sums.dtype == np.float64


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
def test_tally_merges_groups_out_of_order_in_numpy() -> None:
    groups = [np.array([5, 1, 9], dtype=np.int32), np.array([1, 2], dtype=np.int32)]
    room = [np.empty(5, dtype=dtype) for dtype in (np.int32, np.int64, np.float64, np.int64)]
    assert _in_c.tally(groups, [1.0, 2.0], *room) == -1  # (not ascending: C declines)
    rows, counts, sums = _tally(groups, [1.0, 2.0])
    assert (rows.tolist(), counts.tolist(), sums.tolist()) == _tallied_by_numpy(groups, [1.0, 2.0])
    with pytest.raises(ValueError, match="room"):
        _in_c.tally([np.array([1, 2], dtype=np.int32)], [1.0], *[array[:1] for array in room])


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_picked_items_are_numpys(dtype: type) -> None:
    array = np.array([7, -3, 2**30, 0, 42], dtype=dtype)
    assert _in_c.picked(array, [4, 0, 0, 2]) == array[[4, 0, 0, 2]].tolist()
    assert _in_c.picked(array, []) == []
    with pytest.raises(IndexError):
        _in_c.picked(array, [5])
    with pytest.raises(ValueError, match="int32 or int64"):
        _in_c.picked(array.astype(np.int16), [0])


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
@pytest.mark.parametrize("size", [0, 3, 10, 11, 40, 300])
def test_rows_kept_and_ranked_in_one_c_call_are_pythons(size: int) -> None:
    """passing_places keeps the rows sharing enough words (or all of their own, those ahead) and ranks them,
    ties and tie-break included, as numpy's steps and _ranked in Python do."""
    from service.engine.parties.index import CONTAINED_FIRST

    rng = random.Random(size)
    words = ["Norlo", "Trading", "Vector", "Marine", "Holdings", "Kavtel", "Ostra", "Delmin"]
    entries = [ListEntry(id=str(n), source_list="t", name=" ".join(rng.sample(words, rng.randint(1, 4))))
               for n in range(2000)]
    index = PartyIndex(entries, [ListStamp(name="t", version="1", entries=len(entries))])
    query = normalise_name("Norlo Vector Trading Marine")
    contained_at = index._contained_array
    for _ in range(20):
        rows = np.array(sorted(rng.sample(range(len(index)), size)), dtype=np.int32)
        counts = np.array([rng.randint(0, 4) for _ in range(size)], dtype=np.int64)
        shared = np.array([rng.randint(0, 4) for _ in range(size)], dtype=np.int64)
        weights = np.array([rng.choice((1.0, 1.5, 2.25, 3.0 + 1e-12)) for _ in range(size)])
        least = rng.randint(1, 3)
        kept = ((counts >= least) | (counts >= contained_at[rows])).nonzero()[0]
        whole = counts[kept] >= contained_at[rows[kept]]
        index._steps_in_c = False
        expected = index._ranked(query, rows[kept], shared[kept], weights[kept] + CONTAINED_FIRST * whole)
        index._steps_in_c = True
        assert index._passing_ranked_in_c(query, rows, counts, shared, weights, least) == expected


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
def test_rows_kept_and_ranked_in_c_refuse_what_they_cannot_read() -> None:
    rows, counts = np.array([0, 5], dtype=np.int32), np.array([1, 1], dtype=np.int64)
    weights, table = np.array([1.0, 2.0]), np.array([1, 1, 1], dtype=np.int32)
    with pytest.raises(IndexError, match="beyond the table"):
        _in_c.passing_places(rows, counts, counts, weights, table, 1, 100.0, table, 2, 1)
    with pytest.raises(ValueError, match="a weight for each row"):
        _in_c.passing_places(rows, counts, counts, weights[:1], table, 1, 100.0, table, 2, 1)
    with pytest.raises(ValueError, match="at least one place"):
        _in_c.passing_places(rows, counts, counts, weights, table, 1, 100.0, table, 2, 0)
    with pytest.raises(ValueError, match="items of 4 bytes, not 8"):
        _in_c.passing_places(rows, counts.astype(np.int32), counts, weights, table, 1, 100.0, table, 2, 1)


@pytest.mark.skipif(_in_c is None, reason="the C steps are not built (PURE_PYTHON_BUILD=1)")
def test_the_c_steps_give_the_candidates_and_hits_python_gives() -> None:
    import random

    rng = random.Random(11)
    words = ["Norlo", "Trading", "Vector", "Marine", "Holdings", "Kavtel", "Ostra", "Delmin", "Ivan", "Petrov",
             "Shipping", "Sharp", "Edge", "Al", "Furqan", "Global", "Tech"]
    entries = [ListEntry(id=str(n), source_list="t", name=" ".join(rng.sample(words, rng.randint(1, 4))),
                         kind=(EntryKind.ORGANISATION, EntryKind.PERSON)[n % 2]) for n in range(3000)]
    in_c = PartyIndex(entries, [ListStamp(name="t", version="1", entries=len(entries))], cache_size=0)
    in_python = PartyIndex(entries, [ListStamp(name="t", version="1", entries=len(entries))], cache_size=0)
    in_python._steps_in_c = False
    queries = [" ".join(rng.sample(words, rng.randint(1, 5))) for _ in range(300)]
    queries += ["Norlo Vectr Tradng", "SharpEdge Marine", "Alfurqan Global", "Ivan Petrov Kalovetra", "Delmn"]
    for query in queries:
        name = normalise_name(query)
        maybe = in_c._unkeyed_words(name)
        assert in_c._candidates(name, maybe) == in_python._candidates(name, maybe), query
        assert in_c.match(query) == in_python.match(query), query
