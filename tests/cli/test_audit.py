"""`export-screen audit export|report`: the audit trail of a period as a file, and counted."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from typer.testing import CliRunner

from service.cli import app
from service.cli import audit as audit_cli
from service.engine.declaration import TAIPEI
from service.engine.verdict import Action, Category, Finding, ListStamp, Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store.alerts import AlertCause, NewAlert, add_alerts
from service.store.database import make_engine
from service.store.decisions import DecisionKind, ReasonCode, add_decision
from service.store.party_matches import add_party_match
from service.store.screenings import add_screening

runner = CliRunner()
STAMP = stamp_of(Settings())
LISTS = [ListStamp(name="ofac-sdn", version="sha256:aa", entries=9000)]
NAME_HIT = {"list": "ofac-sdn", "entry_id": "123", "listed_name": "Denied Trading LLC",
            "matched_name": "Denied Trading LLC", "score": 100.0, "action": "block", "explanation": "exact",
            "listed_kind": "organisation", "programs": [], "listed_from": None}


def _finding(rule_id: str, action: Action, category: Category = Category.CONTROLLED_GOODS,
             **evidence: Any) -> Finding:
    return Finding(rule_id=rule_id, category=category, action=action, message="m", legal_basis="b", source="s",
                   evidence=evidence)


def _verdict(reference: str, outcome: Outcome, findings: list[Finding]) -> Verdict:
    return Verdict(reference=reference, verdict=outcome, risk_score=90 if outcome is Outcome.BLOCK else 40,
                   findings=findings, rulebook=RulebookStamp(version="sha256:rb", as_of=date(2024, 6, 1)),
                   lists=LISTS)


@pytest.fixture
def trail(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Three screenings today (a clear, a decided block, an undecided review), one in 2020, two names."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    hit = _finding("DENIED-PARTY-OFAC-SDN", Action.BLOCK, Category.DENIED_PARTY, list="ofac-sdn")
    engine = make_engine(database_url)
    ids = {}
    with Session(engine) as session:
        for reference, outcome, findings in [
            ("OLD-1", Outcome.CLEAR, []),
            ("SO-1", Outcome.CLEAR, []),
            ("SO-2", Outcome.BLOCK, [hit, _finding("RU-GOODS", Action.BLOCK)]),
            ("SO-3", Outcome.REVIEW, [_finding("TW-HUB-ROUTE", Action.REVIEW)]),
        ]:
            ids[reference] = add_screening(session, declaration={"reference": reference},
                                           verdict=_verdict(reference, outcome, findings), stamp=STAMP,
                                           caller_key_id="k", request_id=f"r-{reference}").id
        session.flush()
        add_decision(session, screening_id=ids["SO-2"], decision=DecisionKind.HOLD,
                     reason_code=ReasonCode.CONFIRMED_DENIED_PARTY, note="=cmd|' /C calc'!A0",
                     decided_by_key_id="rk", decided_by_role="reviewer", request_id="d1")
        for name, outcome, hits in [("Acme", "clear", []), ("=Denied Trading LLC", "block", [NAME_HIT])]:
            add_party_match(session, name=name, country="JP", kind="organisation", outcome=outcome, hits=hits,
                            notes=[], lists=[LISTS[0].model_dump()], stamp=STAMP, caller_key_id="k",
                            request_id="m")
        session.commit()
    with engine.begin() as connection:
        connection.execute(text("UPDATE screenings SET screened_at = :at WHERE reference = 'OLD-1'"),
                           {"at": datetime(2020, 1, 1, 12, tzinfo=TAIPEI)})
        decided_at = connection.execute(text("SELECT decided_at FROM decisions")).scalar_one()
        moment = decided_at if isinstance(decided_at, datetime) else datetime.fromisoformat(decided_at)
        connection.execute(text("UPDATE screenings SET screened_at = :at WHERE reference = 'SO-2'"),
                           {"at": moment - timedelta(hours=2)})
    engine.dispose()
    return ids


def _today() -> str:
    return datetime.now(TAIPEI).date().isoformat()


def _period() -> list[str]:
    yesterday = (datetime.now(TAIPEI) - timedelta(days=1)).date().isoformat()  # SO-2 was moved 2 h back
    return ["--from", yesterday, "--to", _today()]


def test_export_writes_one_csv_row_per_screening_of_the_period(trail: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    done = runner.invoke(app, ["audit", "export", *_period(), "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert "3 screenings" in done.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert sorted(row["reference"] for row in rows) == ["SO-1", "SO-2", "SO-3"]  # not OLD-1 (2020)
    held = next(row for row in rows if row["reference"] == "SO-2")
    assert held["rule_ids"] == "DENIED-PARTY-OFAC-SDN RU-GOODS" and held["lists"] == "ofac-sdn=sha256:aa"
    assert held["rulebook_version"] == "sha256:rb" and held["software_version"] == STAMP.software_version
    assert held["decision"] == "hold" and held["reason_code"] == "confirmed_denied_party"
    assert held["decided_by_key_id"] == "rk" and held["note"].startswith("'=cmd")  # defused for Excel


def test_export_as_json_lines_by_extension_or_option(trail: dict[str, str], tmp_path: Path) -> None:
    for name, extra in [("audit.jsonl", []), ("audit.txt", ["--format", "jsonl"])]:
        target = tmp_path / name
        done = runner.invoke(app, ["audit", "export", *_period(), "-o", str(target), *extra])
        assert done.exit_code == 0, done.output
        records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        held = next(record for record in records if record["reference"] == "SO-2")
        assert held["decisions"][0]["reason_code"] == "confirmed_denied_party"
        assert held["thresholds"]["block_threshold"] == STAMP.thresholds.block_threshold
        assert held["lists"] == [{"name": "ofac-sdn", "version": "sha256:aa", "entries": 9000}]


@pytest.mark.parametrize(("args", "says"), [
    (["-o", "audit.xlsx"], "names no export format"),
    (["-o", "audit.csv", "--format", "xml"], "names no export format"),
    (["-o", "audit.csv", "--from", "2024-02-01", "--to", "2024-01-01"], "before --from"),
])
def test_bad_options_exit_2(trail: dict[str, str], tmp_path: Path, args: list[str], says: str) -> None:
    period = [] if "--from" in args else ["--from", "2024-01-01", "--to", "2024-01-31"]
    done = runner.invoke(app, ["audit", "export", *period, *args])
    assert done.exit_code == 2 and says in done.stderr


def test_a_failure_part_way_leaves_the_previous_file(
    trail: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "audit.csv"
    target.write_text("previous export\n")
    records = audit_cli.audit_records

    def failing(*args: Any) -> Iterator[dict[str, Any]]:
        yield next(records(*args))  # one row written, then the database goes away
        raise OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(audit_cli, "audit_records", failing)
    done = runner.invoke(app, ["audit", "export", *_period(), "-o", str(target)])
    assert done.exit_code == 3 and "nothing written" in done.stderr
    assert target.read_text() == "previous export\n" and list(target.parent.iterdir()) == [target]


def test_report_counts_the_period(trail: dict[str, str]) -> None:
    done = runner.invoke(app, ["audit", "report", *_period(), "--format", "json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["screenings"] == 3 and report["by_verdict"] == {"clear": 1, "review": 1, "block": 1}
    assert report["by_rule"] == {"DENIED-PARTY-OFAC-SDN": 1, "RU-GOODS": 1, "TW-HUB-ROUTE": 1}
    assert report["by_list"] == [{"list": "ofac-sdn", "version": "sha256:aa", "screenings": 3, "party_hits": 1}]
    assert report["decisions_by_reason"] == [{"decision": "hold", "reason_code": "confirmed_denied_party",
                                              "count": 1}]
    assert report["decided"] == 1 and report["awaiting_decision"] == 1
    assert report["median_seconds_to_decision"] == pytest.approx(7200, abs=1)
    assert report["names_screened_alone"] == {"clear": 1, "review": 0, "block": 1}
    assert report["open_alerts"] == 0
    text_report = runner.invoke(app, ["audit", "report", *_period()])
    assert "Median time to decision: 2 h 00 min" in text_report.stdout
    assert "Open alerts: 0" in text_report.stdout


def test_report_counts_open_alerts(trail: dict[str, str], database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        ids = add_alerts(session, [NewAlert(cause=AlertCause.LIST_CHANGED, action="review", message="a new hit",
                                            party_name=f"Party {n}") for n in range(3)])
        session.commit()
    with engine.begin() as connection:
        connection.execute(text("UPDATE alerts SET status = 'closed' WHERE id = :id"), {"id": ids[1]})
    engine.dispose()
    done = runner.invoke(app, ["audit", "report", *_period(), "--format", "json"])
    assert json.loads(done.stdout)["open_alerts"] == 2


def test_durations_read_as_people_say_them() -> None:
    assert [audit_cli.duration(s) for s in (45, 720, 3 * 3600 + 300, 2 * 86_400 + 4 * 3600)] == [
        "45 s", "12 min", "3 h 05 min", "2 d 4 h"]


@pytest.mark.parametrize(("day", "found"), [("2024-03-02", ["LATE"]), ("2024-03-01", [])])
def test_days_are_taipei_days(trail: dict[str, str], database_url: str, tmp_path: Path, day: str,
                              found: list[str]) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:  # 17:30 UTC on 1 March is 01:30 on 2 March in Taipei
        connection.execute(text("UPDATE screenings SET reference = 'LATE', screened_at = :at WHERE reference = 'SO-1'"),
                           {"at": datetime(2024, 3, 1, 17, 30, tzinfo=UTC)})
    engine.dispose()
    target = tmp_path / "day.jsonl"
    done = runner.invoke(app, ["audit", "export", "--from", day, "--to", day, "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["reference"] for line in target.read_text().splitlines()] == found
    report = json.loads(runner.invoke(app, ["audit", "report", "--from", day, "--to", day, "--format", "json"]).stdout)
    assert report["screenings"] == len(found)


def test_names_screened_alone_export_on_their_own(trail: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "names.csv"
    done = runner.invoke(app, ["audit", "export", *_period(), "--names", "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert "2 names screened alone" in done.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [row["name"] for row in rows] == ["'=Denied Trading LLC", "Acme"]  # newest first, formula defused
    assert rows[0]["hits"] == "ofac-sdn:123 100.0 block" and rows[0]["lists"] == "ofac-sdn=sha256:aa"
    assert rows[0]["outcome"] == "block" and rows[0]["block_threshold"] == str(STAMP.thresholds.block_threshold)
    lines = runner.invoke(app, ["audit", "export", *_period(), "--names", "-o", "-", "--format", "jsonl"]).stdout
    assert json.loads(lines.splitlines()[0])["hits"] == [NAME_HIT]
