"""Property tests: whatever bytes a list file holds, a reader returns entries or raises ListReadError.

A list import must never crash with an arbitrary exception (that would take down `lists update` for
every other list) and must never produce an entry without a name or with a repeated id.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engine.parties.sources import ListRead, ListReadError
from service.engine.parties.sources.csl import read_csl
from service.engine.parties.sources.dpl import read_dpl
from service.engine.parties.sources.ofac import read_ofac
from service.engine.parties.sources.opensanctions import read_opensanctions
from service.engine.parties.sources.un import read_un
from tests.engine.parties.sources.paths import FIXTURES, SHARED_DATA

CELL = st.text(alphabet=st.sampled_from(list('ab ,;"\t\r\n-0[]Ж銳\x1a\x00')), max_size=12)
ROW = st.lists(CELL, min_size=0, max_size=14)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(read: Callable[[Path], ListRead], name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / name
        path.write_bytes(data)
        try:
            result = read(path)
        except ListReadError:
            return
    assert result.entries
    assert all(entry.name.strip() for entry in result.entries)
    assert len({entry.id for entry in result.entries}) == len(result.entries)


def _csv(rows: list[list[str]], separator: str = ",") -> bytes:
    return "\r\n".join(separator.join(row) for row in rows).encode()


def _header(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


@PROPERTY
@given(st.lists(ROW, max_size=8), st.booleans())
def test_ofac_sdn(rows: list[list[str]], ctrl_z: bool) -> None:
    _check(read_ofac, "sdn.csv", _csv(rows) + (b"\r\n\x1a" if ctrl_z else b""))


@PROPERTY
@given(st.binary(max_size=300))
def test_ofac_sdn_raw_bytes(data: bytes) -> None:
    _check(read_ofac, "sdn.csv", data)


@PROPERTY
@given(st.lists(ROW, max_size=8))
def test_csl(rows: list[list[str]]) -> None:
    header = _header(SHARED_DATA / "us-csl-sample" / "csl.csv")
    _check(read_csl, "csl.csv", header.encode() + b"\r\n" + _csv(rows))


@PROPERTY
@given(st.lists(ROW, max_size=8))
def test_dpl(rows: list[list[str]]) -> None:
    header = _header(SHARED_DATA / "bis-dpl" / "dpl.txt")
    _check(read_dpl, "dpl.txt", header.encode() + b"\n" + _csv(rows, "\t"))


@PROPERTY
@given(st.lists(ROW, max_size=8))
def test_opensanctions(rows: list[list[str]]) -> None:
    header = _header(FIXTURES / "opensanctions" / "targets.simple.csv")
    _check(read_opensanctions, "targets.simple.csv", header.encode() + b"\n" + _csv(rows))


@PROPERTY
@given(st.text(max_size=200))
def test_un(text: str) -> None:
    wrapped = f"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>{text}</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
    _check(read_un, "un.xml", wrapped.encode())


@PROPERTY
@given(st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_un_names(parts: list[str]) -> None:
    names = "".join(f"<{tag}>{escape(part)}</{tag}>" for tag, part in zip(("FIRST_NAME", "SECOND_NAME",
                                                                           "THIRD_NAME", "FOURTH_NAME"), parts,
                                                                          strict=False))
    xml = f"<CONSOLIDATED_LIST><ENTITIES><ENTITY><DATAID>1</DATAID>{names}</ENTITY></ENTITIES></CONSOLIDATED_LIST>"
    _check(read_un, "un.xml", xml.encode())
