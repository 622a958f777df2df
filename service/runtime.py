"""Assembling a ScreeningContext from settings: the one place that reads rule files and lists.

Every shell (CLI, API, batch) calls `load_context`; if the rules or the lists cannot be loaded it raises,
and the shell refuses to screen.
"""

from __future__ import annotations

from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.settings import Settings


def load_context(settings: Settings) -> ScreeningContext:
    """Load the rulebook (and, once configured, the denied-party screener) or raise."""
    rulebook = load_rulebook(settings.rules_dir)
    return ScreeningContext(rulebook=rulebook, parties=None)
