"""Prometheus metrics: what an operator graphs and alerts on.

Counted as things happen (in every API process; with several workers `serve` gives them a shared
directory, PROMETHEUS_MULTIPROC_DIR, and a scrape of any worker adds all of them up):

- `export_screen_http_request_duration_seconds{method,route,status}`: latency per route template;
- `export_screen_screenings_total{verdict}` and `export_screen_findings_total{rule_id,action}`: what was
  recorded, by outcome and by rule;
- `export_screen_party_match_duration_seconds`: one name against the denied-party index.

Read from the service when scraped: the loaded lists' entries and ages, the rulebook's age, webhook
deliveries waiting and failed, batch jobs by state, open alerts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.engine.checks.parties import PartyHit

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

REQUESTS = Histogram("export_screen_http_request_duration_seconds", "HTTP requests by route template and status.",
                     ["method", "route", "status"], buckets=LATENCY_BUCKETS)
SCREENINGS = Counter("export_screen_screenings", "Screenings recorded, by verdict.", ["verdict"])
FINDINGS = Counter("export_screen_findings", "Findings of recorded screenings, by rule and action.",
                   ["rule_id", "action"])
PARTY_MATCH = Histogram("export_screen_party_match_duration_seconds", "One party name against the lists.",
                        buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1))


def count_screenings(rows: list[dict[str, Any]]) -> None:
    """Count recorded screenings (their audit-row values) by verdict and their findings by rule."""
    for row in rows:
        SCREENINGS.labels(verdict=row["verdict"]).inc()
        for finding in row.get("findings") or ():
            FINDINGS.labels(rule_id=finding.get("rule_id", "?"), action=finding.get("action", "?")).inc()


class TimedParties:
    """A party screener that times each name (every other attribute is the screener's own)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        started = time.perf_counter()
        try:
            hits: list[PartyHit] = self._inner.match(name, country)
            return hits
        finally:
            PARTY_MATCH.observe(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class ServiceCollector(Collector):
    """Gauges read from the running service when scraped: lists, rulebook, webhooks, batch jobs, alerts."""

    def __init__(self, engine: Engine, context: Callable[[], Any]) -> None:
        self.engine = engine
        self.context = context

    def collect(self) -> Iterator[Metric]:
        yield from self._lists()
        yield from self._tables()

    def _lists(self) -> Iterator[Metric]:
        context = self.context()
        entries = GaugeMetricFamily("export_screen_list_entries", "Entries of each loaded list.", labels=["list"])
        ages = GaugeMetricFamily("export_screen_list_age_seconds", "Age of each stored list snapshot.", labels=["list"])
        loaded = GaugeMetricFamily("export_screen_context_loaded", "1 when rules and lists are loaded, else 0.")
        loaded.add_metric([], 0 if context is None else 1)
        now = datetime.now(UTC)
        for entry in (getattr(context, "lists", None) or ()) if context is not None else ():
            entries.add_metric([entry.name], entry.entries)
            age = entry.age(now)
            if age is not None:
                ages.add_metric([entry.name], age.total_seconds())
        yield from (loaded, entries, ages)

    def _tables(self) -> Iterator[Metric]:
        counts = {
            "export_screen_webhook_deliveries": ("Webhook deliveries by status.",
                                                 "SELECT status, count(*) FROM webhook_deliveries GROUP BY status"),
            "export_screen_batch_jobs": ("Batch jobs by status.",
                                         "SELECT status, count(*) FROM batch_jobs GROUP BY status"),
            "export_screen_alerts": ("Alerts by status.", "SELECT status, count(*) FROM alerts GROUP BY status"),
        }
        for name, (description, query) in counts.items():
            family = GaugeMetricFamily(name, description, labels=["status"])
            try:
                with self.engine.connect() as connection:
                    for status, count in connection.execute(text(query)):
                        family.add_metric([str(status)], int(count))
            except SQLAlchemyError:
                continue  # (a table this version does not have, or the database is down: /readyz says so)
            yield family


def registry_for_scrape(service: ServiceCollector) -> CollectorRegistry:
    """What one scrape reads: every process's counters (multiprocess mode) or this one's, and the gauges."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        for metric in (REQUESTS, SCREENINGS, FINDINGS, PARTY_MATCH):
            registry.register(metric)
    registry.register(service)
    return registry


def exposition(service: ServiceCollector) -> bytes:
    """The Prometheus text exposition of one scrape."""
    return generate_latest(registry_for_scrape(service))
