"""Compare transliteration libraries on the shared cross-script name pairs (measured, not guessed).

For every positive cross-script pair (one side non-Latin) each library transliterates both sides; we
report the mean rapidfuzz similarity of the results (token_sort_ratio and space-insensitive ratio, the
better of the two) and how many pairs reach 80. Libraries that are not installed are skipped.

    .venv/bin/python scripts/compare_transliteration.py
"""

from __future__ import annotations

import csv
import importlib
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "name-pairs"


def _libraries() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {}
    for name, module, attr in (("anyascii", "anyascii", "anyascii"), ("unidecode", "unidecode", "unidecode"),
                               ("rigour", "rigour.text", "ascii_text")):
        try:
            found[name] = getattr(importlib.import_module(module), attr)
        except ImportError:
            print(f"{name}: not installed, skipped", file=sys.stderr)
    return found


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split())


def cross_script_pairs() -> list[tuple[str, str, str]]:
    """(group, a, b) for positive pairs where exactly one side is not Latin."""
    pairs = []
    with (DATA / "cross_script_pairs.csv").open(encoding="utf-8") as handle:
        for row in csv.reader(line for line in handle if line.strip() and not line.startswith("#")):
            pairs.append(("watchman cross_script", row[0], row[1]))
    for path in sorted(DATA.glob("cascade-name-pairs*.csv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["is_match"] == "true" and _is_latin(row["name1"]) != _is_latin(row["name2"]):
                    pairs.append(("cascade cross-script", row["name1"], row["name2"]))
    return pairs


def similarity(a: str, b: str) -> float:
    """Order- and spacing-insensitive similarity of two ASCII strings."""
    return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def main() -> None:
    pairs = cross_script_pairs()
    print(f"{len(pairs)} positive cross-script pairs")
    print("| library | group | pairs | mean similarity | pairs >= 80 |")
    print("|---|---|---|---|---|")
    for name, translit in _libraries().items():
        for group in sorted({g for g, _, _ in pairs}):
            scores = [similarity(_clean(translit(a)), _clean(translit(b))) for g, a, b in pairs if g == group]
            print(f"| {name} | {group} | {len(scores)} | {sum(scores) / len(scores):.1f} "
                  f"| {sum(s >= 80 for s in scores)} |")


if __name__ == "__main__":
    main()
