"""Property: whatever the rows hold, the output has exactly one row per input row, in input order."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from service.batch.records import RecordReader
from service.batch.run import BatchOptions, run_batch
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.settings import Settings
from tests.batch.conftest import HEADER, RULES_DIR, TinyList

CONTEXT = ScreeningContext(rulebook=load_rulebook(RULES_DIR), parties=TinyList())
REFERENCES = st.sampled_from(["A", "B", "C", "", " A "])
COUNTRIES = st.sampled_from(["DE", "RU", "TR", "Narnia", "", "China"])
CODES = st.sampled_from(["940360", "854231", "12", "8542", "", "abc"])
JUNK = st.text(alphabet='ab,;"\n\r\t=-|', max_size=8)


@st.composite
def data_row(draw: st.DrawFn) -> list[str]:
    cells = [draw(REFERENCES), "2024-07-01", draw(JUNK), draw(COUNTRIES), draw(COUNTRIES), "", draw(CODES),
             draw(st.sampled_from(["", "3A001", "EAR99", "zz"])), draw(JUNK), "1", "1", "USD"]
    width = draw(st.sampled_from([len(cells), len(cells), len(cells), 3, len(cells) + 2]))
    return (cells + ["x"] * width)[:width]


@settings(max_examples=60, deadline=None)
@given(st.lists(data_row(), min_size=1, max_size=25), st.sampled_from([",", ";", "\t"]))
def test_one_output_row_per_input_row(rows: list[list[str]], delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")  # quotes any \r or \n in a cell
    writer.writerow(HEADER)
    writer.writerows(rows)
    text = buffer.getvalue()
    with tempfile.TemporaryDirectory() as scratch:
        source, out = Path(scratch) / "in.csv", Path(scratch) / "out.csv"
        source.write_text(text, encoding="utf-8")
        expected = [r.number for r in RecordReader(io.StringIO(text, newline=""), delimiter)][1:]
        summary = run_batch(source, out, Settings(), BatchOptions(), context=CONTEXT)
        with out.open(encoding="utf-8-sig", newline="") as stream:
            output = list(csv.reader(stream, delimiter=delimiter))[1:]
    assert summary.rows == len(expected) == len(output)
    # A quoted line break inside a row of the wrong width is taken for an unclosed quote: each physical
    # line then becomes a row of its own (never swallowed into another row), so there may be more.
    assert len(output) >= len(rows)
    if all(len(row) == len(HEADER) for row in rows):
        assert len(output) == len(rows)
    assert all(row[-1] == "ok" or row[-1].startswith("error: ") for row in output)
    assert all(row[-5] in ("clear", "review", "block") for row in output if row[-1] == "ok")
    assert all(row[-5] == "" for row in output if row[-1] != "ok")  # an error row never carries a verdict
