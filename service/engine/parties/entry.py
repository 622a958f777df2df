"""One normalised denied-party list entry, whatever list format it came from."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EntryKind(StrEnum):
    """What a list entry names."""

    ORGANISATION = "organisation"
    PERSON = "person"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class ListEntry(BaseModel):
    """A listed party: names, where it is, why it is listed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Entry id, unique within its source list (e.g. OFAC ent_num).")
    source_list: str = Field(description="Short list name, e.g. ofac-sdn, un-sc, bis-dpl, tw-curated.")
    name: str = Field(description="Primary name as listed.")
    aliases: list[str] = Field(default_factory=list, description="Also-known-as, formerly-known-as and other names.")
    kind: EntryKind = EntryKind.ORGANISATION
    countries: list[str] = Field(default_factory=list, description="ISO alpha-2 codes of addresses/nationalities.")
    addresses: list[str] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list, description="Sanctions programmes or listing bases.")
    listed_on: date | None = None
    remarks: str | None = None
    source_url: str | None = Field(default=None, description="Where the listing can be checked.")

    def all_names(self) -> list[str]:
        """The primary name first, then the aliases, without duplicates."""
        return list(dict.fromkeys([self.name, *self.aliases]))
