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
    """Whole words; 'stem*' matches words starting with stem; CJK words match anywhere (no spaces in CJK)."""
    parts = []
    for keyword in keywords:
        word = keyword.casefold()
        if _is_cjk(word):
            parts.append(re.escape(word))
        elif word.endswith("*"):
            parts.append(r"\b" + re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(r"\b" + re.escape(word).replace(r"\ ", r"\s+") + r"\b")
    return re.compile("|".join(parts))


def find_keyword(text: str, keywords: list[str]) -> str | None:
    """The first keyword found in `text`, as written in the text, or None."""
    match = keyword_pattern(tuple(keywords)).search(text.casefold())
    return match.group(0) if match else None


def iso(day: date) -> str:
    """A date for messages."""
    return day.isoformat()
