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
