"""The compiled build of the party matcher: the module list of setup.py, and no stale extension."""

import ast
import os
from pathlib import Path

import pytest

from service.engine.parties import native

SETUP = Path(__file__).resolve().parents[3] / "setup.py"


def test_setup_compiles_the_listed_modules() -> None:
    tree = ast.parse(SETUP.read_text(encoding="utf-8"))
    listed = next(ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MODULES")
    assert sorted(f"service.engine.parties.{module}" for module in listed) == sorted(native.COMPILED_MODULES)


def test_no_compiled_module_is_older_than_its_source() -> None:
    # Python loads an extension before the source beside it: an edited module would run its old code
    assert native.stale_modules() == [], "rebuild with `make setup` (or PURE_PYTHON_BUILD=1 make setup)"


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="a developer may build in pure Python")
def test_ci_tests_the_compiled_build() -> None:
    # the build that ships (docker/Dockerfile) is the compiled one: CI runs the tests against it
    assert all(native.compiled_modules().values()), native.describe()
    assert all(native.in_c().values()), native.describe()


def test_describe_names_the_mode() -> None:
    assert "party matcher" in native.describe()


def test_the_c_module_is_checked_against_its_c_source() -> None:
    for name, source in native.IN_C.items():
        assert (SETUP.parent / "service" / "engine" / "parties" / source).exists(), name
    assert "_in_c.c" in SETUP.read_text(encoding="utf-8")
