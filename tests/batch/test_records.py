"""The record reader: one record per input row, and a broken row costs exactly that row."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.batch.records import MAX_RECORD_LINES, RecordReader, sniff_delimiter


def records(text: str, delimiter: str | None = None) -> list[tuple[int, list[str], str | None]]:
    return [(r.number, r.cells, r.error) for r in RecordReader(io.StringIO(text, newline=""), delimiter)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a|b|c", "|"), ("a;b,c;d", ";"), ("single", ",")],
)
def test_sniffs_delimiter_from_header(header: str, expected: str) -> None:
    assert sniff_delimiter(header + "\n") == expected


def test_row_numbers_are_spreadsheet_rows() -> None:
    assert [n for n, _, _ in records("h1,h2\na,b\nc,d\n")] == [1, 2, 3]


def test_quoted_newline_stays_one_row() -> None:
    assert records('h1,h2\n"line1\nline2",x\ny,z\n')[1:] == [(2, ["line1\nline2", "x"], None), (3, ["y", "z"], None)]


def test_lines_read_again_after_a_broken_row_are_rows_of_their_own() -> None:
    # Row 2 has a quoted lone CR and the wrong width: broken. Its second line starts inside that quote, so
    # re-read on its own, its closing quote opens a field that would swallow row 3 (found by hypothesis).
    got = records('h1\th2\th3\r\nA\t"\r\t"\r\nB\tC\tD\r\nE\t"\t;"\r\n', "\t")
    assert [(n, error is not None) for n, _, error in got] == [(1, False), (2, True), (3, True), (4, False),
                                                                (5, False)]
    assert got[3][1] == ["B", "C", "D"] and got[4][1] == ["E", "\t;"]


def test_unclosed_quote_costs_only_its_row() -> None:
    got = records('h1,h2,h3\n1,"open,3\n2,b,c\n3,d,e\n')
    assert [n for n, _, _ in got] == [1, 2, 3, 4]
    assert got[1][2] is not None and "quoting" in got[1][2]
    assert got[2:] == [(3, ["2", "b", "c"], None), (4, ["3", "d", "e"], None)]


def test_text_after_closing_quote_is_broken_quoting() -> None:
    got = records('h1,h2\n"a"b,c\nd,e\n')
    assert got[1][2] is not None
    assert got[2] == (3, ["d", "e"], None)


def test_inch_mark_inside_an_unquoted_field_is_data() -> None:
    assert records('h1,h2\npipe 5" steel,x\n')[1] == (2, ['pipe 5" steel', "x"], None)


def test_quote_spanning_lines_with_wrong_width_is_split_again() -> None:
    # A stray quote that happens to close on a later line must not merge rows.
    got = records('h1,h2,h3\n1,"abc,x\n2,def",y,z\n3,g,h\n')
    assert len(got) == 4
    assert got[1][2] is not None
    assert got[2][0] == 3 and got[3] == (4, ["3", "g", "h"], None)


def test_multiline_field_of_the_right_width_is_valid_csv() -> None:
    assert records('h1,h2,h3\n1,"abc,x\n2,def",y\n')[1] == (2, ["1", "abc,x\n2,def", "y"], None)


def test_runaway_quote_is_bounded() -> None:
    body = '1,"never closed\n' + "".join(f"{i},b\n" for i in range(MAX_RECORD_LINES + 50))
    got = records("h1,h2\n" + body)
    assert len(got) == 1 + 1 + MAX_RECORD_LINES + 50
    assert sum(1 for _, _, error in got if error) == 1


def test_replacement_character_flags_the_row() -> None:
    got = records("h\nok\nbad\ufffd\n")
    assert got[1][2] is None
    assert got[2][2] is not None and "not valid" in got[2][2]


def test_crlf_and_other_delimiters() -> None:
    assert records("a;b\r\n1;2\r\n") == [(1, ["a", "b"], None), (2, ["1", "2"], None)]
    assert records("a\tb\r\n1\t2\r\n")[1] == (2, ["1", "2"], None)


# U+FFFD is what lossy decoding leaves for an undecodable byte, so a row holding it is flagged on purpose.
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffd"), max_size=12)


@given(st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=20), st.sampled_from(",;\t|"))
def test_valid_csv_round_trips(rows: list[list[str]], delimiter: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerows(
        [["h1", "h2", "h3"], *rows]
    )
    got = records(buffer.getvalue(), delimiter)
    assert [cells for _, cells, _ in got[1:]] == rows
    assert all(error is None for _, _, error in got)


@given(st.lists(st.text(alphabet='ab,"', min_size=1, max_size=10), min_size=1, max_size=30))
def test_garbage_terminates_and_numbers_rows_densely(lines: list[str]) -> None:
    got = records("h1,h2\n" + "".join(line + "\n" for line in lines), ",")
    assert [n for n, _, _ in got] == list(range(1, len(got) + 1))
    assert 2 <= len(got) <= 1 + len(lines)


@given(st.lists(st.text(alphabet="ab,; ", min_size=1, max_size=10), min_size=1, max_size=30))
def test_without_quotes_every_line_is_a_row(lines: list[str]) -> None:
    assert len(records("h1,h2\n" + "".join(line + "\n" for line in lines), ",")) == 1 + len(lines)
