"""Letter-level helpers shared by the name keys (names.py) and the Burmese romaniser (burmese.py)."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Final

try:
    from service.engine.parties import _in_c
except ImportError:  # (not built: PURE_PYTHON_BUILD=1)
    _in_c = None  # type: ignore[assignment]


def collapse_runs(text: str) -> str:
    """Each run of one letter as one letter ("ss" -> "s", "Linn" -> "Lin").

    What re.sub(r"(.)\\1+", r"\\1", text) does, without the template, which Python expands in Python
    code at every match: four times as slow uncompiled, and most of a list build's time in regular
    expressions (docs/performance.md). In C where it is built: compiled, the loop below built a list of
    one-letter strings and joined them, about 2,500 instructions for a word's key (a never-seen name
    asks for several)."""
    if _in_c is not None:
        return _in_c.collapse_runs(text)
    return collapse_runs_in_python(text)


def collapse_runs_in_python(text: str) -> str:
    """collapse_runs without the C module (and what tests compare it with)."""
    letters: list[str] = []
    previous = ""
    for letter in text:
        if letter != previous:
            letters.append(letter)
            previous = letter
    return "".join(letters)


class SpellingRules:
    """A table of (old, new) spellings for `respell`: the olds and the news as two tuples, read by
    position, and the table in C where the C module is built (`_in_c.Respelling`; `in_c=False`: the
    Python loop alone, which tests compare with it)."""

    def __init__(self, pairs: tuple[tuple[str, str], ...], *, in_c: bool = True) -> None:
        self.olds: Final = tuple(old for old, _ in pairs)
        self.news: Final = tuple(new for _, new in pairs)
        self.in_c: Final[Callable[[str], str] | None] = (
            _in_c.Respelling(self.olds, self.news) if _in_c is not None and in_c else None)


def spelling_rules(pairs: tuple[tuple[str, str], ...]) -> SpellingRules:
    """A table of (old, new) spellings, for `respell`."""
    return SpellingRules(pairs)


def respell(text: str, rules: SpellingRules) -> str:
    """Each old spelling replaced by its new one, rule after rule, as `for old, new in pairs` does.

    In C where it is built: a rule whose old spelling has a letter the text lacks is passed over there
    without a search, and most are (the keys of a never-seen word run a hundred rules or more). In
    Python, the rules are read by position: compiled, a loop over the pairs made and unpacked a tuple
    per rule, which cost more than the replacing; and asking whether the old spelling is there costs
    less than a replace that finds nothing."""
    in_c = rules.in_c
    if in_c is not None:
        return in_c(text)
    olds, news = rules.olds, rules.news
    for position in range(len(olds)):
        old = olds[position]
        if old in text:
            text = text.replace(old, news[position])
    return text


def kept_letters(*tables: SpellingRules) -> frozenset[str]:
    """The letters a to z that no rule of these tables rewrites: respelling a word keeps each of them
    (no rule's old spelling holds it, so no replacement takes it out)."""
    rewritten = {letter for rules in tables for old in rules.olds for letter in old}
    return frozenset(letter for letter in string.ascii_lowercase if letter not in rewritten)


def in_order(letters: str, text: str) -> bool:
    """Whether the text holds these letters in this order, not necessarily side by side ("bkl" in
    "baykal")."""
    position = 0
    for letter in letters:
        position = text.find(letter, position) + 1
        if position == 0:
            return False
    return True
