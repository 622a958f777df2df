"""Which of the party matcher's modules run compiled, and whether a compiled one is older than its source.

The matcher's hot modules are compiled with mypyc when the package is installed (setup.py): the same
type-checked source, as C extensions, taking about 40% fewer instructions per query on the
benchmark (docs/performance.md). Python imports an extension module before the source beside it, so a module
edited after the last build would silently run its old code: `stale_modules` finds those (a test
fails on them), and `make setup` rebuilds whenever one of these sources changes. One module is
written in C (`_in_c.c`, IN_C): it is built beside them and checked against its own source the same way.
"""

from __future__ import annotations

import importlib
import importlib.machinery
from pathlib import Path

# (setup.py compiles exactly these; a test holds the two lists together)
COMPILED_MODULES = (
    "service.engine.parties.burmese",
    "service.engine.parties.glossary",
    "service.engine.parties.hit",
    "service.engine.parties.index",
    "service.engine.parties.legal_forms",
    "service.engine.parties.letters",
    "service.engine.parties.names",
    "service.engine.parties.postings",
    "service.engine.parties.scoring",
    "service.engine.parties.tables",
)
IN_C = {"service.engine.parties._in_c": "_in_c.c"}  # module: its C source (setup.py builds it too)


def _is_extension(path: str | None) -> bool:
    return path is not None and path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def compiled_modules() -> dict[str, bool]:
    """For each module meant to be compiled, whether the running process loaded it compiled. (A module
    that another compiled module imported first has a garbled `__file__`, but its suffix is right.)"""
    return {name: _is_extension(importlib.import_module(name).__file__) for name in COMPILED_MODULES}


def in_c() -> dict[str, bool]:
    """For each module written in C, whether it is built (without it, Python does the same)."""
    found = {}
    for name in IN_C:
        try:
            importlib.import_module(name)
        except ImportError:
            found[name] = False
        else:
            found[name] = True
    return found


def stale_modules() -> list[str]:
    """Modules with a compiled build beside them that is older than their source (it runs the old code).
    Only a source tree's in-place build can fall behind: an installed wheel brings sources and
    extensions together, in whatever order its files were written."""
    here = Path(__file__).resolve().parent
    if not (here.parents[2] / "setup.py").exists():
        return []
    stale = []
    sources = {**{name: f"{name.rsplit('.', 1)[1]}.py" for name in COMPILED_MODULES}, **IN_C}
    for name, file in sources.items():
        stem = name.rsplit(".", 1)[1]
        source = (here / file).stat().st_mtime
        built = [here / f"{stem}{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]
        if any(path.exists() and path.stat().st_mtime < source for path in built):
            stale.append(name)
    return stale


def describe() -> str:
    """One line for logs and benchmarks: how many of the matcher's modules run compiled."""
    compiled = compiled_modules()
    done = sum(compiled.values())
    if done == len(compiled):
        built = all(in_c().values())
        return f"party matcher compiled (mypyc): {done} modules, {'with' if built else 'without'} its steps in C"
    if not done:
        return "party matcher in pure Python (not compiled)"
    return f"party matcher partly compiled: {', '.join(n for n, c in compiled.items() if c)}"
