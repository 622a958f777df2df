"""Prometheus metrics: what an operator graphs and alerts on.

Counted as things happen (in every API process; with several workers `serve` gives them a shared
directory, PROMETHEUS_MULTIPROC_DIR, and a scrape of any worker adds all of them up):

- `export_screen_http_request_duration_seconds{method,route,status}`: latency per route template;
- `export_screen_screenings_total{verdict}` and `export_screen_findings_total{rule_id,action}`: what was
  recorded, by outcome and by rule;
- `export_screen_party_match_duration_seconds`: one name against the denied-party index.

The gauges read from the service when scraped, and the scrape itself, are the API's
(service/api/metrics.py); this module imports no database or web framework, so batch workers can use it.
"""

from __future__ import annotations

import collections
import time
from typing import Any

from prometheus_client import Counter, Histogram

from service.engine.checks.parties import PartyHit

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

REQUESTS = Histogram("export_screen_http_request_duration_seconds", "HTTP requests by route template and status.",
                     ["method", "route", "status"], buckets=LATENCY_BUCKETS)
SCREENINGS = Counter("export_screen_screenings", "Screenings recorded, by verdict.", ["verdict"])
FINDINGS = Counter("export_screen_findings", "Findings of recorded screenings, by rule and action.",
                   ["rule_id", "action"])
PARTY_MATCH = Histogram("export_screen_party_match_duration_seconds", "One party name against the lists.",
                        buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1))


def count_screenings(rows: list[dict[str, Any]]) -> None:
    """Count recorded screenings (their audit-row values) by verdict and their findings by rule.

    Summed first, then added once per label: with several workers each addition is a locked write to a
    shared file, and a group commit's screenings mostly share their verdicts and rules."""
    verdicts = collections.Counter(row["verdict"] for row in rows)
    findings = collections.Counter((finding.get("rule_id", "?"), finding.get("action", "?"))
                                   for row in rows for finding in row.get("findings") or ())
    for verdict, count in verdicts.items():
        labelled(SCREENINGS, verdict).inc(count)
    for (rule_id, action), count in findings.items():
        labelled(FINDINGS, rule_id, action).inc(count)


_LABELLED: dict[tuple[Any, tuple[str, ...]], Any] = {}


def labelled(metric: Any, *values: str) -> Any:
    """The metric's child for these label values, in the order of its label names.

    prometheus_client's `labels` checks and sorts the names and takes a lock on every call; the children
    never change once made, so each is looked up once. (There are as many as the metric has label
    values: routes and statuses, verdicts, rules.)"""
    key = (metric, values)
    child = _LABELLED.get(key)
    if child is None:
        child = _LABELLED[key] = metric.labels(*values)
    return child


class TimedParties:
    """A party screener that times each name (every other attribute is the screener's own)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def screener(self) -> Any:
        """The screener that is timed."""
        return self._inner

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        started = time.perf_counter()
        try:
            hits: list[PartyHit] = self._inner.match(name, country)
            return hits
        finally:
            PARTY_MATCH.observe(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
