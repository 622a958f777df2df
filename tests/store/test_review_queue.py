"""The reviewers' queue: held screenings join it with their facets, a decision takes them off, and the
migration queues what was recorded before it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from service.engine.verdict import Action, Category, Finding, Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store import screenings
from service.store.database import alembic_config, make_engine, upgrade
from service.store.decisions import DecisionKind, ReasonCode, add_decision
from service.store.review_queue import Order, Position, QueueFilter, facets_of, queue_counts, queue_page

STAMP = stamp_of(Settings())
DECLARATION = {"reference": "SO-1", "destination_country": "AE", "transit_countries": ["TR"],
               "consignee": {"name": "Gulf Parts FZE", "country": "AE"},
               "exporter": {"name": "Formosa Precision", "country": "TW"}}
FINDINGS = [
    {"rule_id": "TW-HUB-ROUTE", "action": "review", "category": "transshipment", "evidence": {}},
    {"rule_id": "DENIED-PARTY-OFAC-SDN", "action": "review", "category": "denied_party",
     "evidence": {"list": "ofac-sdn", "entry_id": "1"}},
    {"rule_id": "LISTS-NOTICE", "action": "info", "category": "incomplete_data", "evidence": {}},
]
HUB = Finding(rule_id="TW-HUB-ROUTE", category=Category.TRANSSHIPMENT, action=Action.REVIEW, message="via a hub",
              legal_basis="b", source="s")


def _verdict(reference: str, outcome: Outcome) -> Verdict:
    return Verdict(reference=reference, verdict=outcome, risk_score=40 if outcome is Outcome.REVIEW else 0,
                   findings=[], rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))


def test_facets_are_the_holding_rules_the_hit_lists_and_the_route_and_party_countries() -> None:
    facets = facets_of({"verdict": "review", "findings": FINDINGS, "declaration": DECLARATION})
    assert facets == {("rule", "TW-HUB-ROUTE"), ("rule", "DENIED-PARTY-OFAC-SDN"), ("list", "ofac-sdn"),
                      ("country", "AE"), ("country", "TR")}  # not the info rule, not the exporter's TW
    assert facets_of({"verdict": "clear", "findings": FINDINGS, "declaration": DECLARATION}) == set()


def test_held_screenings_wait_until_their_first_decision(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        held = screenings.add_screening(session, declaration=DECLARATION, verdict=_verdict("SO-1", Outcome.REVIEW),
                                        caller_key_id="k", request_id="r", stamp=STAMP)
        screenings.add_screening(session, declaration=DECLARATION, verdict=_verdict("SO-2", Outcome.CLEAR),
                                 caller_key_id="k", request_id="r", stamp=STAMP)
        session.commit()
        assert [row.reference for row in queue_page(session, QueueFilter(), Order.RISK, 10, None)] == ["SO-1"]
        assert [row.reference for row in queue_page(session, QueueFilter(country="TR"), Order.NEWEST, 10,
                                                    None)] == ["SO-1"]
        assert queue_counts(session).review == 1
        add_decision(session, screening_id=held.id, decision=DecisionKind.HOLD, reason_code=ReasonCode.OTHER,
                     note="n", decided_by_key_id="k", decided_by_role="reviewer", request_id="r")
        session.commit()
        assert queue_page(session, QueueFilter(), Order.RISK, 10, None) == []
        assert queue_page(session, QueueFilter(country="TR"), Order.RISK, 10, None) == []
        assert queue_counts(session).review == 0
    engine.dispose()


def _screening(screening_id: str, reference: str, verdict: str) -> dict[str, Any]:
    return {"id": screening_id, "screened_at": "2026-11-01 10:00:00", "reference": reference, "verdict": verdict,
            "risk_score": 40, "rulebook_version": "v", "as_of": "2026-11-01", "lists": "[]",
            "declaration": json.dumps(DECLARATION), "findings": json.dumps(FINDINGS), "result": "{}",
            "caller_key_id": "k", "request_id": "r"}


def test_the_migration_queues_the_undecided_held_screenings_recorded_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0013")
    engine = make_engine(url)
    ids = {"SO-1": "01900000-0000-7000-8000-000000000001", "SO-2": "01900000-0000-7000-8000-000000000002",
           "SO-3": "01900000-0000-7000-8000-000000000003"}
    with engine.begin() as connection:
        for (reference, screening_id), verdict in zip(ids.items(), ("review", "block", "clear"), strict=True):
            values = _screening(screening_id, reference, verdict)
            connection.execute(text(f"INSERT INTO screenings ({', '.join(values)}) "
                                    f"VALUES ({', '.join(':' + name for name in values)})"), values)
        connection.execute(text(
            "INSERT INTO decisions (screening_id, decision, reason_code, note, decided_at, decided_by_key_id, "
            "decided_by_role, request_id) VALUES (:id, 'hold', 'other', 'n', '2026-11-02 10:00:00', 'k', "
            "'reviewer', 'r')"), {"id": ids["SO-2"]})
    upgrade(engine)
    with Session(engine) as session:
        assert [row.reference for row in queue_page(session, QueueFilter(), Order.RISK, 10, None)] == ["SO-1"]
        assert [row.reference for row in queue_page(session, QueueFilter(list_name="ofac-sdn", reference="so-"),
                                                    Order.RISK, 10, None)] == ["SO-1"]
    engine.dispose()


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("where", [QueueFilter(), QueueFilter(country="TR"),
                                   QueueFilter(country="TR", rule="TW-HUB-ROUTE", verdict="review")])
def test_pages_of_a_filter_follow_each_other_in_order(database_url: str, order: Order, where: QueueFilter) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        for number in range(7):
            verdict = _verdict(f"SO-{number}", Outcome.REVIEW).model_copy(
                update={"risk_score": 40 + number % 3 * 5, "findings": [HUB]})
            screenings.add_screening(session, declaration=DECLARATION, verdict=verdict, caller_key_id="k",
                                     request_id="r", stamp=STAMP)
        session.commit()
        whole = queue_page(session, where, order, 100, None)
        walked, after = [], None
        while True:
            page = queue_page(session, where, order, 3, after)
            walked.extend(page)
            if len(page) < 3:
                break
            after = Position(page[-1].risk_score, page[-1].id)
    engine.dispose()
    assert [row.id for row in walked] == [row.id for row in whole] and len(whole) == 7
    key = (lambda row: (row.risk_score, row.id)) if order is Order.RISK else (lambda row: row.id)
    assert [key(row) for row in whole] == sorted((key(row) for row in whole), reverse=True)


@pytest.mark.parametrize("where", [QueueFilter(country="TR"), QueueFilter(country="TR", rule="TW-HUB-ROUTE")])
def test_newest_first_within_a_filter_merges_every_risk_score(database_url: str, where: QueueFilter) -> None:
    # the facets are kept riskiest first: newest first reads each score's rows, the lowest and highest too
    engine = make_engine(database_url)
    scores = [0, 100, 55, 0, 73, 100, 1, 99, 55, 12, 100, 0, 64]
    with Session(engine) as session:
        for number, score in enumerate(scores):
            verdict = _verdict(f"SO-{number}", Outcome.REVIEW).model_copy(
                update={"risk_score": score, "findings": [HUB]})
            screenings.add_screening(session, declaration=DECLARATION, verdict=verdict, caller_key_id="k",
                                     request_id="r", stamp=STAMP)
        session.commit()
        walked, after = [], None
        while True:
            page = queue_page(session, where, Order.NEWEST, 4, after)
            walked.extend(page)
            if len(page) < 4:
                break
            after = Position(page[-1].risk_score, page[-1].id)
        assert queue_page(session, QueueFilter(country="BR"), Order.NEWEST, 4, None) == []
    engine.dispose()
    assert [row.reference for row in walked] == [f"SO-{number}" for number in reversed(range(len(scores)))]
    assert [row.risk_score for row in walked] == list(reversed(scores))
