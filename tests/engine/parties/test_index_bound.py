"""The index's review bound is a true upper bound: what the scorer scores at review, the index returns.

A brute-force pass of score_names over a small crowded list (siblings sharing words, namesakes, the
same words in other orders) is the reference; the index must return every entry the brute force
scores at or above the review threshold, on generated variants of the listed names: abbreviations,
typos (a letter dropped, doubled, swapped), words joined and split, transliteration variants.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engine.parties.abbreviations import BUSINESS
from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.index import PartyIndex
from service.engine.parties.scoring import score_names
from service.engine.verdict import ListStamp

REVIEW = 70.0
NAMES = [
    ("Jetlink Textiles Trading", EntryKind.ORGANISATION),
    ("Jetlink Textiles", EntryKind.ORGANISATION),
    ("Jetlink Logistics Trading", EntryKind.ORGANISATION),
    ("Koryo Credit Development Bank", EntryKind.ORGANISATION),
    ("Koryo Bank", EntryKind.ORGANISATION),
    ("Koryo Development Trading Company", EntryKind.ORGANISATION),
    ("Al Bashair Trading Company Ltd", EntryKind.ORGANISATION),
    ("Bashair International Holdings", EntryKind.ORGANISATION),
    ("Sharp Edge Engineering Inc.", EntryKind.ORGANISATION),
    ("Sharp Edge Trading", EntryKind.ORGANISATION),
    ("Edge Engineering Services", EntryKind.ORGANISATION),
    ("Hoda Shipping", EntryKind.ORGANISATION),
    ("Hoda Trading Services", EntryKind.ORGANISATION),
    ("Norvane Manufacturing Services Ltd", EntryKind.ORGANISATION),
    ("Norvane International Holdings", EntryKind.ORGANISATION),
    ("Quillby Brothers Engineering", EntryKind.ORGANISATION),
    ("Tessaro Machinery Industries", EntryKind.ORGANISATION),
    ("Yevgeny Vladimirovich Cheresov", EntryKind.PERSON),
    ("Yevgeny Kharitonov", EntryKind.PERSON),
    ("Dmitriy Zhukov", EntryKind.PERSON),
    ("Vladimir Tsaryov", EntryKind.PERSON),
    ("Aleksandr Zhukov", EntryKind.PERSON),
]
ENTRIES = [ListEntry(id=str(number), source_list="test", name=name, kind=kind)
           for number, (name, kind) in enumerate(NAMES)]
INDEX = PartyIndex(ENTRIES, [ListStamp(name="test", version="t", entries=len(ENTRIES))], review_threshold=REVIEW,
                   cache_size=0)
SHORT = {full: short for short, full in BUSINESS.items()}
# romanisation changes, each way: BGN/PCGN, ICAO, GOST, German and French spellings of Russian names
RESPELLINGS = (("ye", "e"), ("e", "ye"), ("kh", "h"), ("y", "iy"), ("y", "ii"), ("ts", "c"), ("zh", "j"), ("zh", "sch"),
               ("v", "w"), ("ch", "tsch"), ("iy", "y"), ("ks", "x"), ("ov", "ow"), ("ov", "off"))


def _variant(name: str, how: str, at: int, letter: int) -> str:
    words = name.split()
    word = words[at % len(words)]
    position = 1 + letter % max(1, len(word) - 2)
    if how == "abbreviate":
        words = [SHORT.get(w.lower(), w) for w in words]
    elif how == "drop":
        words[at % len(words)] = word[:position] + word[position + 1:]
    elif how == "double":
        words[at % len(words)] = word[:position] + word[position] + word[position:]
    elif how == "swap" and len(word) > position + 1:
        words[at % len(words)] = word[:position] + word[position + 1] + word[position] + word[position + 2:]
    elif how == "join" and len(words) > 1:
        first = at % (len(words) - 1)
        words[first:first + 2] = [words[first] + words[first + 1]]
    elif how == "split" and len(word) >= 6:
        words[at % len(words)] = f"{word[:position + 1]} {word[position + 1:]}"
    elif how == "respell":
        old, new = RESPELLINGS[letter % len(RESPELLINGS)]
        words[at % len(words)] = word.replace(old, new, 1)
    return " ".join(words)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(listed=st.sampled_from(NAMES), how=st.sampled_from(["abbreviate", "drop", "double", "swap", "join", "split",
                                                           "respell"]),
       at=st.integers(0, 5), letter=st.integers(0, 20))
def test_the_index_returns_what_the_scorer_scores_at_review(listed: tuple[str, EntryKind], how: str, at: int,
                                                            letter: int) -> None:
    query = _variant(listed[0], how, at, letter)
    found = {hit.entry_id: hit.score for hit in INDEX.match(query)}
    for entry in ENTRIES:
        score = score_names(query, entry.name, entry.kind.value).score
        if score >= REVIEW:
            assert entry.id in found, (query, entry.name, score)
            assert found[entry.id] >= score
