"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from export_screen_client import _calls
from export_screen_client.errors import ApiProblem
from export_screen_client.models import (
    BatchItem,
    BatchJob,
    Decision,
    Delivery,
    NameMatch,
    NewWebhook,
    Readiness,
    Screening,
    ScreeningRecord,
    ScreeningSummary,
    Webhook,
)
from export_screen_client.retry import RetryPolicy

T = TypeVar("T")


class Client:
    """Talks to one export-screen service with one API key.

    Every POST carries an Idempotency-Key (generated unless given), kept across retries, so a retry after
    a timeout, a 429 or a 503 never screens or decides twice. `http` replaces the connection (a configured
    `httpx.Client`, or a test client of the app); `sleep` replaces the waits between retries.
    """

    def __init__(
        self, base_url: str, api_key: str, *, timeout: float = 30.0, retry: RetryPolicy | None = None,
        http: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._auth = {"Authorization": f"Bearer {api_key}", "User-Agent": _calls.USER_AGENT}

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # screening and the audit trail

    def screen(self, declaration: dict[str, Any] | BaseModel, *, idempotency_key: str | None = None,
               retrospective: bool = False) -> Screening:
        """Screen one declaration and record it; the verdict, its findings and the record's id."""
        return self._run(_calls.screen(declaration, idempotency_key, retrospective))

    def screen_many(self, declarations: list[dict[str, Any] | BaseModel], *,
                    idempotency_key: str | None = None) -> list[BatchItem]:
        """Screen up to the service's batch size in one request; one item per declaration, in order."""
        return self._run(_calls.screen_many(declarations, idempotency_key))

    def match_name(self, name: str, *, country: str | None = None, kind: str | None = None,
                   idempotency_key: str | None = None) -> NameMatch:
        """Check a party name alone (onboarding a customer): hits, list versions and an outcome, recorded."""
        return self._run(_calls.match_name(name, country, kind, idempotency_key))

    def screening(self, screening_id: str) -> ScreeningRecord:
        """The stored record of one screening, with its decisions."""
        return self._run(_calls.screening(screening_id))

    def screenings(self, *, verdict: str | None = None, decision: str | None = None, reference: str | None = None,
                   since: datetime | str | None = None, until: datetime | str | None = None,
                   page_size: int = 100) -> Iterator[ScreeningSummary]:
        """Every screening matching the filters, newest first, fetched a page at a time."""
        filters = {"verdict": verdict, "decision": decision, "reference": reference, "since": since, "until": until}
        cursor: str | None = None
        while True:
            items, cursor = self._run(_calls.screenings_page(filters, page_size, cursor))
            yield from items
            if not cursor:
                return

    def decide(self, screening_id: str, decision: str, reason_code: str, note: str, *,
               idempotency_key: str | None = None) -> Decision:
        """Release or hold a screened shipment (reviewer; releasing a block needs an admin key)."""
        return self._run(_calls.decide(screening_id, decision, reason_code, note, idempotency_key))

    def decisions(self, screening_id: str) -> list[Decision]:
        """A screening's decision history, oldest first."""
        return self._run(_calls.decisions(screening_id))

    # batch jobs

    def submit_batch(self, path: str | Path, *, jsonl: bool = False, encoding: str | None = None,
                     mapping: str | Path | None = None, retrospective: bool = False,
                     on_upload: _calls.Progress | None = None, idempotency_key: str | None = None) -> BatchJob:
        """Upload a CSV export as a batch job (202); `on_upload(sent, total)` reports the upload's bytes."""
        return self._run(_calls.submit_batch(Path(path), jsonl=jsonl, encoding=encoding,
                                             mapping=Path(mapping) if mapping else None, retrospective=retrospective,
                                             on_upload=on_upload, idempotency_key=idempotency_key))

    def batch(self, job_id: str) -> BatchJob:
        """A batch job's status and progress."""
        return self._run(_calls.batch(job_id))

    def batches(self, *, status: str | None = None, page_size: int = 50) -> Iterator[BatchJob]:
        """Batch jobs, newest first (a screener key sees its own), fetched a page at a time."""
        cursor: str | None = None
        while True:
            items, cursor = self._run(_calls.batches_page(status, page_size, cursor))
            yield from items
            if not cursor:
                return

    def wait_for_batch(self, job_id: str, *, poll: float = 2.0, timeout: float | None = None,
                       on_progress: Callable[[BatchJob], None] | None = None) -> BatchJob:
        """Poll until the job is complete or failed (`on_progress(job)` after each look); raises
        TimeoutError after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.batch(job_id)
            if on_progress is not None:
                on_progress(job)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"batch job {job_id} is still {job.status} after {timeout} s")
            self._sleep(poll)

    def download_batch_result(self, job_id: str, destination: str | Path) -> Path:
        """Stream a complete job's result file to `destination` (written whole or not at all)."""
        target = Path(destination)
        partial = target.with_name(target.name + ".part")
        with self._http.stream("GET", f"/v1/batches/{job_id}/result", headers=self._auth) as response:
            if not response.is_success:
                response.read()
                raise ApiProblem.from_response(response)
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
        partial.replace(target)
        return target

    # the service and its webhooks (admin)

    def ready(self) -> Readiness:
        """/readyz: rules, lists and database in place (ApiProblem 503 otherwise)."""
        return self._run(_calls.ready())

    def create_webhook(self, url: str, events: list[str], *, description: str | None = None,
                       idempotency_key: str | None = None) -> NewWebhook:
        """Subscribe a receiver; the answer holds the signing secret, shown only this once."""
        return self._run(_calls.create_webhook(url, events, description, idempotency_key))

    def webhooks(self) -> list[Webhook]:
        """Every subscription (never with its secret)."""
        return self._run(_calls.webhooks())

    def rotate_webhook_secret(self, webhook_id: str, *, keep_previous_seconds: int = 86_400) -> NewWebhook:
        """A new signing secret (shown once); the old one signs beside it for `keep_previous_seconds`."""
        return self._run(_calls.rotate_webhook_secret(webhook_id, keep_previous_seconds))

    def disable_webhook(self, webhook_id: str) -> Webhook:
        """Stop sending to a subscription."""
        return self._run(_calls.disable_webhook(webhook_id))

    def deliveries(self, webhook_id: str, *, status: str | None = None, limit: int = 50) -> list[Delivery]:
        """A subscription's recent deliveries, newest first."""
        return self._run(_calls.deliveries(webhook_id, status, limit))

    def _run(self, call: _calls.Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, **call.request_arguments(self._auth))
            except httpx.TransportError:
                if not self.retry.should_retry(attempt, None):
                    raise
                self._sleep(self.retry.wait(attempt, None))
            else:
                if response.is_success:
                    return call.read(response)
                if not self.retry.should_retry(attempt, response):
                    raise ApiProblem.from_response(response)
                self._sleep(self.retry.wait(attempt, response))
            attempt += 1
