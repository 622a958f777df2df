"""Prometheus metrics at /metrics: request latency per route, screenings by verdict and findings by rule,
party-match latency, and the service's gauges (lists, webhook deliveries, batch jobs)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from service.api.app import create_app
from service.engine.rulebook import Rulebook
from service.metrics import FINDINGS, SCREENINGS, labelled
from service.settings import Settings
from tests.api.conftest import blocked_declaration, clocked_context

pytestmark = pytest.mark.asyncio


def _value(text: str, sample: str) -> float:
    """The value of one sample line (0 when absent)."""
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_a_labelled_child_is_made_once_and_is_prometheus_own() -> None:
    child = labelled(FINDINGS, "RULE-X", "review")
    assert labelled(FINDINGS, "RULE-X", "review") is child
    assert child is FINDINGS.labels(rule_id="RULE-X", action="review")  # (the names in the metric's order)


async def test_metrics_count_what_was_recorded(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    before = (await client.get("/metrics")).text
    answer = await client.post("/v1/screenings", json=blocked_declaration(), headers=as_screener)
    assert answer.status_code == 201
    rules = {finding["rule_id"] for finding in answer.json()["findings"] if finding["action"] == "block"}
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    after = scraped.text
    blocks = 'export_screen_screenings_total{verdict="block"}'
    assert _value(after, blocks) == _value(before, blocks) + 1
    rule = sorted(rules)[0]
    finding = f'export_screen_findings_total{{action="block",rule_id="{rule}"}}'
    assert _value(after, finding) == _value(before, finding) + 1
    route = 'export_screen_http_request_duration_seconds_count{method="POST",route="/v1/screenings",status="201"}'
    assert _value(after, route) >= 1
    assert "export_screen_party_match_duration_seconds_bucket" in after
    assert 'export_screen_context_loaded 1.0' in after
    assert "export_screen_batch_jobs" in after and "export_screen_webhook_deliveries" in after


async def test_metrics_can_be_switched_off(settings: Settings, rulebook: Rulebook) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"metrics_enabled": False}),
                              load=lambda _: clocked_context(rulebook))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.get("/metrics")).status_code == 404


async def test_each_party_name_is_timed() -> None:
    from service.metrics import PARTY_MATCH, TimedParties
    from tests.api.conftest import OneNameList

    def count() -> float:
        return next(sample.value for sample in PARTY_MATCH.collect()[0].samples if sample.name.endswith("_count"))

    before = count()
    screener = TimedParties(OneNameList())
    assert screener.match("Denied Trading LLC")[0].score == 100.0
    assert screener.stamps()[0].name == "test-list"  # everything else is the screener's own
    assert count() == before + 1


async def test_only_committed_screenings_are_counted(settings: Settings) -> None:
    from sqlmodel import Session

    from service.engine.verdict import Outcome, RulebookStamp, Verdict
    from service.stamps import stamp_of
    from service.store.database import make_engine
    from service.store.screenings import add_screenings, new_screening

    def reviews() -> float:
        return next((sample.value for sample in SCREENINGS.collect()[0].samples
                     if sample.name.endswith("_total") and sample.labels == {"verdict": "review"}), 0.0)

    verdict = Verdict(reference="SO-M", verdict=Outcome.REVIEW, risk_score=40, findings=[],
                      rulebook=RulebookStamp(version="sha256:x", as_of="2024-06-01"))
    engine = make_engine(settings.database_url)
    before = reviews()
    for commit in (False, True):
        with Session(engine) as session:
            add_screenings(session, [new_screening(declaration={}, verdict=verdict, stamp=stamp_of(settings),
                                                   caller_key_id="k", request_id="r")])
            session.commit() if commit else session.rollback()
    engine.dispose()
    assert reviews() == before + 1  # the rolled-back one is not counted
