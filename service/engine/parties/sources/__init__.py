"""List readers, one module per published format, each a pure function from files to list entries.

`read_list(format, path)` picks the reader; every reader returns a `ListRead` (entries, the rows it
skipped with their row numbers, and signs that the file is incomplete) or raises `ListReadError` for a
file that is missing, empty or not of its format.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from service.engine.parties.sources import csl, curated, dpl, ofac, opensanctions, tw_shtc, un
from service.engine.parties.sources.reading import ListRead, ListReadError, RowWarning

ListFormat = Literal["ofac", "csl", "un", "dpl", "opensanctions", "tw-shtc", "yaml"]
FORMATS: tuple[str, ...] = get_args(ListFormat)

Reader = Callable[[Path, str], ListRead]

READERS: dict[str, Reader] = {
    "ofac": ofac.read_ofac,
    "csl": csl.read_csl,
    "un": un.read_un,
    "dpl": dpl.read_dpl,
    "opensanctions": opensanctions.read_opensanctions,
    "tw-shtc": tw_shtc.read_tw_shtc,
}

DEFAULT_NAMES: dict[str, str] = {
    "ofac": ofac.LIST_NAME,
    "csl": csl.LIST_NAME,
    "un": un.LIST_NAME,
    "dpl": dpl.LIST_NAME,
    "opensanctions": opensanctions.LIST_NAME,
    "tw-shtc": tw_shtc.LIST_NAME,
}


def default_list_name(list_format: str, path: Path) -> str:
    """The conventional list name of a format (a curated YAML file names itself)."""
    if list_format == "yaml":
        return curated.parse_curated(path).header.name
    return DEFAULT_NAMES[list_format]


def read_list(list_format: str, path: Path, list_name: str | None = None) -> ListRead:
    """Read a list file (or, for OFAC, its directory) of the given format."""
    if list_format == "yaml":
        return curated.read_curated(path, list_name)
    if list_format not in READERS:
        raise ListReadError(f"unknown list format {list_format!r}; expected one of {', '.join(FORMATS)}")
    return READERS[list_format](path, list_name or DEFAULT_NAMES[list_format])


__all__ = ["FORMATS", "ListFormat", "ListRead", "ListReadError", "RowWarning", "default_list_name", "read_list"]
