"""End to end through run_batch: one output row per input row, in order, whatever the rows hold."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from service.batch.columns import MappingError
from service.batch.run import BatchOptions, InputUnreadable, run_batch
from service.batch.screening import ContextUnavailable
from service.engine.checks.clearances import DeniedParty, standing_of
from service.engine.screen import ScreeningContext
from service.runtime import load_context
from service.settings import Settings
from tests.batch.conftest import HEADER, TinyList, read_output, row, write_csv

SETTINGS = Settings()


def run(tmp_path: Path, source: Path, context: ScreeningContext, delimiter: str = ",",
        **options: object) -> list[dict[str, str]]:
    out = tmp_path / "out.csv"
    run_batch(source, out, SETTINGS, BatchOptions(**options), context=context)  # type: ignore[arg-type]
    return read_output(out, delimiter)


def test_messy_file_keeps_every_row_in_order(tmp_path: Path, context: ScreeningContext) -> None:
    source = tmp_path / "in.csv"
    text = (
        ",".join(HEADER) + "\n"
        + ",".join(row("OK-1")) + "\n"
        + ",".join(row("RU-1", "854231", country="RU")) + "\n"
        + ",".join(row("RU-1", "940360", country="RU")) + "\n"
        + ",".join(row("BAD-C", country="Narnia")) + "\n"
        + ",".join(row("BAD-HS", "12")) + "\n"
        + ",,,,,,,,,,,\n"
        + "SHORT,row\n"
        + 'QUOTE,"unclosed,DE,DE,,940360,,x,1,1,USD\n'
        + ",".join(row("OK-2")) + "\n"
    )
    source.write_text(text, encoding="utf-8")
    rows = run(tmp_path, source, context)
    assert [r["reference"] for r in rows] == ["OK-1", "RU-1", "RU-1", "BAD-C", "BAD-HS", "", "SHORT", "QUOTE", "OK-2"]
    assert [r["verdict"] for r in rows] == ["clear", "block", "block", "", "", "", "", "", "clear"]
    statuses = [r["row_status"] for r in rows]
    assert statuses[0] == statuses[1] == statuses[8] == "ok"
    assert "unknown country 'Narnia'" in statuses[3]
    assert "HS/CCC code '12'" in statuses[4]
    assert statuses[5] == "error: empty row, nothing to screen"
    assert "2 fields" in statuses[6]
    assert "quoting" in statuses[7]
    assert "TW-RUBY-CHPL" in rows[1]["rule_ids"]
    assert "set by line(s) 1" in rows[2]["findings"]


def test_invalid_row_fails_the_whole_declaration(tmp_path: Path, context: ScreeningContext) -> None:
    source = write_csv(tmp_path / "in.csv", [row("RU-1", "854231", country="RU"), row("RU-1", "1", country="RU")])
    rows = run(tmp_path, source, context)
    assert [r["verdict"] for r in rows] == ["", ""]
    assert "not screened: row 3 is invalid in reference RU-1" in rows[0]["row_status"]
    assert "HS/CCC code '1'" in rows[1]["row_status"]


def test_denied_party_found_and_names_cached(tmp_path: Path, context: ScreeningContext) -> None:
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}", consignee="Vector Denied LLC") for n in range(30)])
    screener = TinyList()
    rows = run(tmp_path, source, ScreeningContext(context.rulebook, screener))
    assert {r["verdict"] for r in rows} == {"block"}
    assert "DENIED-PARTY-TINY" in rows[0]["rule_ids"]
    assert screener.calls == 1


def test_formula_cells_escaped_in_output(tmp_path: Path, context: ScreeningContext) -> None:
    source = write_csv(tmp_path / "in.csv", [row("SO-1", description="=HYPERLINK(\"http://x\")")])
    assert run(tmp_path, source, context)[0]["description"].startswith("'=")


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-16", "\t"), ("cp950", ","), ("utf-8-sig", ";"),
                                                     ("utf-8", "|")])
def test_encodings_and_delimiters(tmp_path: Path, context: ScreeningContext, encoding: str, delimiter: str) -> None:
    source = write_csv(tmp_path / "in.csv", [row("SO-1", consignee="台灣精密股份有限公司")], delimiter=delimiter,
                       encoding=encoding)
    rows = run(tmp_path, source, context, delimiter)
    assert rows[0]["consignee_name"] == "台灣精密股份有限公司"
    assert rows[0]["verdict"] == "clear"


def test_jsonl_output(tmp_path: Path, context: ScreeningContext) -> None:
    source = write_csv(tmp_path / "in.csv", [row("RU-1", "854231", country="RU"), row("X", "1")])
    out = tmp_path / "out.jsonl"
    run_batch(source, out, SETTINGS, BatchOptions(jsonl=True), context=context)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["row"] for line in lines] == [2, 3]
    assert lines[0]["verdict"] == "block" and lines[0]["findings"][0]["rule_id"] == "TW-RUBY-CHPL"
    assert lines[0]["input"]["hs_code"] == "854231"
    assert lines[0]["rulebook"]["version"] == context.rulebook.version
    assert lines[1]["verdict"] is None and lines[1]["row_status"].startswith("error:")


def test_fatal_input_problems(tmp_path: Path, context: ScreeningContext) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputUnreadable, match="empty"):
        run_batch(empty, tmp_path / "o.csv", SETTINGS, context=context)
    with pytest.raises(InputUnreadable):
        run_batch(tmp_path / "missing.csv", tmp_path / "o.csv", SETTINGS, context=context)
    no_columns = write_csv(tmp_path / "nc.csv", [["a"]], header=["reference"])
    with pytest.raises(MappingError, match="required column"):
        run_batch(no_columns, tmp_path / "o.csv", SETTINGS, context=context)
    assert not (tmp_path / "o.csv").exists()


def test_failure_midway_leaves_no_result(tmp_path: Path, context: ScreeningContext) -> None:
    class Exploding(TinyList):
        def stamps(self) -> list[object]:  # type: ignore[override]
            raise RuntimeError("list store vanished")

    source = write_csv(tmp_path / "in.csv", [row("SO-1")])
    out = tmp_path / "out.csv"
    rows = run(tmp_path, source, ScreeningContext(context.rulebook, Exploding()))
    # A check failing on one declaration is an error row, never a clear.
    assert rows[0]["verdict"] == "" and "screening failed" in rows[0]["row_status"]
    assert not out.with_name("out.csv.partial").exists()


def test_two_workers_give_the_same_rows_in_order(tmp_path: Path) -> None:
    rows_in = [row(f"SO-{n // 3}", "854231" if n % 7 == 0 else "940360", country="RU" if n % 5 == 0 else "DE")
               for n in range(120)]
    source = write_csv(tmp_path / "in.csv", rows_in)
    single_out = tmp_path / "single.csv"
    run_batch(source, single_out, SETTINGS, BatchOptions(workers=1, chunk_rows=10))
    single = read_output(single_out)
    out = tmp_path / "pool.csv"
    run_batch(source, out, SETTINGS, BatchOptions(workers=2, chunk_rows=10))
    assert read_output(out) == single


def test_workers_that_cannot_load_rules_stop_the_run(tmp_path: Path) -> None:
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("rules: [\n")
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}") for n in range(60)])
    out = tmp_path / "out.csv"
    with pytest.raises(ContextUnavailable, match="nothing screened"):
        run_batch(source, out, Settings(rules_dir=broken), BatchOptions(workers=2, chunk_rows=10))
    assert not out.exists()
    assert not out.with_name("out.csv.partial").exists()


def test_rows_of_a_reference_apart_are_screened_as_one_declaration(tmp_path: Path, context: ScreeningContext) -> None:
    # Sorted by date, not by order: RU-1's controlled line comes after another order's rows.
    interleaved = [row("RU-1", "940360", country="RU"), row("DE-1"), row("RU-1", "854231", country="RU"),
                   row("DE-1", "847130"), row("XX-9", "12"), row("XX-9")]
    rows = run(tmp_path, write_csv(tmp_path / "in.csv", interleaved), context)
    assert [r["reference"] for r in rows] == ["RU-1", "DE-1", "RU-1", "DE-1", "XX-9", "XX-9"]
    assert [r["verdict"] for r in rows] == ["block", "clear", "block", "clear", "", ""]
    assert "set by line(s) 2" in rows[0]["findings"]
    assert "TW-RUBY-CHPL" in rows[2]["rule_ids"]
    assert "HS/CCC code '12'" in rows[4]["row_status"]  # spreadsheet row 6 is the bad one
    assert "not screened: row 6 is invalid in reference XX-9" in rows[5]["row_status"]


def test_regrouped_references_match_the_sorted_file(tmp_path: Path) -> None:
    base = [row(f"SO-{n % 7}", "854231" if n % 5 == 0 else "940360", country="RU" if n % 3 == 0 else "DE")
            for n in range(90)]
    for cells in base:
        cells[3] = cells[4] = "RU" if int(cells[0][3:]) % 3 == 0 else "DE"  # one country per reference
    interleaved = write_csv(tmp_path / "interleaved.csv", base)
    ordered = write_csv(tmp_path / "sorted.csv", sorted(base, key=lambda cells: cells[0]))
    out_a, out_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    options = BatchOptions(workers=2, chunk_rows=5, jsonl=True)
    summary = run_batch(interleaved, out_a, SETTINGS, options)
    run_batch(ordered, out_b, SETTINGS, options)
    assert summary.split_references == 7 and summary.rows == 90 and summary.shipments == 7
    verdicts_a = {(line["reference"], line["input"]["hs_code"], line["verdict"])
                  for line in map(json.loads, out_a.read_text(encoding="utf-8").splitlines())}
    verdicts_b = {(line["reference"], line["input"]["hs_code"], line["verdict"])
                  for line in map(json.loads, out_b.read_text(encoding="utf-8").splitlines())}
    assert verdicts_a == verdicts_b
    rows_a = [json.loads(line)["row"] for line in out_a.read_text(encoding="utf-8").splitlines()]
    assert rows_a == list(range(2, 92))


def test_worker_processes_apply_the_own_deny_list(tmp_path: Path, context: ScreeningContext) -> None:
    denied = DeniedParty(id=1, name="Kessler GmbH", name_key="kessler gmbh", country=None, decision_id=1)
    standing = dataclasses.replace(load_context(SETTINGS), standing=standing_of([], [denied]))
    source = write_csv(tmp_path / "in.csv", [row(f"SO-{n}", consignee="Kessler GmbH" if n == 37 else "Hansen AS")
                                             for n in range(60)])
    out = tmp_path / "out.csv"
    run_batch(source, out, SETTINGS, BatchOptions(workers=2, chunk_rows=10, retrospective=True), context=standing)
    verdicts = [r["verdict"] for r in read_output(out)]
    # Workers load rules and lists themselves; the standing decisions travel with the chunk screener.
    assert verdicts[37] == "block" and verdicts.count("block") == 1
