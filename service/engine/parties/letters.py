"""Letter-level helpers shared by the name keys (names.py) and the Burmese romaniser (burmese.py)."""

from __future__ import annotations


def collapse_runs(text: str) -> str:
    """Each run of one letter as one letter ("ss" -> "s", "Linn" -> "Lin").

    What re.sub(r"(.)\\1+", r"\\1", text) does, without the template, which Python expands in Python
    code at every match: four times as slow uncompiled, and most of a list build's time in regular
    expressions (docs/performance.md)."""
    letters: list[str] = []
    previous = ""
    for letter in text:
        if letter != previous:
            letters.append(letter)
            previous = letter
    return "".join(letters)


def spelling_rules(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A table of (old, new) spellings as two tuples, the olds and the news, for `respell`."""
    return tuple(old for old, _ in pairs), tuple(new for _, new in pairs)


def respell(text: str, rules: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    """Each old spelling replaced by its new one, rule after rule, as `for old, new in pairs` does.

    The rules come as two tuples read by position: compiled, a loop over the pairs made and unpacked a
    tuple per rule, which cost more than the replacing (the keys of a never-seen word run four such
    tables). Most rules find nothing, and asking whether the old spelling is there costs less than a
    replace that finds nothing (about 2% of a never-seen name's instructions)."""
    olds, news = rules
    for position in range(len(olds)):
        old = olds[position]
        if old in text:
            text = text.replace(old, news[position])
    return text
