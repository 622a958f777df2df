"""The glossary of business words: translated words match, other words and siblings do not.

Invented company names (none from the evaluation files); the words are ordinary business vocabulary.
"""

from __future__ import annotations

import unicodedata

import pytest

from service.engine.parties.glossary import CONCEPTS, LATIN_CONCEPTS, NATIVE_WORDS, gloss_native, same_concept
from service.engine.parties.scoring import score_names

REVIEW, BLOCK = 70.0, 90.0

TRANSLATED = [
    # (case, name in one language, name in another)
    ("Hebrew, with 'and' joined to the word", "ברקוביץ סחר ושיווק בע\"מ", "Berkovitz Trading and Marketing Ltd"),
    ("Chinese, simplified", "恒达贸易有限公司", "Hengda Trading Co., Ltd."),
    ("Chinese, traditional, with the city", "臺北市恆達電子有限公司", "Taipei Hengda Electronics Co., Ltd."),
    ("Chinese, two business words", "雷克精密机械有限公司", "Leike Precision Machinery Co., Ltd."),
    ("Burmese", "ရွှေဝင်း ကုန်သွယ်ရေး ကုမ္ပဏီလီမိတက်", "Shwe Win Trading Co., Ltd."),
    ("Russian in Cyrillic, capitalised", "ООО Уралтех Завод", "Uraltekh Plant LLC"),
    ("Turkish in Latin letters", "Karadag Dis Ticaret Ltd. Şti.", "Karadag Foreign Trade Ltd"),
    ("Georgian word in Latin letters", "Mtatsminda Gvino LLC", "Mtatsminda Wine LLC"),
    ("Arabic with the article joined", "شركة الرافدين للتجارة", "Al Rafidain Trading Company"),
]


@pytest.mark.parametrize(("case", "one", "other"), TRANSLATED, ids=[t[0] for t in TRANSLATED])
def test_translated_business_words_match(case: str, one: str, other: str) -> None:
    assert score_names(one, other).score >= REVIEW, case


NOT_THE_SAME = [
    ("another business word in translation", "ברקוביץ סחר בע\"מ", "Berkovitz Construction Ltd"),
    ("another business word in Chinese", "恒达贸易有限公司", "Hengda Construction Co., Ltd."),
    ("another business word in Burmese", "ရွှေဝင်း ကုန်သွယ်ရေး ကုမ္ပဏီလီမိတက်", "Shwe Win Cement Co., Ltd."),
    ("siblings stay siblings in English", "Karadag Trading Ltd", "Karadag Shipping Ltd"),
]


@pytest.mark.parametrize(("case", "one", "other"), NOT_THE_SAME, ids=[t[0] for t in NOT_THE_SAME])
def test_other_business_words_do_not_match(case: str, one: str, other: str) -> None:
    assert score_names(one, other).score < BLOCK, case
    if "siblings" in case:
        assert score_names(one, other).score < REVIEW


def test_glossary_words_are_not_names() -> None:
    # the Burmese "Aung San" holds ဆန်း, which starts like ဆန် ("rice"): a syllable is not cut
    assert gloss_native("အောင်ဆန်း") == "အောင်ဆန်း"
    # 市 after a place name is the city; 市场 is "market"; a person's 高市 stays
    assert gloss_native("深圳市恒达").split() == ["深圳", "恒达"]
    assert "market" in gloss_native("恒达市场")
    assert gloss_native("高市早苗") == "高市早苗"


def test_english_forms_of_one_word_agree_and_persons_are_not_translated() -> None:
    assert same_concept("industrial", "industries")
    assert same_concept("ticaret", "trading")
    assert not same_concept("trading", "shipping")
    # a person's name is matched by spelling: "Gold" is no translation of a surname "Zahav"
    assert score_names("Dana Gold", "Dana Zahav", "person").score < REVIEW


def test_every_glossary_word_is_in_one_script_and_lower_case() -> None:
    for word in NATIVE_WORDS:
        scripts = {unicodedata.name(ch).split()[0] for ch in word if ch.isalpha()}
        assert len(scripts) == 1, word
        assert word == word.lower(), word
    for word in LATIN_CONCEPTS:
        assert word.isascii() and word == word.lower() and " " not in word, word
    assert all(canonical == canonical.lower() for canonical in CONCEPTS)


def test_a_latin_name_may_transliterate_a_glossed_word() -> None:
    # סחר is "trading", but a Latin name may spell it "Sachar" (the romanised glossary knows it) or
    # transliterate a word the glossary translates without listing the Latin spelling (הזהב, "the gold")
    assert score_names("ברקוביץ סחר בע\"מ", "Berkovitz Sachar Ltd").score >= REVIEW
    assert score_names("עוגן הזהב", "OGEN HAZAHAV", "vessel").score >= REVIEW
    assert score_names("עוגן הזהב", "OGEN GOLD", "vessel").score >= REVIEW
