"""Where the reader tests find their data: the shared data set beside the repo and local fixtures."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = REPO / "tests" / "fixtures"
