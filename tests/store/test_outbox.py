"""The webhook outbox: an event is written with the change that causes it, and only if that change commits."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from service.engine.verdict import Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store.batches import add_job, claim_job, fail_stale_jobs, mark_complete, mark_failed, mark_running
from service.store.database import make_engine, now
from service.store.decisions import DecisionKind, ReasonCode, add_decision
from service.store.outbox import WebhookEvent
from service.store.screenings import add_screening

STAMP = stamp_of(Settings())

def _verdict(reference: str, outcome: Outcome) -> Verdict:
    return Verdict(reference=reference, verdict=outcome, risk_score=90 if outcome == Outcome.BLOCK else 0,
                   findings=[], rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))


def _events(session: Session) -> list[WebhookEvent]:
    return list(session.exec(select(WebhookEvent).order_by(WebhookEvent.id)).all())  # type: ignore[arg-type]


def test_held_screenings_make_events_clear_ones_do_not(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        for reference, outcome in (("A", Outcome.CLEAR), ("B", Outcome.REVIEW), ("C", Outcome.BLOCK)):
            add_screening(session, declaration={}, verdict=_verdict(reference, outcome), caller_key_id="k",
                          request_id="r", stamp=STAMP)
        session.commit()
        events = _events(session)
    engine.dispose()
    assert [(e.type, e.data["reference"]) for e in events] == [("screening.review", "B"), ("screening.block", "C")]
    data = events[1].data
    assert data["verdict"] == "block" and data["risk_score"] == 90
    assert data["url"] == f"/v1/screenings/{data['screening_id']}"


def test_a_rolled_back_screening_leaves_no_event(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        add_screening(session, declaration={}, verdict=_verdict("B", Outcome.BLOCK), caller_key_id="k", request_id="r",
                      stamp=STAMP)
        session.rollback()
        assert _events(session) == []
    engine.dispose()


def test_a_decision_makes_one_event(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        screening = add_screening(session, declaration={}, verdict=_verdict("B", Outcome.REVIEW), caller_key_id="k",
                                  request_id="r", stamp=STAMP)
        session.commit()
        decision = add_decision(session, screening_id=screening.id, decision=DecisionKind.RELEASE,
                                reason_code=ReasonCode.FALSE_POSITIVE_PARTY, note="n", decided_by_key_id="k2",
                                decided_by_role="reviewer", request_id="r2")
        decision_id = decision.id
        session.commit()
        event = _events(session)[-1]
    engine.dispose()
    assert event.type == "decision.created"
    assert event.data["decision_id"] == decision_id and event.data["screening_id"] == screening.id
    assert (event.data["decision"], event.data["reason_code"], event.data["reference"]) == (
        "release", "false_positive_party", "B")


def test_batch_events_only_on_the_transition_to_a_final_state(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        done = add_job(session, filename="a.csv", options={}, caller_key_id="k", request_id="r")
        stale = add_job(session, filename="b.csv", options={}, caller_key_id="k", request_id="r")
        stale.lease_holder, stale.lease_expires_at = "gone", now() - timedelta(minutes=5)
        session.commit()
        done_id, stale_id = done.id, stale.id
        assert claim_job(session, "a") is not None
        assert mark_running(session, done_id, "a")
        assert mark_complete(session, done_id, 3, {"rows": 3}, "a")
        assert not mark_failed(session, done_id, "too late")  # no change, no event
        assert fail_stale_jobs(session) == 1
        assert fail_stale_jobs(session) == 0
        events = [(e.type, e.data["batch_id"]) for e in _events(session)]
        completed = _events(session)[0].data
    engine.dispose()
    assert events == [("batch.completed", done_id), ("batch.failed", stale_id)]
    assert completed["rows"] == 3 and completed["result_url"] == f"/v1/batches/{done_id}/result"
