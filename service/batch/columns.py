"""Which input column feeds which declaration field: the documented default header plus aliases.

The default header names the fields directly (`reference`, `consignee_name`, `hs_code`, ...). ERPs use
their own names, so a YAML mapping turns those into ours: a built-in set of common aliases ships with the
package, and a user's `--mapping` file extends or overrides it. Headers are compared after folding case,
spaces, dots and dashes, so `Consignee Name`, `consignee-name` and `CONSIGNEE_NAME` are the same column.
Columns that map to no field are carried through to the output untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from service.engine.declaration import PartyRole

PARTY_ROLES = tuple(role.value for role in PartyRole)
ITEM_FIELDS = ("line", "hs_code", "eccn", "description", "quantity", "unit", "unit_value", "currency", "permit_number")
SHIPMENT_FIELDS = (
    "reference", "export_date", "exporter_name", "exporter_country",
    "consignee_name", "consignee_address", "consignee_country",
    "end_user_name", "end_user_address", "end_user_country",
    "destination_country", "transit_countries", "end_use",
    *(f"{role}_{part}" for role in PARTY_ROLES for part in ("name", "address", "country")),
)
FIELDS = frozenset((*SHIPMENT_FIELDS, *ITEM_FIELDS))
REQUIRED = ("reference", "consignee_name", "consignee_country", "destination_country", "hs_code")
DEFAULT_HEADER = (
    "reference", "export_date", "consignee_name", "consignee_address", "consignee_country", "end_user_name",
    "end_user_country", "destination_country", "transit_countries", "hs_code", "eccn", "description",
    "quantity", "unit_value", "currency", "end_use",
)

_FOLD = re.compile(r"[\s.\-/]+")


class MappingError(ValueError):
    """The mapping file or the file's header cannot be used; nothing is screened."""


def header_key(header: str) -> str:
    """The form headers are compared in: case-folded, BOM and spaces trimmed, separators as `_`."""
    return _FOLD.sub("_", header.replace("\ufeff", "").strip().casefold()).strip("_")


class ColumnMapping(BaseModel):
    """A mapping file: ERP column header -> export-screen field."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", description="What export this mapping is for.")
    columns: dict[str, str] = Field(description="ERP header -> field name of the documented default header.")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted({field for field in columns.values() if field not in FIELDS})
        if unknown:
            raise ValueError(f"unknown target field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}")
        return columns


def load_mapping(path: Path) -> ColumnMapping:
    """Read and validate a mapping file, naming the file in every error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        return ColumnMapping.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"{path}: invalid mapping: {problems}") from exc


def builtin_aliases() -> dict[str, str]:
    """The aliases shipped with the package (common ERP and spreadsheet header names)."""
    text = resources.files("service.batch.mappings").joinpath("aliases.yaml").read_text(encoding="utf-8")
    return ColumnMapping.model_validate(yaml.safe_load(text)).columns


@dataclass(frozen=True)
class ColumnLayout:
    """The file's header and which column index feeds each field."""

    headers: tuple[str, ...]
    index: dict[str, int]
    _present: dict[tuple[str, ...], tuple[tuple[str, int], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def present(self, fields: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        """(field, column index) for those of `fields` the file has, in the order given (memoised)."""
        cached = self._present.get(fields)
        if cached is None:
            cached = self._present[fields] = tuple((f, self.index[f]) for f in fields if f in self.index)
        return cached

    def column_of(self, field: str) -> str:
        """The user's own header for a field (for error messages), or the field name itself."""
        position = self.index.get(field)
        return self.headers[position] if position is not None else field


def resolve_layout(headers: list[str], extra: ColumnMapping | None = None) -> ColumnLayout:
    """Map each header to a field; raise MappingError for duplicate targets or missing required fields."""
    aliases = {header_key(name): field for name, field in builtin_aliases().items()}
    if extra is not None:
        aliases.update({header_key(name): field for name, field in extra.columns.items()})
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = header_key(header)
        field = aliases.get(key, key if key in FIELDS else None)
        if field is None:
            continue
        if field in index:
            first = headers[index[field]]
            raise MappingError(f"columns {first!r} and {header!r} both map to {field}; keep one or fix the mapping")
        index[field] = position
    missing = [field for field in REQUIRED if field not in index]
    if missing:
        raise MappingError(
            f"required column(s) missing: {', '.join(missing)}; the header has: {', '.join(headers)} "
            "(name the columns as in docs/batch.md or pass --mapping)"
        )
    return ColumnLayout(tuple(headers), index)
