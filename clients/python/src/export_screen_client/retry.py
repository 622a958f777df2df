"""When to try a request again, and how long to wait first.

Every POST of this client carries an Idempotency-Key, the same on every attempt, so trying again after a
timeout, a 503 or a 429 can never screen or decide twice: the service answers a repeated key with the
stored answer. The wait honours the service's `Retry-After`; without one it is exponential backoff with
full jitter, so many ERP processes that failed together do not come back together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try again and how long to wait; `attempts=0` never retries."""

    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry (its upper bound, with jitter)
    max_wait: float = 30.0
    random: random.Random = field(default_factory=random.Random, compare=False)

    def should_retry(self, attempt: int, response: httpx.Response | None) -> bool:
        """After try number `attempt` (0-based) ended with `response` (None: a transport error)."""
        return attempt < self.attempts and (response is None or response.status_code in RETRY_STATUSES)

    def wait(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds to wait before the next try."""
        asked = retry_after(response) if response is not None else None
        if asked is not None:
            return min(asked, self.max_wait)
        return self.random.uniform(0, min(self.max_wait, self.backoff * 2**attempt))


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())
