"""Goods codes: HS/CCC tariff codes and export control classification numbers (ECCNs).

Both arrive from ERPs in many shapes ("8542.31.00", "8542 31 00 00-1", "3a001.A.2"); the engine works on
one canonical form, and a value that cannot be read is an error, never silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

HS_MIN_DIGITS = 4
HS_MAX_DIGITS = 11
_HS_SEPARATORS = re.compile(r"[\s.\-/]")

# Values that declare "this item is on no control list". Documented in docs/rules.md.
NOT_LISTED_VALUES = frozenset({"EAR99", "NLR", "NOT LISTED", "NOTLISTED", "NOT-LISTED", "NONE", "N/L"})
_ECCN = re.compile(r"^([0-9])([A-E])([0-9]{3})((?:\.[A-Z0-9]+)*)$")


class CodeError(ValueError):
    """Raised for a goods code that cannot be parsed."""


@lru_cache(maxsize=65536)
def normalise_hs(value: str) -> str:
    """Digits only; 4 to 11 digits (heading to Taiwan's 11-digit CCC code)."""
    digits = _HS_SEPARATORS.sub("", value.strip())
    if not digits:
        raise CodeError(f"HS/CCC code {value!r} is empty")
    if not digits.isdigit():
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
    text = " ".join(value.strip().upper().split())
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
    kind = EccnKind.X9XX if number.startswith("9") else EccnKind.MULTILATERAL
    return Eccn(code=compact, kind=kind, category=int(category), group=group)
