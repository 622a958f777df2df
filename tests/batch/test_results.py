"""Output cells: formula injection escaped; findings text per row explains the shipment's verdict."""

from __future__ import annotations

import pytest

from service.batch.records import Record
from service.batch.results import RowResult, excel_safe, findings_text, rule_ids
from service.engine.verdict import Action, Category, Finding, Outcome, RulebookStamp, Verdict


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("=1+1", "'=1+1"), ("+886", "'+886"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("plain", "plain"), ("", ""), ("a=b", "a=b"),
     ("\n=1+1", "'\n=1+1"), ("\nx", "'\nx"),  # a line break first
     ("  =1+1", "'  =1+1"), (" @SUM(A1)", "' @SUM(A1)"), ("\u3000+1", "'\u3000+1"), ("\u00a0-1", "'\u00a0-1"),
     ("\uff1d1+1", "'\uff1d1+1"), ("\uff0b886", "'\uff0b886"), ("\uff0d5", "'\uff0d5"), ("\uff20SUM", "'\uff20SUM"),
     ("  plain", "  plain"), (" ", " "), ("a =b", "a =b")],
)
def test_excel_safe(cell: str, expected: str) -> None:
    assert excel_safe(cell) == expected


def finding(rule_id: str, action: Action, line: int | None) -> Finding:
    return Finding(rule_id=rule_id, category=Category.CONTROLLED_GOODS, action=action, message=f"{rule_id} said so",
                   legal_basis="law", source="src", item_line=line)


def result(findings: list[Finding], line: int) -> RowResult:
    verdict = Verdict(reference="R", verdict=Outcome.BLOCK, risk_score=90, findings=findings,
                      rulebook=RulebookStamp(version="v", as_of="2024-01-01"))
    own = tuple(f for f in findings if f.item_line in (None, line))
    return RowResult(Record(2, []), "R", verdict, own, "ok")


def test_row_without_its_own_blocking_finding_names_the_line_that_blocks() -> None:
    findings = [finding("GOODS", Action.BLOCK, 1), finding("HUB", Action.REVIEW, None)]
    assert findings_text(result(findings, 2)) == "review: HUB said so | block: set by line(s) 1 of this declaration"
    assert rule_ids(result(findings, 2)) == ["HUB"]
    assert findings_text(result(findings, 1)) == "block: GOODS said so | review: HUB said so"
