"""The audit trail store: append and read only; ids are time-ordered."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from service.engine.verdict import Action, Category, Finding, ListStamp, Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store import decisions, screenings
from service.store.database import (
    make_engine,
    new_id,
    uuid_text,
)
from service.store.decisions import DecisionKind, ReasonCode, add_decision, decisions_of, reason_fits

STAMP = stamp_of(Settings())

def _verdict(reference: str) -> Verdict:
    return Verdict(reference=reference, verdict=Outcome.REVIEW, risk_score=40, findings=[],
                   rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))


def test_ids_sort_by_creation_time() -> None:
    ids = [new_id() for _ in range(10_000)]  # many within one millisecond
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)  # version 7, RFC variant
    assert all(str(uuid.UUID(i)) == i for i in ids[:100])


@pytest.mark.parametrize("value", [0, 1, 2**128 - 1, 0x0123456789ABCDEF0123456789ABCDEF, 2**127 + 2**64 + 5])
def test_ids_are_written_as_uuids_are(value: int) -> None:
    assert uuid_text(value) == str(uuid.UUID(int=value))


def test_screenings_and_decisions_round_trip(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        row = screenings.add_screening(session, declaration={"reference": "A"}, verdict=_verdict("A"),
                                       caller_key_id="k1", request_id="r1", stamp=STAMP)
        session.flush()  # the decision's foreign key needs the screening row first
        screening_id = row.id
        add_decision(session, screening_id=screening_id, decision=DecisionKind.HOLD, reason_code=ReasonCode.OTHER,
                     note="n", decided_by_key_id="k2", decided_by_role="reviewer", request_id="r2")
        session.commit()
    with Session(engine) as session:
        stored = screenings.get_screening(session, screening_id)
        assert stored is not None and stored.result["reference"] == "A" and stored.lists == []
        assert [d.decision for d in decisions_of(session, [screening_id])[screening_id]] == ["hold"]
    engine.dispose()


def _finding() -> Finding:
    return Finding(rule_id="R-1", category=Category.TRANSSHIPMENT, action=Action.REVIEW, message="m", legal_basis="b",
                   source="s")


def test_findings_and_lists_are_stored_once_and_read_back_as_answered(database_url: str) -> None:
    verdict = _verdict("A").model_copy(update={"findings": [_finding()],
                                               "lists": [ListStamp(name="l", version="v", entries=1)]})
    answered = verdict.model_dump(mode="json")
    engine = make_engine(database_url)
    with Session(engine) as session:
        row = screenings.add_screening(session, declaration={"reference": "A"}, verdict=verdict,
                                       caller_key_id="k1", request_id="r1", stamp=STAMP)
        session.commit()
    assert row.answered == answered
    with Session(engine) as session:
        stored = screenings.get_screening(session, row.id)
        assert stored is not None and "findings" not in stored.result and "lists" not in stored.result
        assert stored.findings == answered["findings"] and stored.lists == answered["lists"]
        assert list(stored.answered_verdict().items()) == list(answered.items())
        # a row recorded while the result held them too reads the same
        stored.result = answered
        assert stored.answered_verdict() == answered
    engine.dispose()


def test_no_update_or_delete_path_exists() -> None:
    public = {name for module in (screenings, decisions) for name in vars(module) if not name.startswith("_")}
    assert not {name for name in public if name.startswith(("update", "delete", "remove", "edit"))}


@pytest.mark.parametrize(("decision", "reason", "fits"), [
    (DecisionKind.RELEASE, ReasonCode.FALSE_POSITIVE_PARTY, True),
    (DecisionKind.RELEASE, ReasonCode.CONFIRMED_DENIED_PARTY, False),
    (DecisionKind.HOLD, ReasonCode.CONFIRMED_DENIED_PARTY, True),
    (DecisionKind.HOLD, ReasonCode.PERMIT_OBTAINED, False),
    (DecisionKind.HOLD, ReasonCode.OTHER, True),
    (DecisionKind.RELEASE, ReasonCode.OTHER, True),
])
def test_reasons_fit_decisions(decision: DecisionKind, reason: ReasonCode, fits: bool) -> None:
    assert reason_fits(decision, reason) is fits


def test_a_sqlite_file_hands_out_the_connection_used_last(tmp_path: Path) -> None:
    """Its page cache is the one still valid (the audit writer read every page again otherwise)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lifo.db'}")
    first, second = engine.connect(), engine.connect()
    used_last = second.connection.dbapi_connection
    first.close()
    second.close()
    with engine.connect() as again:
        assert again.connection.dbapi_connection is used_last
    engine.dispose()
    assert type(make_engine("sqlite://").pool).__name__ == "SingletonThreadPool"  # (in memory: one connection)
