"""Rule-file models: what a YAML file in `rules/` may say, field by field.

Every model forbids unknown keys, so a typo in a rule file stops the service instead of silently
disabling a rule. The JSON Schema in docs/rule-file.schema.json is generated from these models.
"""

from __future__ import annotations

import datetime as dt
import string
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from service.engine.codes import EccnKind, normalise_hs
from service.engine.countries import normalise_country
from service.engine.verdict import Action, Category

# Placeholders a message template may use; each check fills the ones that make sense for it.
MESSAGE_FIELDS = frozenset(
    {"country", "country_name", "code", "rule_code", "eccn", "line", "description", "role", "name",
     "hub", "hub_name", "hubs", "date", "keyword", "value", "currency", "low", "high", "affidavit_since",
     "permit"}
)


def checked_template(value: str) -> str:
    """A message template on one line, with only known placeholders (checked once, at load time)."""
    for _, field_name, _, _ in string.Formatter().parse(value):
        if field_name is not None and field_name not in MESSAGE_FIELDS:
            raise ValueError(f"unknown placeholder {{{field_name}}}; allowed: {sorted(MESSAGE_FIELDS)}")
    return " ".join(value.split())


Template = Annotated[str, AfterValidator(checked_template)]


class Strict(BaseModel):
    """Base for rule-file models: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Verification(StrEnum):
    """How well the facts behind a rule are established (see shared reference flags V/S/R)."""

    VERIFIED = "verified"
    SECONDARY = "secondary"
    UNVERIFIED = "unverified"


def _rule_country(value: str) -> str:
    return "ALL" if value == "ALL" else normalise_country(value)


RuleCountry = Annotated[str, AfterValidator(_rule_country)]


class Source(Strict):
    """A public source for the facts a rule encodes."""

    title: str = Field(description="Publisher and title, e.g. 'MOEA news release 115048'.")
    url: str | None = Field(default=None, description="Where the source can be read.")
    date: dt.date | None = Field(default=None, description="Publication date of the source.")

    def cite(self) -> str:
        """One-line citation for a finding."""
        parts = [self.title]
        if self.date:
            parts.append(self.date.isoformat())
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)


class Window(Strict):
    """When a rule is in force for one country: from `from` (inclusive) until `until` (exclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    starts: dt.date = Field(alias="from", description="First day the rule applies (inclusive).")
    until: dt.date | None = Field(default=None, description="First day it no longer applies (exclusive); none = open.")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.until is not None and self.until <= self.starts:
            raise ValueError(f"'until' {self.until} must be after 'from' {self.starts}")
        return self

    def covers(self, day: dt.date) -> bool:
        """Whether the rule is in force on `day`."""
        return self.starts <= day and (self.until is None or day < self.until)


class RuleBase(Strict):
    """Fields every rule carries."""

    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_.\-]{2,79}$", description="Stable id, cited in every finding.")
    title: str = Field(min_length=3, description="Short human title.")
    category: Category = Field(description="Finding category this rule produces.")
    action: Action = Field(description="block, review or info when the rule matches.")
    legal_basis: str = Field(min_length=3, description="The legal instrument or guidance the rule rests on.")
    sources: list[Source] = Field(min_length=1, description="Public sources for the facts.")
    verification: Verification = Field(description="verified, secondary or unverified.")
    effective: dict[RuleCountry, Window] | None = Field(
        default=None,
        description="Per country (alpha-2, or ALL), when the rule is in force. None: always (guidance rules).",
    )
    message: str = Field(min_length=10, description="Message template; placeholders in {braces}.")
    notes: str | None = Field(default=None, description="Free text for reviewers of the rule file.")

    @field_validator("message")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return checked_template(value)

    def in_force(self, country: str, day: dt.date) -> bool:
        """Whether the rule applies to `country` on `day`."""
        if self.effective is None:
            return True
        window = self.effective.get(country) or self.effective.get("ALL")
        return window is not None and window.covers(day)

    @cached_property
    def citation(self) -> str:
        """All sources as one string (computed once per rule)."""
        return "; ".join(source.cite() for source in self.sources)


def _hs_code(value: str) -> str:
    return normalise_hs(value)


class HsEntry(Strict):
    """One HS code (or heading) on a list, with its own verification level."""

    code: Annotated[str, AfterValidator(_hs_code)] = Field(description="HS code prefix, 4-11 digits.")
    description: str = Field(description="What the code covers.")
    verification: Verification = Field(description="How well it is established that the code is listed.")
    note: str | None = Field(default=None, description="E.g. CHPL tier.")


class EccnClassRule(RuleBase):
    """Items whose control number is of a class (multilateral entry, x9xx or US-only) in given categories."""

    kind: Literal["eccn_class"]
    classes: list[EccnKind] = Field(min_length=1, description="multilateral, x9xx and/or us_only.")
    categories: list[Annotated[int, Field(ge=0, le=9)]] = Field(min_length=1, description="ECCN categories 0-9.")


class HsCodesRule(RuleBase):
    """Items whose HS/CCC code starts with a listed code; coarser item codes go to `coarse_action`."""

    kind: Literal["hs_codes"]
    codes: list[HsEntry] | None = Field(default=None, description="The listed codes.")
    codes_from: str | None = Field(default=None, description="Reuse the code list of another rule (its id).")
    requires_no_eccn: bool = Field(default=False, description="Only match items declared without a control number.")
    coarse_action: Action = Field(default=Action.REVIEW, description="Action when the item code is a shorter prefix.")
    coarse_message: Template | None = Field(default=None, description="Message template for a too-coarse code.")
    superseded_by: list[str] = Field(
        default_factory=list, description="Rule ids whose match on the same item makes this rule silent."
    )

    @model_validator(mode="after")
    def _one_code_source(self) -> HsCodesRule:
        if (self.codes is None) == (self.codes_from is None):
            raise ValueError("give exactly one of 'codes' or 'codes_from'")
        return self


HsPrefix = Annotated[
    str, Field(pattern=r"^[0-9]{2,6}$", description="HS chapter (2 digits), heading (4) or subheading (6).")
]


class UnclassifiedGoodsRule(RuleBase):
    """Goods of the HS chapters where dual-use items concentrate, going to a controlled country without a
    control number: classify before shipping. An explicit 'not listed' classification is respected and
    recorded (`classified_action`). Items another goods rule already caught for that country are left to it.
    """

    kind: Literal["unclassified_goods"]
    hs_prefixes: list[HsPrefix] = Field(min_length=1, description="HS chapters, headings or subheadings covered.")
    classified_action: Action = Field(
        default=Action.INFO, description="Action when the item is declared on no list (EAR99, NLR, ...)."
    )
    classified_message: Template = Field(description="Message template for an item declared on no list.")

    @cached_property
    def _prefixes(self) -> tuple[str, ...]:
        return tuple(self.hs_prefixes)

    def covers(self, hs_code: str) -> bool:
        """Whether the item code falls under one of the prefixes."""
        return hs_code.startswith(self._prefixes)


class ShtcPermitRule(RuleBase):
    """A line with a control number of the given classes needs an SHTC export permit to any destination:
    review without a permit number, `permitted_action` (info, recording the number) with one."""

    kind: Literal["shtc_permit"]
    classes: list[EccnKind] = Field(min_length=1, description="Control-number kinds that need a permit.")
    permitted_action: Action = Field(default=Action.INFO, description="Action when a permit number is declared.")
    permitted_message: Template = Field(description="Message template when a permit number is declared.")


class DestinationNoticeRule(RuleBase):
    """An info finding when goods go to a controlled country and nothing else was found."""

    kind: Literal["destination_notice"]


class Hub(Strict):
    """A transshipment hub named by an authority."""

    country: RuleCountry
    name: str
    named_by: list[str] = Field(min_length=1, description="Authorities and documents that name it.")
    affidavit: bool = Field(default=False, description="Taiwan's no-re-export affidavit is required for it.")


class HubRouteRule(RuleBase):
    """Controlled goods to or via a diversion hub."""

    kind: Literal["hub_route"]
    hubs: list[Hub] = Field(min_length=1)
    affidavit_since: dt.date = Field(description="Date from which Taiwan requires the no-re-export affidavit.")
    party_in_controlled_country_action: Action = Field(
        default=Action.BLOCK, description="Action when an end user or party is in a controlled country."
    )
    affidavit_message: Template = Field(description="Sentence appended for hubs that need the affidavit.")


class ControlledTransitRule(RuleBase):
    """Goods routed through a controlled country."""

    kind: Literal["controlled_transit"]


class PartyKeywordsRule(RuleBase):
    """Party names with words that mark a forwarder, logistics or trading company."""

    kind: Literal["party_keywords"]
    roles: list[str] = Field(min_length=1, description="Roles to look at: consignee, end_user, ...")
    keywords: list[str] = Field(min_length=1, description="Words, matched case-insensitively as whole words.")
    controlled_goods_only: bool = Field(default=True)


class CountryMismatchRule(RuleBase):
    """The consignee sits in another country than the destination."""

    kind: Literal["country_mismatch"]


class MissingEndUserRule(RuleBase):
    """Controlled goods to a hub without a declared end user."""

    kind: Literal["missing_end_user"]
    hubs_from: str = Field(description="Id of the hub_route rule whose hubs count.")


class EndUseKeywordsRule(RuleBase):
    """End-use text naming military or defence use."""

    kind: Literal["end_use_keywords"]
    keywords: list[str] = Field(min_length=1, description="Words or stems in any language; matched case-insensitively.")


class ValueBand(Strict):
    """A sane unit-value range for goods under an HS prefix."""

    hs_prefix: Annotated[str, AfterValidator(_hs_code)]
    description: str
    low: float = Field(gt=0, description="Lowest plausible unit value in the band currency.")
    high: float = Field(gt=0, description="Highest plausible unit value in the band currency.")
    basis: str = Field(description="Where the range comes from.")


class UnitValueRule(RuleBase):
    """Unit values far outside a sane range."""

    kind: Literal["unit_value"]
    currency: str = Field(min_length=3, max_length=3, description="Currency of the bands.")
    rates: dict[str, float] = Field(description="Units of each currency per one band currency unit.")
    factor: float = Field(gt=1, description="How far outside [low, high] a value must be to flag.")
    bands: list[ValueBand] = Field(min_length=1)


Rule = Annotated[
    EccnClassRule | HsCodesRule | UnclassifiedGoodsRule | ShtcPermitRule | DestinationNoticeRule | HubRouteRule
    | ControlledTransitRule | PartyKeywordsRule | CountryMismatchRule | MissingEndUserRule | EndUseKeywordsRule
    | UnitValueRule,
    Field(discriminator="kind"),
]


class RuleFile(Strict):
    """One YAML file in rules/."""

    schema_version: Literal[1] = Field(description="Rule-file format version.")
    title: str = Field(description="What this file covers.")
    rules: list[Rule] = Field(min_length=1)
