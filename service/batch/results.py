"""One result per input row, written as CSV (input columns + result columns) or JSON Lines.

Every row of a shipment carries the shipment's verdict; its `findings` and `rule_ids` are those about its
own line plus those about the whole shipment, so a reviewer reading one row sees why. CSV cells are made
safe for Excel: a cell that starts like a formula is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Protocol

from service.batch.assemble import Assembly
from service.batch.records import Record
from service.batch.shipments import Shipment
from service.engine.verdict import Finding, Verdict

RESULT_COLUMNS = ("verdict", "risk_score", "findings", "rule_ids", "row_status")
# What a spreadsheet reads as the start of a formula: the four operators (and their full-width forms,
# which some spreadsheet locales fold to them), and a tab or line break before anything else.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r", "\n")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_BLANKS = frozenset(" \u00a0\u3000")  # spreadsheets skip these before a formula
_SUSPECT_FIRST = _FORMULA_FIRST | _BLANKS  # a cell starting otherwise is written as it is (the fast path)
MESSAGE_CHARS = 200


@dataclass(frozen=True, slots=True)
class RowResult:
    """The outcome for one input row: the shipment's verdict and the findings about this row, or an error."""

    record: Record
    reference: str
    verdict: Verdict | None
    findings: tuple[Finding, ...]
    status: str  # "ok" or "error: message"

    @property
    def ok(self) -> bool:
        """True when the row was screened."""
        return self.verdict is not None


def row_results(shipment: Shipment, assembly: Assembly, verdict: Verdict | None) -> list[RowResult]:
    """One result per record of the shipment, in input order."""
    if verdict is None or assembly.declaration is None:
        message = assembly.shipment_error or "not screened"
        return [
            RowResult(record, shipment.reference, None, (), f"error: {assembly.row_errors.get(record.number, message)}")
            for record in shipment.records
        ]
    items = assembly.declaration.items
    by_line = _findings_by_line(verdict)
    shipment_wide = by_line.get(None, ())
    return [
        RowResult(record, shipment.reference, verdict, by_line.get(item.line, shipment_wide), "ok")
        for record, item in zip(shipment.records, items, strict=True)
    ]


def _findings_by_line(verdict: Verdict) -> dict[int | None, tuple[Finding, ...]]:
    """Per item line: the findings about that line and those about the whole shipment, in verdict order."""
    lines = {f.item_line for f in verdict.findings}
    return {
        line: tuple(f for f in verdict.findings if f.item_line is None or f.item_line == line)
        for line in lines | {None}
    }


def findings_text(result: RowResult) -> str:
    """Short text: action and message of each finding about this row, and which lines set the verdict if others."""
    if result.verdict is None:
        return ""
    parts = [f"{f.action.value}: {_shorten(f.message)}" for f in result.findings]
    decisive = result.verdict.verdict.value
    if decisive != "clear" and not any(f.action.value == decisive for f in result.findings):
        lines = sorted({f.item_line for f in result.verdict.findings if f.action.value == decisive and f.item_line})
        parts.append(f"{decisive}: set by line(s) {', '.join(map(str, lines))} of this declaration")
    return " | ".join(parts)


def rule_ids(result: RowResult) -> list[str]:
    """Distinct rule ids of the findings about this row, in order."""
    return list(dict.fromkeys(f.rule_id for f in result.findings))


def _shorten(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 3] + "..."


def excel_safe(cell: str) -> str:
    """Prefix `'` to a cell that Excel or LibreOffice would read as a formula (CSV injection): one that
    starts like a formula, also after spaces (`"  =1+1"`) or in full-width characters (`＝1+1`)."""
    return "'" + cell if _formula_like(cell) else cell


def _formula_like(cell: str) -> bool:
    first = cell[:1]
    if first in _BLANKS:
        return cell.lstrip(" \u00a0\u3000")[:1] in _FORMULA_FIRST
    return first in _FORMULA_FIRST


class ResultFormat(Protocol):
    """Turns row results into output text; runs in the worker processes."""

    def header(self, headers: tuple[str, ...]) -> str:
        """Text written once before the first row."""
        ...

    def rows(self, results: list[RowResult], headers: tuple[str, ...]) -> str:
        """Text for a chunk of rows."""
        ...


@dataclass(frozen=True)
class CsvFormat:
    """The input columns (padded to the header's width) followed by the result columns."""

    delimiter: str = ","

    def header(self, headers: tuple[str, ...]) -> str:
        """The input header plus the result column names."""
        return self._write([[excel_safe(h) for h in (*headers, *RESULT_COLUMNS)]])

    def rows(self, results: list[RowResult], headers: tuple[str, ...]) -> str:
        """One CSV line per result."""
        width = len(headers)
        return self._write([self._row(result, width) for result in results])

    def _row(self, result: RowResult, width: int) -> list[str]:
        cells = (result.record.cells + [""] * width)[:width]
        verdict = result.verdict
        outcome = [
            verdict.verdict.value if verdict else "",
            str(verdict.risk_score) if verdict else "",
            findings_text(result),
            " ".join(rule_ids(result)),
            result.status,
        ]
        return [excel_safe(cell) if cell[:1] in _SUSPECT_FIRST else cell for cell in (*cells, *outcome)]

    def _write(self, rows: list[list[str]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.delimiter, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue()


@dataclass(frozen=True)
class JsonlFormat:
    """One JSON object per input row: row number, input cells by header, verdict and full findings."""

    def header(self, headers: tuple[str, ...]) -> str:
        """JSON Lines has no header."""
        return ""

    def rows(self, results: list[RowResult], headers: tuple[str, ...]) -> str:
        """One JSON line per result."""
        return "".join(json.dumps(self._object(r, headers), ensure_ascii=False) + "\n" for r in results)

    def _object(self, result: RowResult, headers: tuple[str, ...]) -> dict[str, Any]:
        verdict = result.verdict
        return {
            "row": result.record.number,
            "reference": result.reference,
            "input": dict(zip(headers, result.record.cells, strict=False)),
            "verdict": verdict.verdict.value if verdict else None,
            "risk_score": verdict.risk_score if verdict else None,
            "findings": [f.model_dump(mode="json") for f in result.findings],
            "rule_ids": rule_ids(result),
            "row_status": result.status,
            "rulebook": verdict.rulebook.model_dump(mode="json") if verdict else None,
            "lists": [stamp.model_dump(mode="json") for stamp in verdict.lists] if verdict else [],
        }
