"""Goods codes: HS/CCC tariff codes and export control classification numbers (ECCNs).

Both arrive from ERPs in many shapes ("8542.31.00", "8542 31 00 00-1", "3a001.A.2", "８５４２．３１"); the
engine works on one canonical form, and a value that cannot be read is an error, never silently ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

HS_MIN_DIGITS = 4
HS_MAX_DIGITS = 11
_HS_SEPARATORS = re.compile(r"[\s.\-/]")

_ASCII_DIGITS = re.compile(r"[0-9]+")
_DASHES = {"\u2212": "-"}  # the minus sign is a math symbol (Sm), not dash punctuation (Pd)

# Values that declare "this item is on no control list" (an explicit classification). Documented in
# docs/rules.md.
NOT_LISTED_VALUES = frozenset({
    "EAR99", "NLR", "N/L", "NOT LISTED", "NOTLISTED", "NOT-LISTED", "NOT CONTROLLED", "NOT-CONTROLLED",
    "NOTCONTROLLED", "NON-CONTROLLED", "UNCONTROLLED",
})
# Placeholders an ERP writes for an empty field. They classify nothing: the item counts as declared
# without a control number, so the checks that ask for a classification still see it.
UNDECLARED_VALUES = frozenset({"NONE", "N/A", "NA", "NULL", "-", "--", "TBD", "UNKNOWN"})
_ECCN = re.compile(r"^([0-9])([A-E])([0-9]{3})((?:\.[A-Z0-9]+)*)$")
# US-only entries of the Commerce Control List: the 0Y521 series (temporary unilateral controls) and
# the x090 advanced-computing entries (3A090, 4A090, ...). No multilateral regime lists them.
US_ONLY_NUMBERS = frozenset({"521", "090"})


class CodeError(ValueError):
    """Raised for a goods code that cannot be parsed."""


def ascii_form(value: str) -> str:
    """The ASCII form of a code, number or date typed with a CJK or Arabic input method.

    NFKC folds full-width digits, letters and punctuation (８５４２．３１, ３Ａ００１, ２０２４－０３－０１);
    every other Unicode decimal digit (Arabic-Indic, Devanagari, ...) becomes its ASCII digit, and dashes
    become '-'. Without this, `"٨٥٤٢٣١".isdigit()` is true and such a code never matches a listed code.
    """
    if value.isascii():
        return value
    folded = unicodedata.normalize("NFKC", value)
    return "".join(_ascii_char(char) for char in folded)


def _ascii_char(char: str) -> str:
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    if unicodedata.category(char) == "Pd":
        return "-"
    return _DASHES.get(char, char)


@lru_cache(maxsize=65536)
def normalise_hs(value: str) -> str:
    """ASCII digits only; 4 to 11 digits (heading to Taiwan's 11-digit CCC code)."""
    digits = _HS_SEPARATORS.sub("", ascii_form(value).strip())
    if not digits:
        raise CodeError(f"HS/CCC code {value!r} is empty")
    if not _ASCII_DIGITS.fullmatch(digits):
        raise CodeError(f"HS/CCC code {value!r} must contain only digits, dots and spaces")
    if not HS_MIN_DIGITS <= len(digits) <= HS_MAX_DIGITS:
        raise CodeError(
            f"HS/CCC code {value!r} has {len(digits)} digits; expected {HS_MIN_DIGITS} to {HS_MAX_DIGITS}"
        )
    return digits


class EccnKind(StrEnum):
    """How an ECCN relates to Taiwan's Russia/Belarus controls."""

    MULTILATERAL = "multilateral"  # e.g. 3A001: a Wassenaar/MTCR/NSG/AG regime entry
    X9XX = "x9xx"  # e.g. 5A992: the anti-terrorism style x9xx entries of the RU/BY list
    US_ONLY = "us_only"  # e.g. 3A090, 0A521: US unilateral entries, on no multilateral regime list
    NOT_LISTED = "not_listed"  # EAR99, NLR: the exporter declares it on no list


@dataclass(frozen=True, slots=True)
class Eccn:
    """A parsed control number."""

    code: str
    kind: EccnKind
    category: int | None = None
    group: str | None = None


@lru_cache(maxsize=8192)
def parse_eccn(value: str) -> Eccn:
    """Parse '3A001.a.2', '5a992', 'EAR99' or 'NLR'; raise CodeError for anything else."""
    text = " ".join(ascii_form(value).strip().upper().split())
    if text in NOT_LISTED_VALUES:
        return Eccn(code=text, kind=EccnKind.NOT_LISTED)
    compact = text.replace(" ", "")
    match = _ECCN.match(compact)
    if match is None:
        raise CodeError(
            f"control number {value!r} is not an ECCN such as 3A001, 3A001.a.2 or 5A992, "
            "nor a declared 'not listed' value (EAR99, NLR)"
        )
    category, group, number, _ = match.groups()
    return Eccn(code=compact, kind=eccn_kind(number), category=int(category), group=group)


def eccn_kind(number: str) -> EccnKind:
    """The kind of an ECCN from its three-digit number ('001', '992', '090')."""
    if number in US_ONLY_NUMBERS:
        return EccnKind.US_ONLY
    return EccnKind.X9XX if number.startswith("9") else EccnKind.MULTILATERAL


def is_undeclared(value: str) -> bool:
    """Whether a control-number field holds nothing: empty, or an ERP placeholder such as 'N/A'."""
    text = " ".join(ascii_form(value).strip().upper().split())
    return not text or text in UNDECLARED_VALUES
