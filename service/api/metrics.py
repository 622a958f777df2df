"""The /metrics scrape: the counters of service/metrics.py (from every worker process in multiprocess
mode) and gauges read from the running service: the loaded lists' entries and ages, webhook deliveries,
batch jobs and alerts by state."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.metrics import FINDINGS, MULTIPROCESS_DIR, PARTY_MATCH, REQUESTS, SCREENINGS

CONTENT_TYPE = CONTENT_TYPE_LATEST


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
