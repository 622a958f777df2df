"""Legal forms (LLC, OOO, GmbH, 有限公司 ...) recognised as a separate signal, not simply deleted.

Each form has a canonical code and the jurisdiction it belongs to. English forms (Ltd, LLC, JSC, Co.)
have no jurisdiction: they are how any company's form is translated. Two forms of *different*
jurisdictions (GmbH against Sdn. Bhd., OOO against Ltda.) say "two different companies"; a national
form against an English one (Sp. z o.o. against Limited Liability Company) is a translation.

Forms are matched on the name's ASCII tokens with dots and spaces ignored, so "S.A. de C.V.",
"SA de CV" and "s a de c v" are one form. Native-script forms are turned into Latin before
transliteration (a Hebrew בע"מ would otherwise transliterate to noise).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class LegalForm:
    """One recognised legal form: canonical code and jurisdiction (None for English forms).

    Immutable (Final attributes), and a plain class, not a frozen dataclass, whose hash runs as Python:
    every normalised name with a legal form hashes its forms (names.py), a quarter of a million per build."""

    __slots__ = ("code", "jurisdiction")

    def __init__(self, code: str, jurisdiction: str | None) -> None:
        self.code: Final = code
        self.jurisdiction: Final = jurisdiction

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LegalForm) and (self.code, self.jurisdiction) == (other.code, other.jurisdiction)

    def __hash__(self) -> int:
        return hash((self.code, self.jurisdiction))

    def __repr__(self) -> str:
        return f"LegalForm(code={self.code!r}, jurisdiction={self.jurisdiction!r})"


# code -> (jurisdiction, spellings). Spellings are lower-case ASCII; dots/spaces are ignored when matching.
_FORMS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "ltd": (None, ("ltd", "limited", "co ltd", "company limited", "co limited", "company ltd", "ltda co")),
    "llc": (None, ("llc", "limited liability company", "limited liability co", "l l c")),
    "llp": (None, ("llp", "limited liability partnership")),
    "lp": (None, ("lp", "limited partnership")),
    "plc": (None, ("plc", "public limited company", "public company limited", "pcl")),
    "jsc": (None, ("jsc", "joint stock company", "ojsc", "cjsc", "pjsc", "open joint stock company",
                   "closed joint stock company", "public joint stock company")),
    "co": (None, ("co", "company", "cie")),
    "sa": (None, ("sa", "societe anonyme", "sociedad anonima", "sociedade anonima")),
    "as": (None, ("as", "a s")),
    "ag": ("de", ("ag", "aktiengesellschaft")),
    "gmbh": ("de", ("gmbh", "gesellschaft mit beschrankter haftung", "gmbh co kg", "kg", "ohg", "ug")),
    "inc": ("us", ("inc", "incorporated")),
    "corp": ("us", ("corp", "corporation")),
    "ooo": ("ru", ("ooo", "obshchestvo s ogranichennoy otvetstvennostyu",
                   "obshchestvo s ogranichennoi otvetstvennostiu")),
    "ao": ("ru", ("ao", "zao", "oao", "pao", "aktsionernoe obshchestvo",
                  "zakrytoe aktsionernoe obshchestvo", "otkrytoe aktsionernoe obshchestvo",
                  "publichnoe aktsionernoe obshchestvo")),
    "tov": ("ua", ("tov", "tovaristvo z obmezhenoyu vidpovidalnistyu")),
    "prat": ("ua", ("prat", "chao", "pat", "prjsc")),
    "fop": ("ua", ("fop",)),
    "ip": ("by", ("ip",)),
    "too": ("kz", ("too",)),
    "fze": ("ae", ("fze", "fzco", "fz llc", "fzc", "free zone establishment", "free zone company", "dmcc")),
    "ltda": ("br", ("ltda", "limitada")),
    "sa de cv": ("mx", ("sa de cv", "s de rl de cv", "sapi de cv", "sab de cv")),
    "sdn bhd": ("my", ("sdn bhd", "sendirian berhad", "bhd", "berhad")),
    "pte ltd": ("sg", ("pte ltd", "pte limited", "private limited singapore")),
    "pty ltd": ("au", ("pty ltd", "pty limited", "proprietary limited", "pty")),
    "pvt ltd": ("in", ("pvt ltd", "private limited", "pvt", "private ltd", "pvt limited")),
    "srl": ("it", ("srl", "spa", "snc", "sas", "sapa", "societa cooperativa", "scarl", "srls",
                   "societa a responsabilita limitata", "societa per azioni")),
    "sl": ("es", ("sl", "slu", "sociedad limitada", "sac", "saa", "eirl")),
    "sarl": ("fr", ("sarl", "suarl", "sasu", "eurl", "sca", "gie", "snc fr")),
    "sp z oo": ("pl", ("sp z oo", "spolka z ograniczona odpowiedzialnoscia", "sp j", "spolka jawna", "sp k",
                       "spolka komandytowa", "ska", "spolka komandytowo akcyjna", "sp z oo sp k",
                       "sp z oo ska", "spolka z ograniczona odpowiedzialnoscia spolka komandytowa",
                       "spolka z ograniczona odpowiedzialnoscia spolka komandytowo akcyjna")),
    "doo": ("si", ("doo", "dd", "dno")),
    "kft": ("hu", ("kft", "korlatolt felelossegu tarsasag", "zrt", "nyrt", "bt")),
    "ou": ("ee", ("ou",)),
    "sia": ("lv", ("sia",)),
    "uab": ("lt", ("uab", "ab lt")),
    "ab": ("se", ("ab", "aktiebolag")),
    "oy": ("fi", ("oy", "oyj")),
    "bv": ("nl", ("bv", "nv", "besloten vennootschap", "naamloze vennootschap", "vof")),
    "pt": ("id", ("pt", "perseroan terbatas", "cv", "commanditaire vennootschap", "tbk")),
    "kk": ("jp", ("kk", "kabushiki kaisha", "kabushiki gaisha", "yk", "godo kaisha", "gk")),
    "ltd sti": ("tr", ("ltd sti", "limited sirketi", "as tr", "anonim sirketi", "sanayi ve ticaret",
                       "san ve tic", "san tic", "sanayi ticaret")),
    "bm": ("il", ("bm", "baam")),
    "spy": ("am", ("spy", "spe")),
    "shps": ("ge", ("shps",)),
    "youxian gongsi": ("cn", ("you xian gong si", "gu fen you xian gong si", "you xian ze ren gong si")),
    "jusik hoesa": ("kr", ("ju sig hoe sa", "ju sik hoe sa", "jusikhoesa")),
    "myanmar co ltd": ("mm", ("mm co ltd",)),
    "sal": ("lb", ("sal", "sarl lb")),
    "est": (None, ("est", "establishment")),
}

# Every word of the forms' spellings ("joint", "stock", "obshchestvo"): a form's words out of their place
# ("JOINT STOCK CO ZORVANE") are no longer a form, but still say nothing of which party it is.
FORM_WORDS: Final = frozenset(word for code, (_, spellings) in _FORMS.items() for spelling in (code, *spellings)
                              for word in spelling.split())

# Short spellings that are also ordinary words or initials: only taken at the start or end of a name.
EDGE_ONLY: Final = frozenset({"as", "sa", "ag", "co", "cie", "ab", "oy", "pt", "cv", "ip", "sl", "sp", "kk", "nv",
                              "bv", "ao", "kg", "ug", "dd", "bt", "pat", "sac", "sca", "est", "sal", "gk", "yk", "pty",
                              "pvt", "ou", "sia", "too", "fop", "spe", "company", "limited", "bm", "spy", "tov",
                              "dno", "gie"})

# Native-script forms, replaced with a Latin spelling before transliteration.
NATIVE_FORMS: tuple[tuple[str, str], ...] = (
    ('בע"מ', " bm "), ("בע'מ", " bm "), ("בעמ", " bm "),
    ("ကုမ္ပဏီလီမိတက်", " mm co ltd "), ("လီမိတက်", " ltd "), ("ကုမ္ပဏီ", " company "),
    ("股份有限公司", " gu fen you xian gong si "), ("有限责任公司", " you xian ze ren gong si "),
    ("有限公司", " you xian gong si "), ("株式会社", " kk "), ("有限会社", " yk "), ("주식회사", " ju sik hoe sa "),
    ("ՍՊԸ", " spy "), ("შპს", " shps "),
)

MAX_SPAN: Final = 8
# The forms that names in Chinese, Japanese or Korean characters can carry (from NATIVE_FORMS).
CJK_FORMS: Final = frozenset({"youxian gongsi", "kk", "jusik hoesa"})


class _Spelling(NamedTuple):
    form: LegalForm
    edge_only: bool


def _spellings() -> dict[str, _Spelling]:
    table: dict[str, _Spelling] = {}
    for code, (jurisdiction, spellings) in _FORMS.items():
        form = LegalForm(code, jurisdiction)
        for spelling in (code, *spellings):
            # "snc fr" / "as tr" / "ab lt" / "sarl lb" name a jurisdiction-specific reading of a shared
            # abbreviation; the plain abbreviation keeps its first meaning.
            joined = spelling.replace(" ", "")
            if spelling.endswith((" fr", " tr", " lt", " lb")):
                continue
            table.setdefault(joined, _Spelling(form, spelling in EDGE_ONLY or joined in EDGE_ONLY))
    return table


SPELLINGS: Final = _spellings()
# Every leading part of every spelling: lets a scan give up at the first token that cannot continue a form.
_PREFIXES: Final = frozenset(key[:end] for key in SPELLINGS for end in range(1, len(key) + 1))


def _match_at(tokens: list[str], start: int, *, at_edge: bool, only: frozenset[str] | None = None
              ) -> tuple[LegalForm, int] | None:
    """The longest legal form starting at tokens[start], with the number of tokens it covers."""
    joined = ""
    best: tuple[LegalForm, int] | None = None
    for end in range(start, min(len(tokens), start + MAX_SPAN)):
        joined += tokens[end]
        if joined not in _PREFIXES:
            break
        spelling = SPELLINGS.get(joined)
        if spelling is not None and (at_edge or not spelling.edge_only) and (
                only is None or spelling.form.code in only):
            best = (spelling.form, end - start + 1)
    return best


def _match_to_end(tokens: list[str], only: frozenset[str] | None = None) -> tuple[LegalForm, int] | None:
    """The longest legal form that ends the name (never the whole name)."""
    for start in range(max(1, len(tokens) - MAX_SPAN), len(tokens)):
        # a spelling begins with one of _PREFIXES (never empty): most words are none, and need no join
        spelling = SPELLINGS.get("".join(tokens[start:])) if tokens[start] in _PREFIXES else None
        if spelling is not None and (only is None or spelling.form.code in only):
            return spelling.form, len(tokens) - start
    return None


def split_legal_forms(tokens: list[str], only: frozenset[str] | None = None) -> tuple[list[str], list[LegalForm]]:
    """Separate legal-form tokens from the name's other tokens (forms at the edges or unambiguous inside).

    `only` limits the forms looked for to these codes: a name written in Chinese characters has its
    legal form in characters too (有限公司), and its romanised syllables must not be read as Latin
    abbreviations (早 is "zao", not a Russian ZAO; 奥 is "ao", 萨 is "sa").
    """
    if _PREFIXES.isdisjoint(tokens):
        return list(tokens), []  # (every form begins with a word of _PREFIXES: none here)
    forms: list[LegalForm] = []
    rest = list(tokens)
    changed = True
    while changed and rest:
        changed = False
        found = _match_to_end(rest, only)
        if found:
            forms.append(found[0])
            del rest[len(rest) - found[1]:]
            changed = True
        if rest and len(rest) > 1:
            found = _match_at(rest, 0, at_edge=True, only=only)
            if found and found[1] < len(rest):
                forms.append(found[0])
                del rest[: found[1]]
                changed = True
    index = 1
    while index < len(rest) - 1:
        if rest[index] not in _PREFIXES:  # (most words: no form starts here, and no call is needed)
            index += 1
            continue
        found = _match_at(rest, index, at_edge=False, only=only)
        if found:
            forms.append(found[0])
            del rest[index: index + found[1]]
        else:
            index += 1
    return rest, forms


def is_legal_form(tokens: list[str]) -> bool:
    """True if the tokens are one legal form and nothing else (e.g. a bracketed "(Pvt)")."""
    found = _match_at(tokens, 0, at_edge=True) if tokens else None
    return found is not None and found[1] == len(tokens)


def relation(left: tuple[LegalForm, ...], right: tuple[LegalForm, ...]) -> str:
    """How two names' legal forms compare: same, missing, compatible or conflict."""
    if not left or not right:
        return "missing"
    if {f.code for f in left} & {f.code for f in right}:
        return "same"
    left_j = {f.jurisdiction for f in left if f.jurisdiction}
    right_j = {f.jurisdiction for f in right if f.jurisdiction}
    if left_j and right_j and not left_j & right_j:
        return "conflict"
    return "compatible"
