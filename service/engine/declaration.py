"""The shipment declaration: one pydantic model used by every interface (CLI, API, CSV batch).

Validation normalises on the way in (countries to alpha-2, HS/CCC codes to ASCII digits, control numbers
to upper case, full-width and other Unicode digits to ASCII in every code, number and date) so that every
check downstream compares canonical values, and rejects what it cannot read with an error that names the
field and the value. The audit trail stores the normalised declaration, so a stored code always matches.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from service.engine.codes import Eccn, ascii_form, is_undeclared, normalise_hs, parse_eccn
from service.engine.countries import normalise_country
from service.engine.party_names import PartyName

TAIPEI = ZoneInfo("Asia/Taipei")
_PERMIT = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]{2,39}$")


def today_in_taipei() -> date:
    """The default export date: today as the exporter's customs office sees it."""
    return datetime.now(TAIPEI).date()


def a_year_after(day: date) -> date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _country(value: str) -> str:
    return normalise_country(value)


def _hs(value: str) -> str:
    return normalise_hs(value)


def _eccn(value: str | None) -> str | None:
    if value is None or is_undeclared(value):
        return None
    return parse_eccn(value).code


def _permit(value: str) -> str | None:
    if is_undeclared(value):
        return None
    text = "".join(ascii_form(value).upper().split())
    if not _PERMIT.match(text):
        raise ValueError(
            f"permit number {value!r} must be 3-40 letters, digits, dashes, slashes or dots "
            "(as printed on the SHTC export permit)"
        )
    return text


def _ascii(value: Any) -> Any:
    """Text in ASCII digits and punctuation (numbers, dates, permit numbers); other types untouched."""
    return ascii_form(value).strip() if isinstance(value, str) else value


CountryCode = Annotated[
    str,
    AfterValidator(_country),
    Field(description="Country: ISO alpha-2/alpha-3 or an English name; stored as alpha-2."),
]
HsCode = Annotated[str, AfterValidator(_hs)]
AsciiDecimal = Annotated[Decimal, BeforeValidator(_ascii)]
AsciiInt = Annotated[int, BeforeValidator(_ascii)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=500)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Party(_Model):
    """A named party with its country; the address helps a reviewer tell namesakes apart."""

    name: PartyName
    address: str | None = Field(default=None, max_length=1000, description="Street address, free text.")
    country: CountryCode


class Exporter(_Model):
    """The Taiwanese exporter itself (screened against denied-party lists too)."""

    name: PartyName
    country: CountryCode = "TW"


class PartyRole(StrEnum):
    """Roles of further parties in the transaction."""

    BUYER = "buyer"
    INTERMEDIATE_CONSIGNEE = "intermediate_consignee"
    FREIGHT_FORWARDER = "freight_forwarder"
    NOTIFY_PARTY = "notify_party"
    OTHER = "other"


class RoledParty(Party):
    """A further party with its role in the transaction."""

    role: PartyRole


class Item(_Model):
    """One line item of the shipment."""

    line: AsciiInt | None = Field(default=None, ge=1, description="Line number; defaults to the position (1-based).")
    hs_code: HsCode = Field(description="HS or Taiwan CCC code, 4-11 digits; dots, spaces and dashes allowed.")
    eccn: str | None = Field(
        default=None,
        description="Control number (e.g. 3A001, 3A001.a.2, 5A992) or a declared 'not listed' value (EAR99, NLR).",
    )
    description: str | None = Field(default=None, max_length=2000)
    quantity: AsciiDecimal | None = Field(default=None, ge=0)
    unit: str | None = Field(default=None, max_length=20)
    unit_value: AsciiDecimal | None = Field(default=None, description="Value per unit in `currency`.")
    currency: str | None = Field(default=None, min_length=3, max_length=3, description="ISO 4217 code, e.g. USD, TWD.")
    permit_number: str | None = Field(
        default=None, max_length=100,
        description="Number of the SHTC export permit (戰略性高科技貨品輸出許可證) covering this line, if any.",
    )

    @field_validator("eccn", mode="before")
    @classmethod
    def _parse_eccn(cls, value: Any) -> Any:
        return _eccn(value) if isinstance(value, str) else value

    @field_validator("permit_number", mode="before")
    @classmethod
    def _parse_permit(cls, value: Any) -> Any:
        return _permit(value) if isinstance(value, str) else value

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str | None) -> str | None:
        return ascii_form(value).upper() if value else value

    @property
    def parsed_eccn(self) -> Eccn | None:
        """The control number parsed into its kind and category."""
        return parse_eccn(self.eccn) if self.eccn else None


def _with_line(item: Any, position: int) -> Any:
    if isinstance(item, dict) and item.get("line") is None:
        return {**item, "line": position}
    if isinstance(item, Item) and item.line is None:
        return item.model_copy(update={"line": position})
    return item


class Declaration(_Model):
    """A shipment declaration as the ERP sends it before the goods leave."""

    reference: NonEmpty = Field(description="The ERP document number (order, delivery or invoice).")
    export_date: date = Field(
        default_factory=today_in_taipei,
        description="Planned export date; rules apply as in force on that date. Default: today in Asia/Taipei.",
    )
    exporter: Exporter | None = None
    consignee: Party
    end_user: Party | None = None
    parties: list[RoledParty] = Field(default_factory=list, max_length=50)
    destination_country: CountryCode
    transit_countries: list[CountryCode] = Field(default_factory=list, max_length=20, description="In route order.")
    end_use: str | None = Field(default=None, max_length=4000)
    items: list[Item] = Field(min_length=1, max_length=1000)

    @field_validator("export_date", mode="before")
    @classmethod
    def _ascii_date(cls, value: Any) -> Any:
        return _ascii(value)

    @field_validator("export_date")
    @classmethod
    def _not_far_ahead(cls, value: date, info: ValidationInfo) -> date:
        """A date more than a year ahead is a typo; screening it would apply rules that may change by then.

        The validation context may carry "today" (tests, a fixed clock); otherwise today in Asia/Taipei.
        """
        context = info.context if isinstance(info.context, dict) else {}
        today = context.get("today") or today_in_taipei()
        if value > a_year_after(today):
            raise ValueError(
                f"export date {value.isoformat()} is more than a year after today ({today.isoformat()}); "
                "give the planned date the goods leave"
            )
        return value

    @field_validator("items", mode="before")
    @classmethod
    def _number_lines(cls, items: Any) -> Any:
        """Line numbers default to the 1-based position (filled in before the items are validated)."""
        if not isinstance(items, list):
            return items
        return [_with_line(item, position) for position, item in enumerate(items, start=1)]

    def destination_side_countries(self) -> set[str]:
        """Countries of the destination and of every party on the receiving side (exporter excluded)."""
        countries = {self.destination_country, self.consignee.country}
        if self.end_user is not None:
            countries.add(self.end_user.country)
        countries.update(party.country for party in self.parties)
        return countries

    def named_parties(self) -> list[tuple[str, Party | Exporter]]:
        """Every named party with its role, in a stable order, for denied-party screening."""
        named: list[tuple[str, Party | Exporter]] = [("consignee", self.consignee)]
        if self.end_user is not None:
            named.append(("end_user", self.end_user))
        named.extend((party.role.value, party) for party in self.parties)
        if self.exporter is not None:
            named.append(("exporter", self.exporter))
        return named
