"""Burmese (Myanmar script) to the conventional Latin spelling of Burmese names, syllable by syllable.

anyascii spells Burmese letter by letter (ရွှေ "Shwe" becomes `rvhe`, မြတ် "Myat" becomes `mrt`), far from
how Burmese names are written in Latin letters on documents and lists. Burmese names are written in
Latin one syllable per word ("Kaung Myat Htet" for ကောင်းမြတ်ထက်), so each syllable becomes a word here,
read the way the conventional (BGN/PCGN-like) romanisation reads it: medials (ျ ြ ွ ှ) change the
initial (မြ "my", လှ "hl", ရှ "sh"), and a vowel sign with a killed final consonant (်) is one rhyme
(ောင် "aung", ိုင် "aing", ွန် "un"). Tone marks are dropped. Latin spellings vary ("Yadana"/"Yadanar",
"Nay"/"Ne", "Linn"/"Lin"); `burmese_key` folds those variants on both sides before comparing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from service.engine.parties.letters import collapse_runs, kept_letters, respell, spelling_rules

_INITIALS: Final = {
    "က": "k", "ခ": "kh", "ဂ": "g", "ဃ": "g", "င": "ng", "စ": "s", "ဆ": "s", "ဇ": "z", "ဈ": "z", "ဉ": "ny",
    "ည": "ny", "ဋ": "t", "ဌ": "ht", "ဍ": "d", "ဎ": "d", "ဏ": "n", "တ": "t", "ထ": "ht", "ဒ": "d", "ဓ": "d",
    "န": "n", "ပ": "p", "ဖ": "ph", "ဗ": "b", "ဘ": "b", "မ": "m", "ယ": "y", "ရ": "y", "လ": "l", "ဝ": "w",
    "သ": "th", "ဟ": "h", "ဠ": "l", "အ": "",
}
_INDEPENDENT_VOWELS: Final = {"ဣ": "i", "ဤ": "i", "ဥ": "u", "ဦ": "u", "ဧ": "aye", "ဩ": "aw", "ဪ": "aw"}  # ဧရာ Ayeyar
_BURMESE_DIGITS: Final = "၀၁၂၃၄၅၆၇၈၉"
_DIGITS: Final = str.maketrans(_BURMESE_DIGITS, "0123456789")
_YA, _RA, _WA, _HA = "\u103b", "\u103c", "\u103d", "\u103e"
_ASAT, _VIRAMA = "\u103a", "\u1039"
_TONES: Final = frozenset("\u1037\u1038")
# initial + medial ya or ra: the palatalised initials
_PALATAL: Final = {"k": "ky", "kh": "ch", "g": "gy", "p": "py", "ph": "phy", "b": "by", "m": "my", "l": "ly"}
# initial + medial ha: the voiceless sonorants
_VOICELESS: Final = {"l": "hl", "m": "hm", "n": "hn", "ng": "hng", "ny": "hny", "y": "sh", "w": "hw"}
# (vowel signs, final consonant) -> rhyme; vowel signs: a = ါ/ာ, i = ိ/ီ, u = ု/ူ, e = ေ, ai = ဲ, o = ို,
# aw = ော; finals by class: k (က), ng (င), t (တ ပ), n (န မ ံ), s (စ), ny (ည ဉ), y (ယ)
_RHYMES: Final = {
    ("", ""): "a", ("a", ""): "a", ("i", ""): "i", ("u", ""): "u", ("e", ""): "e", ("ai", ""): "e",
    ("o", ""): "o", ("aw", ""): "aw",
    ("", "k"): "et", ("i", "k"): "eik", ("u", "k"): "ok", ("o", "k"): "aik", ("aw", "k"): "auk",
    ("", "ng"): "in", ("o", "ng"): "aing", ("aw", "ng"): "aung", ("i", "ng"): "ein", ("u", "ng"): "ung",
    ("", "t"): "at", ("i", "t"): "eik", ("u", "t"): "ok", ("w", "t"): "ut",
    ("", "n"): "an", ("i", "n"): "ein", ("u", "n"): "on", ("w", "n"): "un", ("o", "n"): "on",
    ("", "s"): "it", ("", "ny"): "i", ("e", "ny"): "e", ("", "y"): "e", ("aw", "y"): "aw", ("a", "y"): "e",
    ("w", "ng"): "win", ("w", ""): "wa", ("we", ""): "we",
}
_FINAL_CLASS: Final = {"က": "k", "ခ": "k", "ဂ": "k", "င": "ng", "စ": "s", "ဆ": "s", "ဇ": "s", "ည": "ny", "ဉ": "ny",
                       "တ": "t", "ထ": "t", "ဒ": "t", "ဋ": "t", "ပ": "t", "ဖ": "t", "ဗ": "t", "န": "n", "ဏ": "n",
                       "မ": "n", "ယ": "y", "လ": "n", "သ": "t"}
_BURMESE_RUN: Final = re.compile(r"[\u1000-\u109f]+")


def romanise_burmese(text: str) -> str:
    """Every run of Burmese letters in the text romanised, one syllable per word."""
    return _BURMESE_RUN.sub(lambda run: " " + " ".join(_syllables(run.group(0))) + " ", text)


def _syllables(run: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for position, ch in enumerate(run):
        following = _next_sign(run, position)
        if ch in _BURMESE_DIGITS:
            starts = not current or current[-1] not in _BURMESE_DIGITS
        else:
            starts = (ch in _INITIALS or ch in _INDEPENDENT_VOWELS) and following not in (_ASAT, _VIRAMA)
            starts = starts or bool(current and current[-1] in _BURMESE_DIGITS)
        if starts and current:
            chunks.append(current)
            current = ""
        current += ch
    if current:
        chunks.append(current)
    return [word for word in (_syllable(chunk) for chunk in chunks) if word]


def _next_sign(text: str, position: int) -> str:
    """The next character after `position` that is not a tone mark ("ည့်": the asat follows the dot)."""
    for ch in text[position + 1:]:
        if ch not in _TONES:
            return ch
    return ""


def _syllable(chunk: str) -> str:
    """One syllable: initial (with medials), vowel signs, killed final."""
    if chunk[0] in _BURMESE_DIGITS:
        return chunk.translate(_DIGITS)
    if chunk[0] in _INDEPENDENT_VOWELS:
        initial, vowel = "", _INDEPENDENT_VOWELS[chunk[0]]
    else:
        initial, vowel = _INITIALS.get(chunk[0], ""), ""
    rest = chunk[1:]
    if _YA in rest or _RA in rest:
        initial = _PALATAL.get(initial, initial + "y")
    if _HA in rest:
        initial = _VOICELESS.get(initial, "h" + initial)
    wa = _WA in rest
    final = ""
    signs = ""
    for position, ch in enumerate(rest):
        if ch in _TONES or ch in (_YA, _RA, _WA, _HA, _VIRAMA):
            continue
        if ch == _ASAT:
            continue
        if ch in _FINAL_CLASS and _next_sign(rest, position) in (_ASAT, _VIRAMA, ""):
            final = _FINAL_CLASS[ch]
        elif ch == "\u1036":  # anusvara: a killed nasal
            final = "n"
        else:
            signs += ch
    vowel_class = vowel or _vowel_class(signs)
    if wa and vowel_class in ("", "e") and final in ("", "t", "n", "ng"):
        rhyme = {("", ""): "wa", ("e", ""): "we", ("", "t"): "ut", ("", "n"): "un", ("", "ng"): "win"}.get(
            (vowel_class, final), "w" + _RHYMES.get((vowel_class, final), "a"))
    else:
        rhyme = _RHYMES.get((vowel_class, final), (vowel_class or "a") + final)
    if "\u1037" in chunk and final in ("n", "ng") and rhyme.endswith("n"):
        rhyme += "t"  # a nasal rhyme in the creaky tone is written with a t: မြင့် Myint, ညွန့် Nyunt
    return initial + rhyme


def _vowel_class(signs: str) -> str:
    if "\u1031" in signs and ("\u102c" in signs or "\u102b" in signs):
        return "aw"  # ော
    if "\u102d" in signs and "\u102f" in signs:
        return "o"  # ို
    for sign, name in (("\u102c", "a"), ("\u102b", "a"), ("\u102d", "i"), ("\u102e", "i"), ("\u102f", "u"),
                       ("\u1030", "u"), ("\u1031", "e"), ("\u1032", "ai")):
        if sign in signs:
            return name
    return ""


_KEY_RULES: Final = (("aung", "aun"), ("aing", "ain"), ("ay", "e"), ("ae", "e"), ("ai", "e"), ("ei", "e"),
                     ("oo", "u"), ("ou", "o"), ("aw", "o"), ("ee", "i"), ("ht", "t"), ("th", "t"), ("hs", "s"),
                     ("ph", "p"), ("kh", "k"))
_KEY_SPELLINGS: Final = spelling_rules(_KEY_RULES)
# ရ is read y and written r or y; initials are voiced inside compounds (ရတနာ: ya-ta-na, "Yadana")
# (replaced one after the other, which is quicker than str.translate: no letter is mapped to one replaced later)
_KEY_LETTERS: Final = spelling_rules((("r", "y"), ("d", "t"), ("g", "k"), ("b", "p"), ("z", "s")))
# (a word's burmese_key holds each of these letters of the word: the ending "ar" loses its r, which
# _KEY_LETTERS rewrites anyway)
KEY_KEPT: Final = kept_letters(_KEY_SPELLINGS, _KEY_LETTERS)


@lru_cache(maxsize=100_000)
def burmese_key(word: str) -> str:
    """A word with the common variants of Burmese romanisation folded on both sides ("Yadanar" and
    ya-ta-na, "Myay" and mye, "Linn" and lin, "Thiri" and thi-yi)."""
    if len(word) > 2 and word.endswith("ar"):
        word = word[:-1]  # the long a written "ar" (Yadanar, Mingalar)
    return collapse_runs(respell(respell(word, _KEY_SPELLINGS), _KEY_LETTERS))


def is_burmese(text: str) -> bool:
    """Whether the text holds Burmese letters."""
    return _BURMESE_RUN.search(text) is not None
