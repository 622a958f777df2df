"""A small denied-party list for the workflow tests, whose entries a test changes and reloads."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.engine.parties.entry import ListEntry
from service.engine.rulebook import Rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import ListStamp
from service.runtime import build_party_index
from service.settings import Settings
from tests.api.conftest import screening_date


def entry(entry_id: str, name: str, **changes: object) -> ListEntry:
    """An entry of the test list."""
    return ListEntry.model_validate({"id": entry_id, "source_list": "test-sdn", "name": name,
                                     "countries": ["RU"], "programs": ["RUSSIA-EO14024"], **changes})


@dataclass
class ListOnFile:
    """The list as it stands; `context` builds a screening context from it, as a reload would."""

    rulebook: Rulebook
    settings: Settings
    entries: list[ListEntry] = field(default_factory=list)
    version: int = 1

    def context(self) -> ScreeningContext:
        stamp = ListStamp(name="test-sdn", version=f"v{self.version}", entries=len(self.entries))
        index = build_party_index(self.settings, list(self.entries), [stamp])
        return ScreeningContext(rulebook=self.rulebook, parties=index, screening_day=screening_date,
                                entries={(e.source_list, e.id): e for e in self.entries})

    def replace(self, *entries: ListEntry) -> None:
        """A new version of the list."""
        self.entries, self.version = list(entries), self.version + 1
