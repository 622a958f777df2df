"""read_list picks the reader by format; readers are pure (no web, database or HTTP imports)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service.engine.parties.sources import FORMATS, ListReadError, default_list_name, read_list
from tests.engine.parties.sources.paths import FIXTURES, REPO, SHARED_DATA


def test_formats() -> None:
    assert FORMATS == ("ofac", "csl", "un", "dpl", "opensanctions", "tw-shtc", "yaml")


def test_unknown_format() -> None:
    with pytest.raises(ListReadError, match="unknown list format"):
        read_list("xls", Path("x"))


def test_list_name_can_be_overridden() -> None:
    read = read_list("ofac", FIXTURES / "ofac-mini", "ofac-test")
    assert {entry.source_list for entry in read.entries} == {"ofac-test"}
    assert default_list_name("dpl", SHARED_DATA / "bis-dpl" / "dpl.txt") == "bis-dpl"
    assert default_list_name("yaml", REPO / "rules" / "lists" / "taiwan-curated.yaml") == "tw-curated"


def test_readers_import_no_framework() -> None:
    code = (
        "import sys, service.engine.parties.sources as s; "
        "print(sorted(m for m in ('fastapi', 'sqlmodel', 'sqlalchemy', 'httpx', 'typer', 'rich') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"
