"""The batch core stays free of web, database and CLI frameworks (the shells wrap it)."""

from __future__ import annotations

import subprocess
import sys


def test_batch_core_imports_no_framework() -> None:
    code = (
        "import sys, service.batch.run, service.batch.workers\n"
        "print(','.join(m for m in ('fastapi', 'sqlmodel', 'sqlalchemy', 'httpx', 'typer', 'rich')"
        " if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == ""
