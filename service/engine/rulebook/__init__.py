"""Rule files: models, loading and the compiled rulebook."""

from service.engine.rulebook.book import HsMatch, Rulebook, load_rulebook
from service.engine.rulebook.load import RulebookError

__all__ = ["HsMatch", "Rulebook", "RulebookError", "load_rulebook"]
