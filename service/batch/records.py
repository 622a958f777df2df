"""CSV records from a text stream, one per input row, recovering from broken quoting.

Python's csv module does the parsing; this layer makes sure that a broken row costs exactly that row.
An unclosed quote would otherwise swallow the lines after it into one giant field, so when a record
fails to parse, runs past the limits or spans several lines with the wrong number of fields, only its
first line is reported as a bad row and the lines it had swallowed are parsed again as rows of their own.

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from service.batch.encoding import REPLACEMENT

DELIMITERS = (",", ";", "\t", "|")
MAX_RECORD_CHARS = 1 << 20  # a record longer than this is broken, not data
MAX_RECORD_LINES = 100  # a quoted field spanning more lines than this is an unclosed quote
MAX_LINE_CHARS = MAX_RECORD_CHARS


@dataclass(frozen=True, slots=True)
class Record:
    """One input row: its spreadsheet row number, its cells, and why it cannot be used (if so)."""

    number: int
    cells: list[str]
    error: str | None = None

    def __reduce__(self) -> tuple[type[Record], tuple[int, list[str], str | None]]:
        # Chunks of records go to worker processes; the generated slots pickling is several times slower.
        return (Record, (self.number, self.cells, self.error))


class _Lines:
    """Physical lines with push-back, remembering the lines handed out for the current record."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pushed: deque[str] = deque()
        self._replays = 0  # how many lines at the front of `_pushed` were given back by push_back
        self.taken: list[str] = []
        self.replayed = False  # the current record holds a line read again after a broken record

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._replays:
            self._replays -= 1
            self.replayed = True
        line = self._pushed.popleft() if self._pushed else self._read()
        if not line:
            raise StopIteration
        self.taken.append(line)
        return line

    def _read(self) -> str:
        line = self._stream.readline(MAX_LINE_CHARS)
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            while (rest := self._stream.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                pass  # an over-long line is skipped to its end; the csv field limit reports it
        return line

    def push_back(self, lines: list[str]) -> None:
        """Return lines to be read again, in order, before the rest of the stream."""
        self._pushed.extendleft(reversed(lines))
        self._replays += len(lines)

    def peek(self) -> str:
        """The next line without consuming it ('' at end of input)."""
        if not self._pushed:
            line = self._read()
            if not line:
                return ""
            self._pushed.append(line)
        return self._pushed[0]


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header line (`,` when none occurs)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


class RecordReader:
    """Iterate the records of one CSV stream; the first record is the header."""

    def __init__(self, stream: TextIO, delimiter: str | None = None, encoding_name: str = "utf-8",
                 lossy: bool = True) -> None:
        self._lines = _Lines(stream)
        self.delimiter = delimiter or sniff_delimiter(self._lines.peek())
        self._encoding_name = encoding_name
        self._lossy = lossy  # False when the whole file decoded strictly: no replacement characters to find
        self._number = 0
        self.width: int | None = None  # number of header fields, known after the header is read

    def __iter__(self) -> Iterator[Record]:
        csv.field_size_limit(MAX_RECORD_CHARS)
        reader = self._new_reader()
        while True:
            self._lines.taken, self._lines.replayed = [], False
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._broken(f"broken quoting or field: {exc}")
                reader = self._new_reader()
                continue
            # Lines read again after a broken record are rows of their own: one of them may start inside the
            # broken quote, so its closing quote reads as an opening one and would swallow the next rows.
            if len(self._lines.taken) > 1 and (len(self._lines.taken) > MAX_RECORD_LINES or self._width_wrong(cells)
                                               or self._lines.replayed):
                yield self._broken("broken quoting: a quote opened on this row is not closed where expected")
                reader = self._new_reader()
                continue
            yield self._record(cells)

    def _new_reader(self) -> Iterator[list[str]]:
        return csv.reader(self._lines, delimiter=self.delimiter, quotechar='"', doublequote=True, strict=True)

    def _width_wrong(self, cells: list[str]) -> bool:
        return self.width is not None and len(cells) != self.width

    def _record(self, cells: list[str]) -> Record:
        self._number += 1
        if self.width is None:
            self.width = len(cells)
        error = None
        if self._lossy and any(REPLACEMENT in line for line in self._lines.taken):
            error = f"the row holds bytes that are not valid {self._encoding_name}; re-export it or pass --encoding"
        return Record(self._number, cells, error)

    def _broken(self, message: str) -> Record:
        """Report the record's first line as a bad row and re-read the lines it swallowed."""
        first, *swallowed = self._lines.taken or [""]
        self._lines.push_back(swallowed)
        self._number += 1
        cells = next(csv.reader([first.rstrip("\r\n")], delimiter=self.delimiter, strict=False), [])
        return Record(self._number, cells, message)
