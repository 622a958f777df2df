"""Message formatting and keyword matching shared by the checks."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

from service.engine.countries import country_name
from service.engine.rulebook.models import RuleBase
from service.engine.verdict import Action, Finding


def fill(template: str, **fields: Any) -> str:
    """Fill a message template; placeholders were checked against MESSAGE_FIELDS at load time."""
    if "country" in fields and "country_name" not in fields:
        fields["country_name"] = country_name(fields["country"])
    return template.format_map(_Blank(fields))


class _Blank(dict[str, Any]):
    """A mapping that renders a placeholder a check does not fill as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


def finding(rule: RuleBase, message: str, *, action: Action | None = None, **where: Any) -> Finding:
    """A finding that carries the rule's id, category, legal basis, sources and verification."""
    evidence = where.pop("evidence", {})
    return Finding(
        rule_id=rule.id,
        category=rule.category,
        action=action or rule.action,
        message=message,
        legal_basis=rule.legal_basis,
        source=rule.citation,
        verification=rule.verification.value,
        evidence=evidence,
        **where,
    )


def _is_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


@lru_cache(maxsize=64)
def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words; 'stem*' matches words starting with stem; CJK words match anywhere (no spaces in CJK).

    The word boundary in front of the Latin keywords is written once, before all of them: the regex
    engine then skips every place in the text where none of them can start, instead of trying each
    keyword at each character (ten times quicker on a company name against the forwarder keywords).
    The matches are the same: at any one place the Latin keywords are still tried in their order, and a
    CJK keyword starting with a CJK character cannot match where a Latin one starts. Where one could (a
    CJK keyword written with a Latin letter first, an empty keyword), each keyword keeps its own place."""
    words = [keyword.casefold() for keyword in keywords]
    cjk = [word for word in words if _is_cjk(word)]
    latin = [_latin_keyword(word) for word in words if not _is_cjk(word)]
    if all(_is_cjk(word[0]) for word in cjk) and all(word.rstrip("*") for word in words if not _is_cjk(word)):
        return re.compile("|".join(([r"\b(?:" + "|".join(latin) + ")"] if latin else []) + [re.escape(w) for w in cjk]))
    return re.compile("|".join(re.escape(word) if _is_cjk(word) else r"\b" + _latin_keyword(word) for word in words))


def _latin_keyword(word: str) -> str:
    """A keyword outside CJK as a pattern after a word boundary: the whole word, or a stem ('trad*')."""
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    return re.escape(word).replace(r"\ ", r"\s+") + r"\b"


def find_keyword(text: str, keywords: list[str]) -> str | None:
    """The first keyword found in `text`, as written in the text, or None."""
    match = keyword_pattern(tuple(keywords)).search(text.casefold())
    return match.group(0) if match else None


def iso(day: date) -> str:
    """A date for messages."""
    return day.isoformat()
