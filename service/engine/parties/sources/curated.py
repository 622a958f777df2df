"""The project's own YAML format for curated denied-party lists (rules/lists/*.yaml).

Curated lists are reviewed like code: every entry must say why it is listed (basis), where that can be
checked (source) and since when (date). The date is where the listing applies from (the party check
compares it with the export date); a month alone applies from its first day, the earliest day the
listing can have taken effect, because a wrong `clear` is worse than a needless review; an entry with
no known date (`date: null`) applies at all dates. A file that breaks any rule is rejected whole, with the file
and line, exactly like a rule file: a half-read curated list would silently drop parties.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from service.engine.countries import normalise_country
from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.sources.reading import ListRead, ListReadError, read_bytes
from service.engine.rulebook.load import _line_of  # the same YAML-node walk the rule loader uses

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class Listing(BaseModel):
    """Why, by whom and since when the party is listed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: Text = Field(description="The listing basis, e.g. 'Taiwan Entity List (Foreign Trade Act Art. 13)'.")
    authority: Text = Field(description="Who listed the party, e.g. 'MOEA / ITA' or 'US Treasury OFAC'.")
    date: dt.date | Month | None = Field(description=(
        "Date of the listing, from which it applies: YYYY-MM-DD; YYYY-MM when only the month is known (applies "
        "from the month's first day); null when no date is known (applies at all dates). Required, even if null."
    ))
    date_note: str | None = Field(default=None, description="Caveats about the date (e.g. exact day unknown).")

    def applies_from(self) -> dt.date | None:
        """The first day the listing applies: the date, the first day of its month, or None (always)."""
        if isinstance(self.date, str):
            year, month = self.date.split("-")
            return dt.date(int(year), int(month), 1)
        return self.date
    source: Text = Field(description="Where the listing can be checked (publication, page id or URL).")


class CuratedEntry(BaseModel):
    """One curated party."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Text = Field(description="Stable id, unique within the file.")
    name: Text = Field(description="Primary name as listed or as the source spells it.")
    aliases: list[Text] = Field(default_factory=list, description="Other names the source states.")
    kind: EntryKind = Field(default=EntryKind.ORGANISATION, description="organisation, person, vessel or aircraft.")
    countries: list[str] = Field(default_factory=list, description="Countries (code or name), stored as alpha-2.")
    addresses: list[Text] = Field(default_factory=list, description="Addresses or places the source states.")
    listing: Listing = Field(description="The listing basis, authority, date and source (all required).")
    remarks: str | None = Field(default=None, description="Context for the reviewer.")

    @field_validator("countries")
    @classmethod
    def _alpha2(cls, values: list[str]) -> list[str]:
        return [normalise_country(value) for value in values]


class CuratedListInfo(BaseModel):
    """What the file is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        description="Short list name (lower case, digits, hyphens), shown in findings and list stamps."
    )
    title: Text = Field(description="Human title.")
    description: str | None = Field(default=None, description="Scope and selection rule of the list.")


class CuratedList(BaseModel):
    """A curated list file: its header and its entries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: CuratedListInfo = Field(alias="list", description="The list's name, title and scope.")
    entries: list[CuratedEntry] = Field(min_length=1, description="At least one entry.")

    @model_validator(mode="after")
    def _unique_ids(self) -> CuratedList:
        ids = [entry.id for entry in self.entries]
        repeated = sorted({entry_id for entry_id in ids if ids.count(entry_id) > 1})
        if repeated:
            raise ValueError(f"entry ids must be unique; repeated: {', '.join(repeated)}")
        return self


def parse_curated(path: Path) -> CuratedList:
    """Parse and validate one curated list file; any problem raises ListReadError naming file and line."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
        raw: Any = yaml.safe_load(text)
        tree = yaml.compose(text)
    except UnicodeDecodeError as exc:
        raise ListReadError(f"{path}: not UTF-8: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ListReadError(f"{path}:{mark.line + 1 if mark else '?'}: invalid YAML: {exc}") from exc
    try:
        return CuratedList.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(first["loc"])
        field = ".".join(str(part) for part in loc) or "(file)"
        line = _line_of(tree, loc)
        more = f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else ""
        raise ListReadError(f"{path}:{line or '?'}: {field}: {first['msg']}{more}") from exc


def read_curated(path: Path, list_name: str | None = None) -> ListRead:
    """Read a curated YAML list as list entries (the file's own list name unless one is given)."""
    curated = parse_curated(path)
    name = list_name or curated.header.name
    return ListRead(entries=[_entry(entry, name) for entry in curated.entries])


def _entry(entry: CuratedEntry, list_name: str) -> ListEntry:
    listing = entry.listing
    when = "date unknown" if listing.date is None else str(listing.date)
    basis = f"{listing.basis} ({listing.authority}, {when})"
    remarks = " ".join(filter(None, [entry.remarks, listing.date_note]))
    return ListEntry(
        id=entry.id,
        source_list=list_name,
        name=entry.name,
        aliases=[alias for alias in dict.fromkeys(entry.aliases) if alias != entry.name],
        kind=entry.kind,
        countries=list(dict.fromkeys(entry.countries)),
        addresses=list(entry.addresses),
        programs=[basis],
        listed_on=listing.applies_from(),
        remarks=remarks or None,
        source_url=listing.source,
    )


def curated_list_schema() -> dict[str, Any]:
    """JSON Schema for one curated list file in rules/lists/ (docs/curated-list.schema.json)."""
    schema = CuratedList.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://export-screen.example/schemas/curated-list.schema.json"
    return schema
