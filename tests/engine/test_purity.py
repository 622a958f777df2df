"""The engine is pure: importing every engine module pulls in no web framework, ORM or HTTP client."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "httpx", "typer", "rich", "uvicorn", "alembic")

PROBE = f"""
import importlib, pkgutil, sys
import service.engine as engine
for module in pkgutil.walk_packages(engine.__path__, "service.engine."):
    importlib.import_module(module.name)
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({FORBIDDEN!r}))
print(",".join(loaded))
"""


def test_engine_imports_no_framework() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"engine imports {result.stdout.strip()}"


def test_probe_would_notice_a_forbidden_import() -> None:
    """Guard against a probe that cannot fail: importing httpx alongside is seen."""
    probe = PROBE.replace("import service.engine as engine", "import httpx\nimport service.engine as engine")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "httpx" in result.stdout
