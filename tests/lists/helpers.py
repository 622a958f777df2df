"""Settings and small list files for the snapshot tests (everything under tmp_path, nothing shared)."""

from __future__ import annotations

import shutil
from pathlib import Path

from service.engine.parties.entry import ListEntry
from service.settings import ListSource, Settings

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
OFAC_MINI = REPO / "tests" / "fixtures" / "ofac-mini"
CURATED = REPO / "rules" / "lists"


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    """Settings whose data directory is private to the test; curated lists are the bundled ones."""
    values: dict[str, object] = {"data_dir": tmp_path / "var", "lists_dir": CURATED, "list_sources": [],
                                 "list_download_retries": 2}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def ofac_source(base: str = "https://lists.test/ofac/") -> ListSource:
    return ListSource(name="ofac-sdn", format="ofac", urls=[base + name for name in ("sdn.csv", "alt.csv", "add.csv")])


def ofac_copy(tmp_path: Path, keep_rows: int | None = None) -> Path:
    """A copy of the OFAC fixture, optionally cut to its first `keep_rows` sdn.csv rows (still well-formed)."""
    target = tmp_path / "ofac-copy"
    shutil.copytree(OFAC_MINI, target, dirs_exist_ok=True)
    if keep_rows is not None:
        sdn = target / "sdn.csv"
        rows = sdn.read_bytes().rstrip(b"\x1a").split(b"\r\n")
        sdn.write_bytes(b"\r\n".join(rows[:keep_rows]) + b"\r\n\x1a")
    return target


def entry(entry_id: str, name: str = "Example Trading LLC") -> ListEntry:
    return ListEntry(id=entry_id, source_list="test-list", name=name)
