"""Name normalisation: one comparable form for a party name, whatever script or punctuation it came in.

The steps, in order: Unicode NFKC and case folding; native-script legal forms turned into Latin
(בע"מ, 有限公司, ООО); homoglyphs (a Cyrillic `с` inside a Latin word) mapped to Latin; business words
of other scripts replaced by their English word (סחר "trading", 贸易 "trading": glossary.py); every other
script transliterated to ASCII with anyascii (chosen on measured quality, see docs/matching.md),
except Burmese, which has its own romaniser (burmese.py); labels ("SHIPPER:", "c/o ..."), voyage
numbers and possessive 's dropped, look-alike digits inside words read as letters; former names
("ex-", "f.k.a.", "formerly") split off; bracketed and comma-separated annotations kept apart as
qualifiers; legal forms, numerals and vessel prefixes taken out as separate signals; stop words
dropped. Word order and punctuation do not matter: what is
compared are the tokens, and the scorer aligns them without regard to order.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache
from typing import Final

from anyascii import anyascii

from service.engine.parties import abbreviations, legal_forms
from service.engine.parties.burmese import is_burmese, romanise_burmese
from service.engine.parties.glossary import gloss_native, native_spellings
from service.engine.parties.legal_forms import LegalForm
from service.engine.parties.letters import collapse_runs, respell, spelling_rules

# Cyrillic and Greek letters that look like Latin ones; only applied inside words that mix scripts.
_HOMOGLYPHS: Final = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
_CONFUSABLE: Final = frozenset(k for k in _HOMOGLYPHS if isinstance(k, int))
_CHINESE_DIGITS: Final = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                          "九": 9}
_CHINESE_UNITS: Final = {"十": 10, "百": 100}
_ORDINAL: Final = re.compile("第([〇零一二三四五六七八九十百]+)")
CJK: Final = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])")
_LABEL: Final = re.compile(r"^\s*[a-z][a-z0-9 ]{1,28}:\s+(?=\S)")
_CARE_OF: Final = re.compile(r"\bc\s*/\s*o\b.*$")
_SLASHED_LETTERS: Final = re.compile(r"\b([a-z])/(?=[a-z]\b)")
_FORMER: Final = re.compile(
    r"[(,;]?\s*(?<![a-z])(?:ex|f\s*\.?\s*/?\s*k\s*\.?\s*/?\s*a|formerly(?:\s+known\s+as)?|n\s*\.?\s*/?\s*k\s*\.?\s*/?\s*a"
    r"|a\s*\.?\s*/?\s*k\s*\.?\s*/?\s*a|also\s+known\s+as|former\s+name)\b\.?[\s\-:]*"
)
_KA: Final = re.compile(r"k\s*\.?\s*/?\s*a\b")  # the end of f.k.a., n.k.a., a.k.a. (as _FORMER writes them)
_PARENS: Final = re.compile(r"\(([^()]*)\)?")
_SEGMENT: Final = re.compile(r"\s*(?:[,;]|\s[-\u2013\u2014]\s)\s*")
_WORD: Final = re.compile(r"[a-z]+|[0-9]+")
_NATIVE_WORD: Final = re.compile(r"[^\W_]+")
# "Sá" with its accent is the Portuguese family name; the legal form S.A. is never written so
_SA_NAME: Final = re.compile(r"(?<!\w)[Ss][áàÁÀ](?!\w)")
_ABJAD_LETTER: Final = re.compile(r"[\u0590-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufeff]")
_VOYAGE: Final = re.compile(r"\bv\.\s?\d{2,4}[nsew]\b|\bvoy(?:age)?\.?\s*(?:no\.?\s*)?\d{1,4}[nsew]?\b")
_POSSESSIVE: Final = re.compile(r"(?<=[a-z])'s\b")
# A digit between two letters is a letter written as a look-alike digit (evasion or OCR), not a number.
_LEET: Final = re.compile(r"(?<=[a-z])[013457890](?=[a-z])")
_DIGITS: Final = frozenset("0123456789")
_LEET_LETTERS: Final = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
# A letter with a full stop, standing alone: an initial, not the article "a" or the conjunction "i".
_INITIAL: Final = re.compile(r"(?<![a-z0-9.])([a-z])\.(?=[\s\-]|$)")
# "1st", "2nd": the ordinal word, as the name is also written ("First International Bank").
_ORDINAL_SUFFIX: Final = re.compile(r"\b(1[0-2]|[1-9])(?:st|nd|rd|th)\b")
ORDINAL_WORDS: Final = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                        "eleventh", "twelfth")
_JOINING: Final = str.maketrans({".": None, "'": None, "`": None, '"': " ", "&": " and "})

VESSEL_PREFIXES: Final = frozenset({"mv", "mt", "ms", "mts", "ss", "fv", "msv", "tb", "nm", "mmv", "my", "rv"})
STOP_WORDS: Final = frozenset({
    "and", "und", "et", "e", "y", "ve", "va", "wa", "of", "the", "de", "do", "da", "di", "del", "della", "des",
    "du", "la", "le", "les", "van", "von", "der", "den", "al", "el", "in", "i", "ha", "a", "an", "for", "messrs",
    "c", "no", "nr", "number", "z",
})
_ROMAN: Final = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "xi": "11",
                 "xii": "12", "xiii": "13", "xiv": "14", "xv": "15", "xvi": "16", "xvii": "17", "xviii": "18",
                 "xix": "19", "xx": "20"}
_NUMBER_MARKS: Final = frozenset({"no", "nr", "number"})
_ROMAN_LAST: Final = {"i": "1", "v": "5", "x": "10"}
NUMBER_WORDS: Final = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                        "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12"}
# Tens, with the common misspelling "fourty"; "forty-four" and "forty 4" read 44.
TENS_WORDS: Final = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                     "eighty": 80, "ninety": 90}
_NUMERAL_WORDS: Final = frozenset({*_ROMAN, *_ROMAN_LAST, *NUMBER_WORDS, *TENS_WORDS})
# Abbreviations of business words and places, written out (abbreviations.py); other regular ones are
# recognised by the scorer.
ABBREVIATIONS: Final = {**abbreviations.BUSINESS, **abbreviations.PLACES}
_ABBREVIATED: Final = frozenset(ABBREVIATIONS)
_PHRASE_STARTS: Final = frozenset(words[0] for words in abbreviations.PLACE_PHRASES)
# Titles and honorifics, not words of a person's name ("Sheikh", "Haji", "Dr", "Mullah"): dropped as stop
# words are (a name made of them alone keeps them).
HONORIFICS: Final = frozenset({"sheikh", "shaikh", "shaykh", "sheik", "haji", "hajji", "hadji", "alhaji", "alhajji",
                               "dr", "doctor", "mullah", "mulla", "mawlawi", "maulvi", "maulavi", "mawlana",
                               "maulana", "mr", "mrs", "ms", "mme", "mlle", "prof", "professor"})
_REWRITTEN: Final = STOP_WORDS | _ABBREVIATED | _PHRASE_STARTS | HONORIFICS
# Words after which the rest of a name says which branch, office or unit of the party it is: kept as an
# annotation ("Korvex Mobil Corporation Dubai Branch Office 2"), not as words of the name.
BRANCH_WORDS: Final = frozenset({"branch", "branches", "division", "representative", "filiale", "sucursal",
                                 "filial", "subsidiary", "affiliate", "rep"})


class Name:
    """A party name in comparable form: tokens plus the separate signals taken out of it.

    Immutable: the attributes are Final (mypy refuses an assignment; compiled, so does the class). A
    plain class rather than a frozen dataclass: compiled by mypyc it is made in a tenth of the time
    (a frozen dataclass's __init__ runs as Python, a setattr per field), and a list's build makes a
    quarter of a million of them."""

    __slots__ = ("compact", "foreign_script", "former", "legal_forms", "numerals", "original", "qualifiers",
                 "tokens", "vessel_prefix")

    def __init__(self, original: str, tokens: tuple[str, ...], legal_forms: tuple[LegalForm, ...] = (),
                 numerals: tuple[str, ...] = (), qualifiers: tuple[str, ...] = (), former: tuple[Name, ...] = (),
                 foreign_script: bool = False, vessel_prefix: bool = False, compact: str = "") -> None:
        self.original: Final = original
        self.tokens: Final = tokens  # core name tokens, ASCII lower case, in written order
        self.legal_forms: Final = legal_forms
        self.numerals: Final = numerals  # "8" for "No. 8", "2" for "II", "3" for "Three"
        self.qualifiers: Final = qualifiers  # tokens of bracketed or comma-separated annotations
        self.former: Final = former  # names after "ex", "f.k.a.", "formerly"
        self.foreign_script: Final = foreign_script  # transliterated from a non-Latin script
        self.vessel_prefix: Final = vessel_prefix
        self.compact: Final = compact  # every name token joined, for spacing differences

    def _fields(self) -> tuple[object, ...]:
        return (self.original, self.tokens, self.legal_forms, self.numerals, self.qualifiers, self.former,
                self.foreign_script, self.vessel_prefix, self.compact)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Name) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        names = ("original", "tokens", "legal_forms", "numerals", "qualifiers", "former", "foreign_script",
                 "vessel_prefix", "compact")
        return f"Name({', '.join(f'{n}={v!r}' for n, v in zip(names, self._fields(), strict=True))})"

    def replaced(self, *, tokens: tuple[str, ...], compact: str, qualifiers: tuple[str, ...] | None = None) -> Name:
        """The same name with other tokens (and annotations): folded or respelled for a comparison."""
        return Name(self.original, tokens, self.legal_forms, self.numerals,
                    self.qualifiers if qualifiers is None else qualifiers, self.former,
                    self.foreign_script, self.vessel_prefix, compact)

    # Which script a transliterated name came from: worked out from the text when asked (only names
    # from another script ask), so that the quarter of a million Latin names of a list pay nothing.
    @property
    def abjad(self) -> bool:
        """From Hebrew or Arabic, which write few vowels and one letter for b/v/p and for f/p."""
        return self.foreign_script and is_abjad(self.original)

    @property
    def glossed(self) -> dict[str, str]:
        """Each business word the glossary translated, with its own transliteration ("gold": "hzhv" for
        הזהב): a Latin spelling may transliterate the word instead of translating it."""
        if not self.foreign_script:
            return {}
        text = unified(self.original)
        return {english: "".join(_words(anyascii(native).casefold()))
                for english, native in native_spellings(text).items() if english in self.tokens}

    @property
    def burmese(self) -> bool:
        """From Burmese, romanised one syllable per word."""
        return self.foreign_script and is_burmese(self.original)

    @property
    def cjk(self) -> bool:
        """From Chinese, Japanese or Korean characters: one syllable per character."""
        return self.foreign_script and CJK.search(self.original) is not None

    @property
    def key(self) -> str:
        """Order-free text of the core tokens (what rapidfuzz's token scorers compare)."""
        return " ".join(sorted(self.tokens))


def _invisible_characters() -> dict[int, str]:
    """Format and control characters (Unicode categories Cf and Cc: zero-width spaces and joiners, bidi
    controls, the soft hyphen, tags) and the letters that print as nothing (Hangul fillers, the braille
    blank): each a space, so that a word split by one is two words, as it is to a reader's eye."""
    planes = itertools.chain(range(0x10000), range(0x1BCA0, 0x1BCA4), range(0x1D173, 0x1D17B),
                             range(0x13430, 0x13440), range(0xE0000, 0xE0080))
    table = {point: " " for point in planes if unicodedata.category(chr(point)) in ("Cf", "Cc")}
    table.update({point: " " for point in (0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F, 0x180E)})
    return table


INVISIBLE: Final = _invisible_characters()


def is_abjad(text: str) -> bool:
    """Whether the text holds Hebrew or Arabic letters."""
    return _ABJAD_LETTER.search(text) is not None


def unified(text: str) -> str:
    """NFKC, with the Hebrew gershayim and geresh as the ASCII quotes they stand for (בע״מ is בע"מ)."""
    return unicodedata.normalize("NFKC", text).replace("״", '"').replace("׳", "'")


def to_ascii(text: str) -> tuple[str, bool]:
    """NFKC, native legal forms to Latin, homoglyphs fixed, transliterated; and whether it was not Latin."""
    if text.isascii():
        return text, False
    text = unified(text.translate(INVISIBLE))
    for native, latin in legal_forms.NATIVE_FORMS:
        if native in text:
            text = text.replace(native, latin)
    text = " ".join(_fix_homoglyphs(word) for word in text.split())
    foreign = any(ch.isalpha() and not _is_latin(ch) for ch in text)
    if foreign:
        text = gloss_native(text)  # 贸易 is "trading", not "mao yi" (glossary.py)
    if foreign and is_burmese(text):
        text = romanise_burmese(text)
    if "第" in text:  # 第八 is "No. 8": a numeral, as in Japanese and Chinese vessel names
        text = _ORDINAL.sub(lambda m: f" No. {_chinese_number(m.group(1))} ", text)
    return anyascii(CJK.sub(r" \1 ", text)), foreign


def _chinese_number(digits: str) -> int:
    """一 to 九百九十九 (十八 is 18, 二十 is 20, 三十五 is 35)."""
    total = current = 0
    for ch in digits:
        if ch in _CHINESE_UNITS:
            total += (current or 1) * _CHINESE_UNITS[ch]
            current = 0
        else:
            current = _CHINESE_DIGITS[ch]
    return total + current


@lru_cache(maxsize=4096)
def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


def _fix_homoglyphs(word: str) -> str:
    """Map Cyrillic/Greek look-alikes to Latin in a word that also holds Latin letters."""
    if any(ord(ch) in _CONFUSABLE for ch in word) and any("a" <= ch.lower() <= "z" for ch in word):
        return word.translate(_HOMOGLYPHS)
    return word


def normalise_name(text: str) -> Name:
    """The comparable form of a party name (see the module docstring for the steps)."""
    ascii_text, foreign = to_ascii(text)
    lowered = ascii_text.casefold()
    if "'s" in lowered:
        lowered = _POSSESSIVE.sub("", lowered)  # "Harlow Bank's": the bank, not a plural
    digits = not _DIGITS.isdisjoint(lowered)  # (the look-alike, ordinal and voyage patterns all need one)
    if digits and _LEET.search(lowered):
        lowered = _LEET.sub(lambda m: _LEET_LETTERS[m.group(0)], lowered)  # "Petr0v", "Dm1tri"
        digits = not _DIGITS.isdisjoint(lowered)
    if ":" in lowered:
        lowered = _LABEL.sub("", lowered)
    if "hong kong" in lowered:
        lowered = lowered.replace("hong kong", "hongkong")  # one place, as 香港 is: a country word
    if digits and _ORDINAL_SUFFIX.search(lowered):
        lowered = _ORDINAL_SUFFIX.sub(lambda m: ORDINAL_WORDS[int(m.group(1)) - 1], lowered)
    if digits and ("v." in lowered or "voy" in lowered) and _VOYAGE.search(lowered):
        lowered = _VOYAGE.sub(" ", lowered)  # "V.118E", "Voy. 12": the voyage, not the ship
    if "/" in lowered:
        lowered = _SLASHED_LETTERS.sub(r"\1", _CARE_OF.sub("", lowered))  # "m/v" -> "mv", "f/k/a" -> "fka"
    primary, *formers = _split_former(lowered)
    former = tuple(f for f in (_parse(part, text, foreign) for part in formers) if f.tokens)
    return _parse(primary, text, foreign, former)


@lru_cache(maxsize=20_000)  # (the scorer asks again for names it compares often)
def written_words(text: str) -> tuple[str, ...]:
    """The words of a name as written, every one of them (legal forms, stop words, annotations,
    numbers) in its order, in ASCII lower case: two names with the same written words are the same name
    typed as listed, whatever the case, spacing, punctuation or script of their letters."""
    if text.isascii():
        return tuple(_words(text.casefold()))
    folded = " ".join(_fix_homoglyphs(word) for word in unified(text.translate(INVISIBLE)).split()).casefold()
    if any(ch.isalpha() and not _is_latin(ch) for ch in folded):  # 高石 is not 高市, though both read "gao shi"
        return tuple(_NATIVE_WORD.findall(folded))
    return tuple(_words(anyascii(folded)))


def _split_former(text: str) -> list[str]:
    """The current name, then each former name ("Ocean Pioneer (ex-Cape Diamond)")."""
    if not ("ex" in text or "former" in text or "known" in text or ("k" in text and _KA.search(text))):
        return [text]  # (every marker holds one of these; the full pattern, tried at each position, is slow)
    parts = _FORMER.split(text)
    if len(parts) < 2 or not _WORD.search(parts[0]):
        return [text]
    return [parts[0], *(p.strip(" ()") for p in parts[1:] if _WORD.search(p))]


def _words(text: str) -> list[str]:
    """ASCII words: dots and apostrophes join ("S.A." -> "sa"), other punctuation separates."""
    if "." in text or "'" in text or "&" in text or '"' in text or "`" in text:  # (translate is slow per character)
        text = text.translate(_JOINING)
    if text.isascii() and text.islower() and text.replace(" ", "").isalpha():
        return text.split()  # lower-case letters and spaces only (most names): the same words, without the regex
    return _WORD.findall(text)


def _parse(text: str, original: str, foreign: bool, former: tuple[Name, ...] = ()) -> Name:
    main, qualifier_texts = _segments(text)
    words = _words(main)
    if not BRANCH_WORDS.isdisjoint(words):  # "... Branch 2", "... Representative Office": an annotation
        words, branch = _branch_split(words)
        if branch:
            qualifier_texts = [" ".join(branch), *qualifier_texts]
    # a name written in characters only (a Latin "AS" beside them is still read as a legal form)
    cjk = foreign and CJK.search(original) is not None and not any("a" <= ch <= "z" for ch in original.lower())
    initials = frozenset(_INITIAL.findall(main)) if "." in main else frozenset()
    tokens, forms, numerals, vessel = _core(words, cjk, initials)
    # Taking out a numeral or a stop word can expose another legal form or numeral at the edge
    # ("Nova Co 5"); repeat until nothing changes, so that normalising a normalised name is a no-op.
    for _ in range(3):
        if not numerals and not vessel and STOP_WORDS.isdisjoint(words):
            break  # only legal forms came out, and their removal is already repeated to the end
        again, more_forms, more_numerals, more_vessel = _core(list(tokens), cjk, initials)
        if again == tokens:
            break
        tokens, forms, numerals = again, forms + more_forms, numerals + more_numerals
        vessel = vessel or more_vessel
    qualifiers: list[str] = []
    for qualifier in qualifier_texts:
        rest, q_numerals = _take_numerals(_words(qualifier), qualifier=True)
        numerals.extend(q_numerals)
        # (abbreviations written out and honorifics dropped as in the name: "KIM, Dr" / "AHMED, PRC")
        qualifiers.extend(ABBREVIATIONS.get(w, w) for w in rest if w not in STOP_WORDS and w not in HONORIFICS)
    if numerals or not _NUMBER_MARKS.isdisjoint(words):
        compact = "".join(w for w in words if w not in _NUMBER_MARKS and not w.isdigit())
    else:
        compact = "".join(words)
    if forms and tokens and not original.isascii() and _SA_NAME.search(original):  # "Sá": a family name, not S.A.
        tokens, forms = (*tokens, "sa"), [form for form in forms if form.code != "sa"]
    # (the empty tuple for what most names lack: no call to build one)
    return Name(original, tokens, tuple(dict.fromkeys(forms)) if forms else (),
                tuple(sorted(numerals)) if numerals else (), tuple(qualifiers) if qualifiers else (), former,
                foreign_script=foreign, vessel_prefix=vessel, compact=compact if tokens else "")


def _branch_split(words: list[str]) -> tuple[list[str], list[str]]:
    """The words of the name, and those from a branch word on ("Branch 2", "Representative Office"):
    only when a word of the name that is no stop word stands before it."""
    for position in range(1, len(words)):
        if words[position] in BRANCH_WORDS:
            if all(w in STOP_WORDS for w in words[:position]):
                return words, []
            return words[:position], words[position:]
    return words, []


# Stop words that are also syllables of Chinese in pinyin (大 "da", 德 "de", 安 "an", 乐 "le").
CHINESE_SYLLABLE_STOP_WORDS: Final = frozenset({"a", "an", "da", "de", "di", "du", "e", "ha", "la", "le"})


def spoken_tokens(name: Name, stop_words: frozenset[str] = STOP_WORDS) -> tuple[str, ...]:
    """The name's tokens with its stop words (or those of `stop_words`) left in: in a romanised Burmese
    or Chinese name "la", "da" or "di" is a syllable, not an article. Worked out again from the text
    when asked (comparisons across scripts with Burmese or CJK names only)."""
    return _spoken_tokens(name.original, name.tokens, stop_words)


@lru_cache(maxsize=20_000)
def _spoken_tokens(original: str, tokens: tuple[str, ...], stop_words: frozenset[str]) -> tuple[str, ...]:
    """spoken_tokens, remembered: a listed name in Chinese characters is read again for every Latin name
    it is scored against, and transliterating it again cost about 100,000 instructions a call."""
    primary = _split_former(to_ascii(original)[0].casefold())[0]
    kept = set(tokens)
    spoken = tuple(w for w in _words(_segments(primary)[0]) if w in stop_words or w in kept)
    return spoken if kept.issubset(spoken) else tokens


def _core(words: list[str], cjk: bool = False, initials: frozenset[str] = frozenset()
          ) -> tuple[tuple[str, ...], list[LegalForm], list[str], bool]:
    """Name tokens, legal forms, numerals and whether a vessel prefix led the name.

    `initials` are single letters written as initials ("A. Khamenei", "J.-C. Juncker"): kept, although
    "a", "c" or "i" alone are stop words.
    """
    core, forms = legal_forms.split_legal_forms(words, legal_forms.CJK_FORMS if cjk else None)
    core, numerals = _take_numerals(core)
    vessel = len(core) > 1 and core[0] in VESSEL_PREFIXES
    if vessel:
        core = core[1:]
    if _REWRITTEN.isdisjoint(core):
        return tuple(core), forms, numerals, vessel  # (most names: nothing to drop or spell out)
    last = len(core) - 1
    # a letter alone is a word of the name ("I Machine Technology", "I A C International"), but for
    # "and" between two longer words ("Pérez y Gómez", "Lopes e Filhos")
    kept = [ABBREVIATIONS.get(w, w) for i, w in enumerate(core) if w not in HONORIFICS and (
            w not in STOP_WORDS or w in initials
            or (len(w) == 1 and not (0 < i < last and len(core[i - 1]) > 1 and len(core[i + 1]) > 1)))]
    if not _PHRASE_STARTS.isdisjoint(kept):
        kept = _places(kept)
    return tuple(kept) or tuple(core), forms, numerals, vessel


def _places(words: list[str]) -> list[str]:
    """Places written in several words as their one word ("United Arab Emirates" is "emirates", as UAE
    is): the longest run first."""
    placed: list[str] = []
    position = 0
    while position < len(words):
        for width in (3, 2):
            place = abbreviations.PLACE_PHRASES.get(tuple(words[position:position + width]))
            if place is not None:
                placed.append(place)
                position += width
                break
        else:
            placed.append(words[position])
            position += 1
    return placed


def _segments(text: str) -> tuple[str, list[str]]:
    """The main part of a name and its annotations (bracketed, after a comma or a spaced dash)."""
    if "(" not in text and "," not in text and ";" not in text and " - " not in text and "\u2013" not in text \
            and "\u2014" not in text:
        return text, []
    qualifiers: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in _PARENS.finditer(text):
        inner = match.group(1)
        following = _words(text[match.end():])[:1]
        inner_words = _words(inner)
        pieces.append(text[last:match.start()])
        if inner_words and (legal_forms.is_legal_form(inner_words)
                            or legal_forms.is_legal_form(inner_words + following)):
            pieces.append(" " + inner + " ")
        else:
            qualifiers.append(inner)
        last = match.end()
    pieces.append(text[last:])
    head, *tail = _SEGMENT.split("".join(pieces))
    for segment in tail:
        if legal_forms.is_legal_form(_words(segment)):
            head += " " + segment
        elif segment.strip():
            qualifiers.append(segment)
    return head, qualifiers


def _take_numerals(words: list[str], *, qualifier: bool = False) -> tuple[list[str], list[str]]:
    """Separate numerals (digits, roman numerals, number words) from the other words."""
    if _NUMERAL_WORDS.isdisjoint(words) and not any(map(str.isdigit, words)):  # (words are letters or digits)
        return list(words), []
    rest: list[str] = []
    numerals: list[str] = []
    words = _join_tens(words)
    for position, word in enumerate(words):
        last = position == len(words) - 1 and position > 0
        if word.isdigit():
            numerals.append(word.lstrip("0") or "0")
        elif (position > 0 and word in _ROMAN) or (last and word in _ROMAN_LAST and not qualifier):
            numerals.append(_ROMAN.get(word) or _ROMAN_LAST[word])
        elif word in NUMBER_WORDS and len(words) > 1:
            numerals.append(NUMBER_WORDS[word])
        else:
            rest.append(word)
    return rest, numerals


def _join_tens(words: list[str]) -> list[str]:
    """Number words of tens as digits, joined with a following unit ("forty four", "forty 4" -> "44")."""
    if TENS_WORDS.keys().isdisjoint(words) or len(words) < 2:
        return words
    joined: list[str] = []
    position = 0
    while position < len(words):
        word = words[position]
        if word in TENS_WORDS:
            following = words[position + 1] if position + 1 < len(words) else ""
            unit = NUMBER_WORDS.get(following, following if len(following) == 1 and following.isdigit() else "")
            if unit and int(unit) < 10:
                joined.append(str(TENS_WORDS[word] + int(unit)))
                position += 2
                continue
            joined.append(str(TENS_WORDS[word]))
        else:
            joined.append(word)
        position += 1
    return joined


# Romanisations of Russian, Ukrainian and Belarusian (BGN/PCGN, ICAO, GOST, German and French) agree on
# the key: kh/h, zh/j, ts/c/tz, sch/sh, tsch/ch (Tscheressow, Wladimirowitsch), ks/x (Aleksey/Alexei),
# y/i/j (Dmitriy/Dmitrii/Dmitry, Yuriy/Jurij), gu before e and i (French Evgueni), ye/e at the start of
# a word and after a vowel (Yevgeny/Evgenii, Sergeyev/Sergeev), a final -off/-ow (Smirnoff/Smirnov).
_PHONETIC_RULES: Final = (("x", "ks"), ("sch", "s"), ("tch", "c"), ("kh", "h"), ("zh", "j"), ("sh", "s"), ("ch", "c"),
                          ("tz", "c"), ("ts", "c"), ("cz", "c"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("qu", "k"),
                          ("q", "k"), ("gue", "ge"), ("gui", "gi"), ("w", "v"), ("y", "i"), ("j", "i"), ("ou", "u"),
                          ("eie", "ee"), ("ee", "i"), ("aie", "ae"), ("oie", "oe"))
_PHONETIC_SPELLINGS: Final = spelling_rules(_PHONETIC_RULES)
# (the vowels dropped by str.replace: a regular expression cost several times as much per word, and
# str.translate, which looks each letter up in a dictionary, twice as much)
_NO_VOWELS: Final = spelling_rules(tuple((vowel, "") for vowel in "aeiou"))


# Words whose keys are remembered, in dictionaries of ours emptied when full rather than functools.lru_cache:
# compiled code reaches them without a Python-level call, which cost more than the look-up itself (the
# scorer asks for both keys of both words of most pairs it compares).
_PHONETICS: Final[dict[str, str]] = {}
_SKELETONS: Final[dict[str, str]] = {}
KEYS_KEPT: Final = 200_000


def phonetic(token: str) -> str:
    """A romanisation-tolerant key: Levitsky/Levitskiy, Rabinovich/Rabinowitz, Husain/Hussain agree."""
    found = _PHONETICS.get(token)
    if found is None:
        key = respell(token, _PHONETIC_SPELLINGS)
        if key.startswith("ie") and len(key) > 3:  # Yevgeny, Jelena: ye/je at the start is e (Evgenii, Elena)
            key = key[1:]
        if key.endswith(("of", "off")) and len(key) > 4:  # Smirnoff, Romanof: the French and German -ov
            key = key.rstrip("f") + "v"
        found = collapse_runs(key)
        if len(_PHONETICS) >= KEYS_KEPT:
            _PHONETICS.clear()
        _PHONETICS[token] = found
    return found


def skeleton(token: str) -> str:
    """The phonetic key without vowels after the first letter: Qureshi/Quraishi, Abdalla/Abdulla agree."""
    found = _SKELETONS.get(token)
    if found is None:
        key = phonetic(token)
        found = collapse_runs(key[:1] + respell(key[1:], _NO_VOWELS))  # (the first letter kept, vowel or not)
        if len(_SKELETONS) >= KEYS_KEPT:
            _SKELETONS.clear()
        _SKELETONS[token] = found
    return found


# Hebrew and Arabic transliterations write consonants only, and one letter has several readings
# (ב: b or v; ו: v, o or u; כ: k or kh): keep classes of consonants, drop the letters that are vowels
# in one script and consonants in the other.
_LOOSE_DIGRAPHS: Final = (("sch", "s"), ("tch", "c"), ("kh", "k"), ("ch", "k"), ("sh", "s"), ("zh", "z"), ("ts", "s"),
                          ("tz", "s"), ("th", "t"), ("ph", "p"), ("ck", "k"), ("x", "ks"))
_LOOSE_SPELLINGS: Final = spelling_rules(_LOOSE_DIGRAPHS)
# (the vowels too, in the same pass: no letter is mapped to a vowel)
_LOOSE: Final = str.maketrans({"v": None, "w": None, "b": None, "y": None, "h": None, "f": "p", "q": "k", "g": "k",
                               "c": "k", "z": "s", "d": "t", "j": None, **dict.fromkeys("aeiou")})


@lru_cache(maxsize=200_000)
def abjad_skeleton(token: str) -> str:
    """The loose skeleton with p and f left out too (what an abjad word and its Latin spelling share):
    Arabic has no p (ب is b and p) and Hebrew one letter for p and f (פ), so both drop out like b and v."""
    return collapse_runs(loose_skeleton(token).replace("p", ""))


@lru_cache(maxsize=200_000)
def loose_skeleton(token: str) -> str:
    """For names transliterated from scripts that write few vowels (Hebrew, Arabic): consonant classes."""
    token = respell(token, _LOOSE_SPELLINGS)
    key = token.translate(_LOOSE)
    return collapse_runs(key)
