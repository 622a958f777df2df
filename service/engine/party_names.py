"""A declared party's name as it may enter screening: invisible characters cleaned, unsafe text refused.

A name is what denied-party screening compares, what the audit record keeps and what a reviewer reads.
Characters that change none of these for a human reader but would change what the matcher sees are
cleaned; characters that make the stored or displayed name differ from the screened one, or that cannot
be stored at all, are refused with an error naming the character and its position.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

MAX_LENGTH = 500

# Directional embeddings, overrides and isolates reorder what a reader sees ("Trojan Source"): the name
# on the screen would not be the name screened. Refused, not stripped: stripping would hide the attempt.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")
SOFT_HYPHEN = "\u00ad"


def _position(index: int, char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}{f' {name}' if name else ''} at position {index + 1}"


def _refusal(index: int, char: str) -> str | None:
    """Why a character cannot be part of a party name, or None if it may stay (or be cleaned)."""
    category = unicodedata.category(char)
    if category == "Cs":
        return f"a lone surrogate {_position(index, char)} (not valid Unicode text)"
    if char in BIDI_CONTROLS:
        return f"a bidirectional control character {_position(index, char)} (it reorders the displayed name)"
    if category == "Cc" and not char.isspace():
        return f"a control character {_position(index, char)}"
    if category == "Cn" and (ord(char) & 0xFFFE == 0xFFFE or 0xFDD0 <= ord(char) <= 0xFDEF):
        return f"a Unicode noncharacter {_position(index, char)}"
    return None


def refuse_unsafe(value: object) -> object:
    """A text holding a character that cannot be part of a party name is refused (ValueError).

    Runs before pydantic's own string check, so a lone surrogate is named as such rather than as
    "unable to parse raw data". Printable ASCII, nearly every name, holds none of them: the character
    walk (a tenth of a screening's time in a profile) is left for the rest."""
    if isinstance(value, str) and not (value.isascii() and value.isprintable()):
        for index, char in enumerate(value):
            reason = _refusal(index, char)
            if reason is not None:
                raise ValueError(f"party name contains {reason}")
    return value


def clean_party_name(value: str) -> str:
    """The name with invisible format characters and any run of white space as one space; or ValueError.

    Zero-width spaces and joiners, the word joiner, the byte-order mark and direction marks (Unicode
    format characters) are invisible: read as a word separator, they can no longer hide a listed name
    from the matcher, and a reviewer sees the same words. The soft hyphen is removed instead: it marks
    where a word may break, so it sits inside a word (docs/api.md has the measurement). Tabs and line
    breaks (cells copied from a spreadsheet) are spaces. A name must keep at least one letter or digit:
    nothing can be screened on punctuation alone, and screening nothing must not read `clear`."""
    refuse_unsafe(value)
    if value.isascii():  # no format characters nor soft hyphens; an ASCII letter or digit is alphanumeric
        cleaned = _SPACES.sub(" ", value).strip()
        has_letter_or_digit = any(char.isalnum() for char in cleaned)
    else:
        unhyphenated = value.replace(SOFT_HYPHEN, "")
        spaced = "".join(" " if unicodedata.category(char) == "Cf" else char for char in unhyphenated)
        cleaned = _SPACES.sub(" ", spaced).strip()
        has_letter_or_digit = any(unicodedata.category(char)[0] in "LN" for char in cleaned)
    if not has_letter_or_digit:
        raise ValueError("party name has no letter or digit")
    return cleaned


PartyName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_LENGTH, description="Legal name as on the commercial documents."),
    BeforeValidator(refuse_unsafe),
    AfterValidator(clean_party_name),
]
