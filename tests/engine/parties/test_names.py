"""Name normalisation: properties (idempotence, punctuation and order invariance) and worked examples."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.engine.parties import legal_forms
from service.engine.parties.names import (
    BRANCH_WORDS,
    CJK,
    HONORIFICS,
    NUMBER_WORDS,
    STOP_WORDS,
    TENS_WORDS,
    VESSEL_PREFIXES,
    loose_skeleton,
    normalise_name,
    phonetic,
    skeleton,
)
from service.engine.parties.scoring import GENERIC_WORDS

WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10), min_size=1, max_size=5)
ANY_TEXT = st.text(max_size=60)


@given(ANY_TEXT)
@settings(max_examples=300, deadline=None)
def test_normalising_never_fails_and_gives_lower_case_ascii(text: str) -> None:
    name = normalise_name(text)
    assert all(token.isascii() and token == token.lower() for token in name.tokens)


@given(ANY_TEXT)
@settings(max_examples=300, deadline=None)
def test_normalising_is_idempotent_on_the_tokens(text: str) -> None:
    # except names in Chinese, Japanese or Korean characters: their syllables ("zao") are not read as
    # Latin legal forms (ZAO), which the same syllables written in Latin letters are
    assume(not CJK.search(text))
    # and the family name Sá with its accent (a word of the name; written "sa" it is the legal form S.A.)
    assume(not re.search(r"(?<!\w)[Ss][áàÁÀ](?!\w)", text))
    # and a one-letter stop word written as an initial ("B&Y."): kept with its full stop, not without it
    once = normalise_name(text)
    assume(not any(len(token) == 1 and token in STOP_WORDS for token in once.tokens))
    again = normalise_name(" ".join(once.tokens))
    assert sorted(again.tokens) == sorted(once.tokens)


@given(WORDS, st.sampled_from([".", "-", "'", "  ", "/", '"', "*", "!", "+"]))
@settings(max_examples=300, deadline=None)
def test_punctuation_between_words_does_not_matter(words: list[str], mark: str) -> None:
    plain = normalise_name(" ".join(words))
    punctuated = normalise_name(f"{mark} ".join(words))
    assert sorted(plain.tokens + plain.qualifiers) == sorted(punctuated.tokens + punctuated.qualifiers) or \
        plain.compact == punctuated.compact


# "aka", "fka", "nka" and "formerly" introduce another name: syntax, not name words
FORMER_NAME_MARKS = frozenset({"aka", "fka", "nka", "formerly"})
PERSON_WORDS = WORDS.filter(lambda words: len(words) >= 2 and not any(
    w in STOP_WORDS or w in legal_forms.SPELLINGS or w in VESSEL_PREFIXES or w in NUMBER_WORDS or w in TENS_WORDS
    or w in FORMER_NAME_MARKS or w in HONORIFICS or w in BRANCH_WORDS or not w.strip("ivx")
    for w in words) and not all(token in GENERIC_WORDS for w in words for token in normalise_name(w).tokens))
# (business words alone, abbreviated ones included, "chem" for "chemical": capped, unless as written)


@given(PERSON_WORDS)
@settings(max_examples=200, deadline=None)
def test_a_comma_does_not_change_the_score(words: list[str]) -> None:
    """A comma marks an annotation ("LAST, First"), whose words still count when they match."""
    from service.engine.parties.scoring import score_names

    commas = f"{words[-1]}, {' '.join(words[:-1])}"
    assert score_names(" ".join(words), commas, "person").score >= score_names(" ".join(words), " ".join(words),
                                                                                  "person").score - 15


# Roman numerals are left out too: "XI" leading a name is a name ("Xi Jinping"), after a word a numeral;
# and branch words: what follows "filial" or "branch" says which branch it is, so there order matters.
NAME_WORDS = WORDS.filter(lambda words: not any(
    w in legal_forms.SPELLINGS or w in VESSEL_PREFIXES or w in FORMER_NAME_MARKS or w in BRANCH_WORDS
    or not w.strip("ivx") for w in words))


@given(NAME_WORDS, st.randoms())
@settings(max_examples=200, deadline=None)
def test_word_order_does_not_change_the_key(words: list[str], random: object) -> None:
    """Order never matters for name words (ambiguous legal-form abbreviations such as "AS" or "SPY"
    are recognised only at the start or end of a name, so they are left out here)."""
    shuffled = list(words)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert normalise_name(" ".join(words)).key == normalise_name(" ".join(shuffled)).key


@pytest.mark.parametrize(("written", "tokens"), [
    ("Владимир Путин", ("vladimir", "putin")),  # Cyrillic
    ("Αλέξανδρος", ("alexandros",)),  # Greek
    ("Şahini İşletmeciliği", ("sahini", "isletmeciligi")),  # Turkish diacritics
    ("Kalčić Trgovina", ("kalcic", "trgovina")),  # European diacritics
    ("王伟", ("wang", "wei")),  # Chinese to pinyin syllables
    ("Rоsneft", ("rosneft",)),  # a Cyrillic о inside a Latin word (homoglyph)
    ("ROSNEFT", ("rosneft",)),
    ("N.K. Bansal & Co.", ("nk", "bansal")),
])
def test_scripts_and_homoglyphs_become_latin(written: str, tokens: tuple[str, ...]) -> None:
    assert normalise_name(written).tokens == tokens


@pytest.mark.parametrize(("written", "core", "form"), [
    ("Tessaline Trade OOO", ("tessaline", "trade"), "ooo"),
    ("ООО Ромашка", ("romashka",), "ooo"),
    ("Общество с ограниченной ответственностью Ромашка", ("romashka",), "ooo"),
    ("Kessendorf AG", ("kessendorf",), "ag"),
    ("Kessendorf do Brasil Ltda.", ("kessendorf", "brasil"), "ltda"),
    ("Pellbrook Cold Storage, Limited Liability Company", ("pellbrook", "cold", "storage"), "llc"),
    ("Dongguan Fengtai Plastic Products Co., Ltd.", ("dongguan", "fengtai", "plastic", "products"), "ltd"),
    ("Sarıkaya Hububat Ltd. Şti.", ("sarikaya", "hububat"), "ltd sti"),
    ("Deniz Kartalı Denizcilik A.Ş.", ("deniz", "kartali", "denizcilik"), "as"),
    ("Harum Manis Bakery Supplies Sdn. Bhd.", ("harum", "manis", "bakery", "supplies"), "sdn bhd"),
    ("Almaty Trans LLP", ("almaty", "trans"), "llp"),
    ("Almaty Trans ТОО", ("almaty", "trans"), "too"),
    ("Gulf Star FZE", ("gulf", "star"), "fze"),
    ("雾山精密机械股份有限公司", ("wu", "shan", "precision", "machinery"), "youxian gongsi"),
    ("銳元科技有限公司", ("rui", "yuan", "technology"), "youxian gongsi"),
    ("JSC Murom Instrument Plant", ("murom", "instrument", "plant"), "jsc"),
    ("ZAO Kometa", ("kometa",), "ao"),
])
def test_legal_forms_are_a_separate_signal(written: str, core: tuple[str, ...], form: str) -> None:
    name = normalise_name(written)
    assert name.tokens == core
    assert form in {f.code for f in name.legal_forms}


def test_former_names_are_split_off() -> None:
    name = normalise_name("MV Karachi Crescent (ex Mandvi Bay, ex Wanshan Pearl)")
    assert name.tokens == ("karachi", "crescent") and name.vessel_prefix
    assert [f.tokens for f in name.former] == [("mandvi", "bay"), ("wanshan", "pearl")]


@pytest.mark.parametrize(("written", "numerals"), [
    ("Hoshikaze Maru No. 8", ("8",)), ("No.8 Hoshikaze Maru", ("8",)), ("Seraphine Navigation II S.A.", ("2",)),
    ("Brasskey Shipping Three Inc.", ("3",)), ("Ocean 1", ("1",)),
])
def test_numerals_are_a_separate_signal(written: str, numerals: tuple[str, ...]) -> None:
    assert normalise_name(written).numerals == numerals


def test_annotations_are_qualifiers_not_name_words() -> None:
    name = normalise_name("Kisumu Lakeside Motors Ltd (Kakamega Branch)")
    assert name.tokens == ("kisumu", "lakeside", "motors")
    assert name.qualifiers == ("kakamega", "branch")


def test_labels_and_care_of_are_dropped() -> None:
    assert normalise_name("BENEFICIARY: Sarikaya Hububat").tokens == ("sarikaya", "hububat")
    assert normalise_name("Rancho Vercel SA de CV c/o Aduanas Pedraza").tokens == ("rancho", "vercel")


@pytest.mark.parametrize(("a", "b"), [("levitsky", "levitskiy"), ("rabinovich", "rabinowitz"),
                                      ("husain", "hussain"), ("zavyalov", "zavjalov")])
def test_romanisation_variants_share_a_phonetic_key(a: str, b: str) -> None:
    assert phonetic(a) == phonetic(b)


# The keys as first written, with regular expressions: the keys are stored with the index, so a faster
# spelling of them must give the same keys.
_LOOSE_DIGRAPHS = (("sch", "s"), ("tch", "c"), ("kh", "k"), ("ch", "k"), ("sh", "s"), ("zh", "z"), ("ts", "s"),
                   ("tz", "s"), ("th", "t"), ("ph", "p"), ("ck", "k"), ("x", "ks"))
_LOOSE_LETTERS = str.maketrans({"v": None, "w": None, "b": None, "y": None, "h": None, "f": "p", "q": "k", "g": "k",
                                "c": "k", "z": "s", "d": "t", "j": None})


def _skeleton_as_first_written(token: str) -> str:
    return re.sub(r"(.)\1+", r"\1", re.sub(r"(?<=.)[aeiou]", "", phonetic(token)))


def _loose_skeleton_as_first_written(token: str) -> str:
    for old, new in _LOOSE_DIGRAPHS:
        token = token.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", re.sub("[aeiou]", "", token.translate(_LOOSE_LETTERS)))


@pytest.mark.parametrize("token", ["a", "e", "ae", "aeiou", "qureshi", "abdalla", "yevgeny", "schwarzkopf",
                                   "tschaikowsky", "oao", "xian", "hhh", "", "1a2e", "ülker"])
def test_skeletons_as_first_written(token: str) -> None:
    assert skeleton(token) == _skeleton_as_first_written(token)
    assert loose_skeleton(token) == _loose_skeleton_as_first_written(token)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0 ", max_size=16))
def test_skeletons_agree_with_the_regular_expressions(token: str) -> None:
    assert skeleton(token) == _skeleton_as_first_written(token)
    assert loose_skeleton(token) == _loose_skeleton_as_first_written(token)


def test_skeleton_ignores_vowels_after_the_first_letter() -> None:
    assert skeleton("qureshi") == skeleton("quraishi")
    assert skeleton("glory") != skeleton("victory")


def test_a_name_is_a_value() -> None:
    # equal names are one dictionary key; a folded copy changes only what it was asked to
    name = normalise_name("Norlo Trading (Asia) Ltd")
    again = normalise_name("Norlo Trading (Asia) Ltd")
    assert name == again and hash(name) == hash(again) and len({name, again}) == 1
    folded = name.replaced(tokens=("nl", "trading"), compact="")
    assert folded.tokens == ("nl", "trading") and folded.compact == ""
    kept = ("qualifiers", "legal_forms", "original", "numerals")
    assert [getattr(folded, field) for field in kept] == [getattr(name, field) for field in kept]
    assert folded != name and "tokens=('nl', 'trading')" in repr(folded)


def test_a_compiled_name_refuses_changes() -> None:
    # immutable: mypy refuses the assignment (Final) in either build; the compiled class at run time too
    from service.engine.parties import native

    name = normalise_name("Norlo Trading Ltd")
    if not native.compiled_modules()["service.engine.parties.names"]:
        pytest.skip("pure Python build: immutability is checked by mypy only")
    with pytest.raises(AttributeError):
        name.tokens = ("other",)  # type: ignore[misc]


@given(st.text(alphabet="abzAZ09 -,.'\t", max_size=24))
def test_words_fast_path_agrees_with_the_pattern(text: str) -> None:
    # the split() shortcut for letters and spaces gives what the word pattern finds
    from service.engine.parties import names

    joined = text.translate(names._JOINING)
    assert names._words(text) == re.findall(r"[a-z]+|[0-9]+", joined)


@pytest.mark.parametrize("separator", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066",
                                       "\u3164", "\U000e0041"])
def test_invisible_and_format_characters_separate_words(separator: str) -> None:
    assert normalise_name(f"Sharp{separator}Edge Engineering").tokens == ("sharp", "edge", "engineering")


@pytest.mark.parametrize(("text", "tokens", "qualifiers"), [
    ("Korvex Mobil Corporation Branch 2", ("korvex", "mobil"), ("branch",)),
    ("Korvex Mobil Representative Office", ("korvex", "mobil"), ("representative", "office")),
    ("Branch Line Shipping", ("branch", "line", "shipping"), ()),
])
def test_branch_words_and_what_follows_are_an_annotation(text: str, tokens: tuple[str, ...],
                                                         qualifiers: tuple[str, ...]) -> None:
    name = normalise_name(text)
    assert (name.tokens, name.qualifiers) == (tokens, qualifiers)


@pytest.mark.parametrize(("text", "tokens"), [
    ("I Machine Technology LLC", ("i", "machine", "technology")),
    ("I A C International Inc.", ("i", "a", "c", "international")),
    ("Perez y Gomez", ("perez", "gomez")),
])
def test_a_letter_alone_is_a_word_of_the_name_but_for_and(text: str, tokens: tuple[str, ...]) -> None:
    assert normalise_name(text).tokens == tokens


def test_sa_with_its_accent_is_a_family_name_not_the_legal_form() -> None:
    assert normalise_name("Tomasz Sá").tokens == ("tomasz", "sa")
    assert normalise_name("Tomasz SA").legal_forms and normalise_name("Tomasz SA").tokens == ("tomasz",)


def test_annotations_have_their_abbreviations_written_out_and_honorifics_dropped() -> None:
    assert normalise_name("VELMAR, PRC").qualifiers == ("china",)
    assert normalise_name("QORBANI, Dr Tarvel").qualifiers == ("tarvel",)
