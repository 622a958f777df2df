"""find_keyword: the keyword found is the one the plain pattern (each keyword on its own) finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from service.engine.checks.text import _is_cjk, find_keyword, keyword_pattern

RULES = Path(__file__).resolve().parents[3] / "rules"


def plain(text: str, keywords: list[str]) -> str | None:
    """The first keyword found by one alternative per keyword, each with its own word boundary."""
    parts = []
    for keyword in keywords:
        word = keyword.casefold()
        if _is_cjk(word):
            parts.append(re.escape(word))
        elif word.endswith("*"):
            parts.append(r"\b" + re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(r"\b" + re.escape(word).replace(r"\ ", r"\s+") + r"\b")
    match = re.compile("|".join(parts)).search(text.casefold())
    return match.group(0) if match else None


def rule_keywords() -> list[list[str]]:
    """The keyword lists of the bundled rulebook."""
    lists = []
    for path in sorted(RULES.glob("*.yaml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            if "keywords" in rule:
                lists.append(rule["keywords"])
    return lists


KEYWORD_LISTS = [
    *rule_keywords(),
    ["logistics", "logistic", "trad*", "free zone", "物流", "貿易"],
    ["gps模", "gps", "gp*"],  # a CJK keyword starting with a Latin letter: each keyword keeps its place
    ["*", "物流"],
    ["军用", "military", "milit*", "defen*", "國防"],
]

TEXTS = [
    "Shenzhen Bright Components Co., Ltd.", "Anatolia Lojistik A.S.", "Global Freight Forwarders LLC",
    "Trading House Volga", "Tradewinds FZE", "Jebel Ali Free  Zone Company", "xlogistics", "logistics-co",
    "LOGISTIC SERVICES", "深圳物流有限公司", "台灣貿易公司", "gps模块 supplier", "GPS units", "gpsmodule",
    "for military end use", "國防部", "军用无人机", "defence and defense", "", "   ", "militia",
    "Mil-Spec parts for the navy", "Sakura Precision KK", "cargo—express courier", "ŞİRKETİ LOJİSTİK",
]


@pytest.mark.parametrize("keywords", KEYWORD_LISTS, ids=lambda keywords: "-".join(keywords[:2]))
def test_the_keyword_found_is_the_plain_patterns(keywords: list[str]) -> None:
    texts = [*TEXTS, *(f"the {word.rstrip('*')} company" for word in keywords),
             *(f"{word.rstrip('*')}s{word.rstrip('*')}" for word in keywords)]
    assert [find_keyword(text, keywords) for text in texts] == [plain(text, keywords) for text in texts]


@pytest.mark.parametrize(("text", "found"), [
    ("Global Freight Forwarders LLC", "freight"),
    ("Jebel Ali Free  Zone Company", "free  zone"),
    ("Tradewinds FZE", "tradewinds"),
    ("xlogistics", None),
    ("深圳物流有限公司", "物流"),
    ("gps模块 supplier", "gps模块"),
])
def test_whole_words_stems_and_cjk(text: str, found: str | None) -> None:
    assert find_keyword(text, ["logistics", "freight", "trad*", "free zone", "物流", "gps模块"]) == found


def test_latin_keywords_share_one_word_boundary_unless_a_cjk_one_starts_with_a_latin_letter() -> None:
    assert keyword_pattern(("logistics", "trad*", "物流")).pattern.startswith(r"\b(?:")
    assert keyword_pattern(("gps模块", "gps")).pattern == r"gps模块|\bgps\b"
