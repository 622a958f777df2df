"""Build: the party matcher's hot modules compiled with mypyc (the rest of the project is in pyproject.toml).

mypyc turns the same type-checked source into C extensions; a query takes about 40% fewer
instructions (docs/performance.md). A few steps are written in C (`_in_c.c`: key look-ups, strings,
merging and ranking candidates, the prefilter's token set ratios, the tie-break among them, the tables
of spellings), which compiled Python takes only through Python objects and numpy calls.
PURE_PYTHON_BUILD=1 builds without a C compiler: the modules then run as plain Python (each C step has
its Python counterpart), and the extensions of an earlier build are removed so that they do not shadow
the source. The module list is service.engine.parties.native.COMPILED_MODULES (a test
holds the two together).
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import Extension, setup

PACKAGE = Path("service/engine/parties")
MODULES = ["burmese", "glossary", "hit", "index", "legal_forms", "letters", "names", "postings", "scoring",
           "tables"]


def extensions() -> list[object]:
    if os.environ.get("PURE_PYTHON_BUILD") == "1":
        for built in PACKAGE.glob("*.so"):  # (an in-place build's extensions would shadow the source)
            built.unlink()
        return []
    from mypyc.build import mypycify

    compiled: list[object] = mypycify([str(PACKAGE / f"{module}.py") for module in MODULES],
                                      group_name="service.engine.parties._native", opt_level="3")
    in_c = Extension("service.engine.parties._in_c", [str(PACKAGE / "_in_c.c")])
    return [*compiled, in_c]


setup(ext_modules=extensions())
