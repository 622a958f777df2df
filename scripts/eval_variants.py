"""String rules that vary listed names as clerks and evaders do, and invent look-alikes that are not listed.

Used by scripts/eval_sets.py. Written without the matcher on purpose: the words, forms and comparisons
here are our own, so that the sets do not measure the matcher against itself.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from service.engine.parties.entry import ListEntry

# ---------------------------------------------------------------------------------------------------------
# Words and comparisons of our own (deliberately not the matcher's normalisation)

def plain(text: str) -> str:
    """Lower-case letters and digits only, accents removed: for comparing names, not for matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isalnum() and ch.isascii())


def listed_vocabulary(entries: Iterable[ListEntry]) -> tuple[set[str], set[str]]:
    """Every listed name (plain, spaces removed) and every word of a listed name (plain)."""
    names: set[str] = set()
    vocabulary: set[str] = set()
    for entry in entries:
        for name in entry.all_names():
            names.add(plain(name))
            vocabulary.update(plain(word) for word in re.split(r"[\s,;()/&-]+", name) if plain(word))
    return names, vocabulary


# ---------------------------------------------------------------------------------------------------------
# Clerk variants

# English forms have no jurisdiction (any company's form is translated so): a change between them is a
# clerk's variant. A national form is only added, never swapped for another country's.
ENGLISH_FORMS = ("LLC", "Ltd.", "Limited", "Co., Ltd.", "Inc.", "Corp.", "Company Limited", "PLC")
LEGAL_FORMS = (*ENGLISH_FORMS, "JSC", "OOO", "GmbH", "S.A.", "FZE", "LLP")
_TRAILING_FORM = re.compile(
    r"[\s,]+(?:co\.?,?\s*ltd\.?|company\s+limited|limited\s+liability\s+company|l\.?l\.?c\.?|ltd\.?|limited|"
    r"inc\.?|incorporated|corp\.?|corporation|jsc|ojsc|cjsc|pjsc|ooo|zao|oao|gmbh|fze|fzco|fzc|fz-llc|llp|plc|"
    r"s\.?a\.?\s+de\s+c\.?v\.?|s\.?a\.?s\.?|s\.?a\.?l\.?|s\.?a\.?r\.?l\.?|s\.?a\.?|ltda\.?|"
    r"co\.?|company|s\.?r\.?l\.?|b\.?v\.?|n\.?v\.?|a\.?g\.?|pte\.?\s+ltd\.?|sdn\.?\s+bhd\.?|"
    r"(?:pvt|private)\.?\s+(?:ltd\.?|limited)|a\.?s\.?|sprl|s\.?c\.?s\.?|e\.?u\.?|ltd\.?\s+sti\.?)\s*$",
    re.IGNORECASE)
# Business words and places as clerks shorten them (common commercial usage).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "trading": ("Trdg",), "international": ("Intl", "Int'l"), "development": ("Devt", "Dev"),
    "company": ("Co",), "corporation": ("Corp",), "hong kong": ("HK",), "industries": ("Inds", "Ind"),
    "industrial": ("Indl",), "engineering": ("Engg", "Eng"), "manufacturing": ("Mfg",),
    "technology": ("Tech",), "technologies": ("Techs",), "holdings": ("Hldgs",), "holding": ("Hldg",),
    "services": ("Svcs",), "national": ("Natl",), "association": ("Assn",), "brothers": ("Bros",),
    "limited": ("Ltd",), "investment": ("Invt",), "investments": ("Invts",), "management": ("Mgmt",),
    "group": ("Grp",), "shipping": ("Shpg",), "enterprise": ("Ent",), "enterprises": ("Ents",),
    "general": ("Genl",), "marine": ("Mar",), "import": ("Imp",), "export": ("Exp",),
    "united arab emirates": ("UAE",), "saudi arabia": ("KSA",), "russian federation": ("RF",),
    "people's republic of china": ("PRC",), "united states": ("USA",), "united kingdom": ("UK",),
    "establishment": ("Est",), "petroleum": ("Petr",), "electronics": ("Elec",), "equipment": ("Eqpt",),
}
_ABBREVIABLE = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def _styled(word: str, like: str) -> str:
    """A word in capitals when the text it goes into is written in capitals."""
    return word.upper() if like.isupper() else word


def _word_spans(name: str, minimum: int = 1) -> list[re.Match[str]]:
    return [m for m in re.finditer(r"[A-Za-z]+", name) if len(m.group()) >= minimum]


def typo_drop(name: str, rng: random.Random) -> str | None:
    """One letter left out of a word of five letters or more (never its first letter)."""
    spans = _word_spans(name, 5)
    if not spans:
        return None
    span = rng.choice(spans)
    at = rng.randrange(span.start() + 1, span.end())
    return name[:at] + name[at + 1:]


def typo_double(name: str, rng: random.Random) -> str | None:
    """One letter typed twice in a word of four letters or more."""
    spans = _word_spans(name, 4)
    if not spans:
        return None
    span = rng.choice(spans)
    at = rng.randrange(span.start() + 1, span.end())
    return name[:at] + name[at] + name[at:]


def typo_swap(name: str, rng: random.Random) -> str | None:
    """Two different adjacent letters swapped inside a word of five letters or more ("Ildeb" for "Idleb")."""
    places = [i for span in _word_spans(name, 5) for i in range(span.start() + 1, span.end() - 1)
              if name[i].lower() != name[i + 1].lower()]
    if not places:
        return None
    at = rng.choice(places)
    return name[:at] + name[at + 1] + name[at] + name[at + 2:]


def split_form(name: str) -> tuple[str, str]:
    """The name before its trailing legal form, and the form as written ("" if none)."""
    found = _TRAILING_FORM.search(name)
    if not found:
        return name, ""
    return name[:found.start()].rstrip(" ,"), found.group().strip(" ,")


def word_order(name: str, rng: random.Random) -> str | None:
    """People as "First Last" for a listed "LAST, First"; other names with their first word moved last
    (before the legal form, which stays at the end)."""
    core, form = split_form(name)
    if "," in core:
        last, _, first = (part.strip() for part in core.partition(","))
        if last and first and "," not in first and not form:
            return f"{first} {last}"
        return None
    parts = core.split()
    if len(parts) < 2:
        return None
    return " ".join([*parts[1:], parts[0], *([form] if form else [])])


def legal_form(name: str, rng: random.Random) -> str | None:
    """A legal form taken off, changed for another, or added."""
    core, form = split_form(name)
    if not core.strip():
        return None
    if form:
        if rng.random() < 0.5:
            return core
        if plain(form) not in {plain(f) for f in ENGLISH_FORMS}:
            return None
        return f"{core} {rng.choice([f for f in ENGLISH_FORMS if plain(f) != plain(form)])}"
    return f"{name} {_styled(rng.choice(LEGAL_FORMS), name)}"


def abbreviation(name: str, rng: random.Random) -> str | None:
    """One business word or place shortened as a clerk would (Trading -> Trdg, Hong Kong -> HK)."""
    found = list(_ABBREVIABLE.finditer(name))
    if not found:
        return None
    span = rng.choice(found)
    short = _styled(rng.choice(ABBREVIATIONS[re.sub(r"\s+", " ", span.group().lower())]), span.group())
    return name[:span.start()] + short + name[span.end():]


PARTICLES = {"bin", "ben", "ibn", "bint", "binti", "al", "el", "abu", "abd", "abdul", "de", "del", "la", "van",
             "von", "der", "da", "dos", "y", "ould", "wuld", "ag", "haji", "hajji"}


def _droppable(parts: list[str], start: int, stop: int) -> list[int]:
    """Positions of whole names that may be left out: neither a particle nor right after one."""
    return [i for i in range(start, stop)
            if plain(parts[i]) not in PARTICLES and plain(parts[i - 1]) not in PARTICLES]


def missing_middle_name(name: str, rng: random.Random) -> str | None:
    """A person's middle name left out ("LAST, First Middle" or "FIRST MIDDLE LAST")."""
    if "," in name:
        last, _, given = name.partition(",")
        given_words = given.split()
        places = _droppable(given_words, 1, len(given_words))
        if not places:
            return None
        drop = rng.choice(places)
        return f"{last.strip()}, {' '.join(given_words[:drop] + given_words[drop + 1:])}"
    parts = name.split()
    places = _droppable(parts, 1, len(parts) - 1)
    if not places:
        return None
    drop = rng.choice(places)
    return " ".join(parts[:drop] + parts[drop + 1:])


def hyphen_space(name: str, rng: random.Random) -> str | None:
    """A hyphen written as a space or left out, or two words hyphenated."""
    if "-" in name:
        return name.replace("-", rng.choice((" ", "")))
    core, _ = split_form(name.partition(",")[0])
    gaps = [m.start() for m in re.finditer(r"(?<=[A-Za-z]) (?=[A-Za-z])", core)]
    if not gaps:
        return None
    at = rng.choice(gaps)
    return name[:at] + "-" + name[at + 1:]


def all_caps(name: str, rng: random.Random) -> str | None:
    """The name in capitals (only names listed with lower-case letters)."""
    upper = name.upper()
    return upper if upper != name else None


# Russian names re-transliterated: the lists write BGN/PCGN-like spellings; clerks and passports use others.
# A spelling is cut into letters and letter groups, each read as the Cyrillic letter it stands for, then
# written in another scheme. Approximate (BGN "y" is both ы and й), as a clerk's spelling is.
_RUSSIAN_UNITS = re.compile(r"shch|kh|ts|ch|sh|zh|yu|ya|ye|yo|iy\b|yy\b|[a-z]", re.IGNORECASE)
SCHEMES: dict[str, dict[str, str]] = {
    # ICAO 9303 (passports since 2013): Yevgeny -> Evgenii, Yuriy -> Iurii
    "icao": {"yu": "iu", "ya": "ia", "ye": "e", "yo": "e", "iy": "ii", "yy": "y"},
    # German: Tscheressow, Wladimirowitsch
    "german": {"shch": "schtsch", "kh": "ch", "ts": "z", "ch": "tsch", "sh": "sch", "zh": "sh", "yu": "ju",
               "ya": "ja", "ye": "je", "yo": "jo", "iy": "i", "yy": "y", "v": "w"},
    # French: Tchernov, Jirinovski, Soloviev
    "french": {"sh": "ch", "ch": "tch", "zh": "j", "u": "ou", "yu": "iou", "ya": "ia", "ye": "ie", "iy": "i",
               "yy": "y", "kh": "kh"},
    # a clerk's plain spelling: kh/h, ts/c, zh/j, -iy/-y, ye/e
    "plain": {"kh": "h", "ts": "c", "zh": "j", "iy": "y", "ye": "e", "shch": "sch", "yo": "e"},
}
_RUSSIAN_PROGRAMS = re.compile(r"UKRAINE|RUSSIA|BELARUS|CAATSA|CYBER", re.IGNORECASE)


def is_russian(entry: ListEntry) -> bool:
    """Entries whose names are likely romanised from Russian, Ukrainian or Belarusian."""
    return bool({"RU", "UA", "BY"} & set(entry.countries)) or any(_RUSSIAN_PROGRAMS.search(p) for p in entry.programs)


def _retransliterate(name: str, scheme: dict[str, str]) -> str:
    def unit(match: re.Match[str]) -> str:
        text = match.group()
        spelled = scheme.get(text.lower())
        if spelled is None:
            return text
        if text.isupper():
            return spelled.upper()
        return spelled.capitalize() if text[0].isupper() else spelled

    return _RUSSIAN_UNITS.sub(unit, name)


def transliteration(name: str, rng: random.Random) -> str | None:
    """The name spelled by another romanisation of Russian (ICAO, German, French or a plain one)."""
    names = list(SCHEMES)
    rng.shuffle(names)
    for scheme in names:
        spelled = _retransliterate(name, SCHEMES[scheme])
        if spelled != name:
            return spelled
    return None


# BGN/PCGN read back into Cyrillic: what a Russian clerk types for a name the list spells in Latin.
_CYRILLIC_UNITS = re.compile(r"shch|kh|ts|ch|sh|zh|yu|ya|ye|yo|iy\b|yy\b|y|[a-z]", re.IGNORECASE)
_TO_CYRILLIC = {"shch": "щ", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "zh": "ж", "yu": "ю", "ya": "я",
                "ye": "е", "yo": "ё", "iy": "ий", "yy": "ый", "a": "а", "b": "б", "v": "в", "g": "г", "d": "д",
                "e": "е", "z": "з", "i": "и", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
                "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф", "c": "ц", "h": "х", "w": "в", "x": "кс"}
_VOWELS = set("aeiouy")


def cyrillic(name: str, rng: random.Random) -> str | None:
    """The name written in Cyrillic, read back from its BGN/PCGN spelling ("KOSTYUKOV, Igor" -> "КОСТЮКОВ,
    Игор"). A lone `y` is ы after a consonant and й after a vowel."""
    if not name.isascii() or not re.search(r"[A-Za-z]", name):
        return None

    def unit(match: re.Match[str]) -> str:
        text = match.group()
        letters = text.lower()
        if letters == "y":
            before = match.string[match.start() - 1:match.start()].lower()
            spelled = "й" if before in _VOWELS else "ы"
        else:
            spelled = _TO_CYRILLIC.get(letters, text)
        if text.isupper():
            return spelled.upper() if len(text) > 1 or len(spelled) == 1 else spelled.capitalize()
        return spelled.capitalize() if text[0].isupper() else spelled

    return _CYRILLIC_UNITS.sub(unit, name)


# ---------------------------------------------------------------------------------------------------------
# Evasions (organisations)

BRANCHES = ("Branch", "Branch {n}", "Office {n}", "Representative Office", "Division {n}", "Liaison Office",
            "Branch Office")
ZERO_WIDTH_SPACE = "\u200b"
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і",
               "A": "А", "E": "Е", "O": "О", "P": "Р", "C": "С", "X": "Х", "H": "Н", "K": "К", "M": "М", "T": "Т",
               "B": "В"}


def number_suffix(name: str, rng: random.Random) -> str | None:
    """A number appended on one side only ("X 7")."""
    return f"{name} {rng.randint(1, 9)}"


def branch_suffix(name: str, rng: random.Random) -> str | None:
    """A branch, office or division suffix ("X Branch 2")."""
    return f"{name} {rng.choice(BRANCHES).format(n=rng.randint(1, 9))}"


def run_together(name: str, rng: random.Random) -> str | None:
    """The first two words written as one ("SharpEdge Engineering")."""
    found = re.match(r"(\s*[A-Za-z]+) ([A-Za-z]+)", name)
    if not found or len(found.group(2)) < 2:
        return None
    return found.group(1) + found.group(2) + name[found.end():]


def zero_width(name: str, rng: random.Random) -> str | None:
    """A zero-width space instead of the space between two words: invisible, one word to a naive reader."""
    gaps = [m.start() for m in re.finditer(r"(?<=\w) (?=\w)", name)]
    if not gaps:
        return None
    at = rng.choice(gaps)
    return name[:at] + ZERO_WIDTH_SPACE + name[at + 1:]


def full_width(name: str, rng: random.Random) -> str | None:
    """Every ASCII letter and digit as its full-width form."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in name)


def homoglyph(name: str, rng: random.Random) -> str | None:
    """One Latin letter replaced by the Cyrillic letter that looks the same."""
    places = [i for i, ch in enumerate(name) if ch in _HOMOGLYPHS]
    if not places:
        return None
    at = rng.choice(places)
    return name[:at] + _HOMOGLYPHS[name[at]] + name[at + 1:]


def inserted_word(name: str, rng: random.Random) -> str | None:
    """A generic word inserted between two words, or appended to a one-word name."""
    present = {plain(w) for w in name.split()}
    choices = [w for w in ("Trading", "General", "Group", "International") if plain(w) not in present]
    word = _styled(rng.choice(choices), name)
    parts = name.split(" ")
    at = rng.randrange(1, len(parts)) if len(parts) > 1 else 1
    return " ".join([*parts[:at], word, *parts[at:]])


# ---------------------------------------------------------------------------------------------------------
# Look-alike negatives: invented names, checked against every listed name and word

LEGAL_WORDS = {"co", "ltd", "llc", "inc", "corp", "sa", "sal", "sas", "sarl", "srl", "ooo", "zao", "oao", "ojsc",
               "jsc", "cjsc", "pjsc", "gmbh", "ag", "bv", "nv", "plc", "llp", "fze", "fzco", "ltda", "cv", "company",
               "limited", "corporation", "incorporated", "pte", "pvt", "sdn", "bhd", "as", "sac", "eirl"}
STOP_WORDS = {"the", "of", "and", "for", "de", "la", "el", "al", "del", "des", "du", "y", "et", "&", "a", "an"}
GENERIC = LEGAL_WORDS | {"trading", "international",
           "group", "holding", "holdings", "industries", "industrial", "industry", "engineering", "services",
           "shipping", "bank", "general", "import", "export", "investment", "investments", "development",
           "technology", "technologies", "enterprise", "enterprises", "global", "commercial", "commerce",
           "construction", "logistics", "marine", "petroleum", "oil", "gas", "energy", "electronics", "systems",
           "management", "manufacturing", "foundation", "establishment", "agency", "transport", "tourism",
           "exchange", "money", "finance", "financial", "insurance", "pharmaceutical", "chemical", "chemicals",
           "equipment", "machinery", "supply", "supplies", "products", "textile", "textiles", "travel",
           "institute", "research", "scientific", "center", "centre", "university", "factory", "plant",
           "complex", "organization", "organisation", "office", "house", "hotel", "agricultural", "aviation",
           "port", "petrochemical", "refinery", "power", "trust", "fund", "ventures", "store", "importexport",
           "airlines", "air", "lines", "line", "steel", "metal", "metals", "mining", "resources", "partners",
           "solutions", "consulting", "network", "media"}
_SYLLABLES = ("ka", "lo", "ven", "tra", "mar", "zu", "rin", "del", "sho", "pe", "qua", "bri", "nor", "tel",
              "vos", "hel", "gar", "min", "dra", "sil", "ost", "cor", "ban", "lu", "fe", "ro", "ti", "nek",
              "sa", "bel", "dun", "wis", "ham", "tor", "lin", "mo", "rav", "ker", "pol", "den")


def name_words(name: str) -> frozenset[str]:
    """A name's words without stop words and legal forms: what must all be present for it to be contained."""
    found = {plain(word) for word in re.split(r"[^\w.'’]+", name)}
    return frozenset(w for w in found if w and w not in STOP_WORDS and w not in LEGAL_WORDS)


class Inventor:
    """Invented words and names that no listed name holds (an exact and a normalised comparison), and that
    contain no listed name's words (a query holding every word of a listed name, "Abdullahi Osman Mohamed
    X" beside a listed "MOHAMED, Abdullahi Osman", is a fuller name of that party, not a look-alike)."""

    def __init__(self, entries: Sequence[ListEntry], rng: random.Random) -> None:
        self.listed_names, self.vocabulary = listed_vocabulary(entries)
        self.rng = rng
        self._word_sets: dict[str, list[frozenset[str]]] = defaultdict(list)
        for entry in entries:
            for listed in entry.all_names():
                found = name_words(listed)
                if found:
                    self._word_sets[min(found)].append(found)

    def word(self) -> str:
        while True:
            word = "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3)))
            if plain(word) not in self.vocabulary and len(word) >= 5:
                return word.capitalize()

    def is_listed(self, name: str) -> bool:
        """Whether a name is written like a listed name (letters and digits compared, case and spacing not)
        or holds every word of one."""
        if plain(name) in self.listed_names:
            return True
        query = name_words(name)
        return any(found <= query for word in query for found in self._word_sets.get(word, ()))


def shared_generic(name: str, inventor: Inventor) -> str | None:
    """A listed organisation's generic words kept, its distinctive words replaced by invented ones."""
    parts = name.split()
    generic = [plain(p) in GENERIC or plain(p) in STOP_WORDS or not plain(p) for p in parts]
    if all(generic) or not any(plain(p) in GENERIC for p in parts):
        return None
    return " ".join(p if keep else _styled(inventor.word(), p) for p, keep in zip(parts, generic, strict=True))


def shared_first_word(name: str, inventor: Inventor) -> str | None:
    """A listed organisation's first word with an invented rest ("Koryo Velmora Trading"), for names with
    another distinctive word (a one-word name with more words is a fuller name of the listed party)."""
    parts = split_form(name.partition(",")[0].partition("(")[0])[0].split()
    distinctive = [p for p in parts if plain(p) not in GENERIC and plain(p) not in STOP_WORDS and plain(p)]
    if len(distinctive) < 2 or distinctive[0] != parts[0] or not parts[0].isalpha():
        return None
    rest = [_styled(inventor.word(), name)]
    if inventor.rng.random() < 0.5:
        rest.append(_styled(inventor.rng.choice(("Trading", "Industries", "Group", "Company", "Services")), name))
    return " ".join([parts[0], *rest])


def other_surname(name: str, inventor: Inventor) -> str | None:
    """A listed person's given names with an invented surname."""
    if "," in name:
        last, _, given = name.partition(",")
        if not given.strip():
            return None
        return f"{_styled(inventor.word(), last)}, {given.strip()}"
    parts = name.split()
    if len(parts) < 2:
        return None
    return " ".join([*parts[:-1], _styled(inventor.word(), name)])
