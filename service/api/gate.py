"""The gate in front of the API: who is calling, decided from the headers before any body is read.

FastAPI reads and parses a request's body (a whole multipart upload included) before it runs the
dependencies that check the key, so without this an unauthenticated client could make the service receive
and store a 2 GB upload only to be told 401 at the end. Here, for every `/v1/` path:

- a key in the query string (`?api_key=esk_...`) is refused with 400 `key_in_query`: URLs end up in access
  logs, proxies and browser histories; keys go in `Authorization: Bearer` or `X-API-Key`;
- no key, or an unknown or revoked one, is 401 at once, and the body is never read;
- the verified caller is handed on in the request scope, so the route's dependency does not look it up
  again;
- with `EXPORT_SCREEN_RATE_LIMIT_PER_MINUTE` set, each key gets that many requests a minute per API
  process (a token bucket that refills continuously); one more is 429 `rate_limited` with `Retry-After`
  and the `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import ApiError, Unauthorized, send_problem
from service.logs import key_id_var
from service.store.keys import Caller, hash_secret

# query parameter names that hold credentials in other APIs; a value shaped like this service's keys too
SECRET_PARAMETERS = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "secret"})
KEY_PREFIX = "esk_"
CHALLENGE = {"WWW-Authenticate": "Bearer"}
CallerLookup = Callable[[str], Caller | None]  # (secret) -> the caller, or None when unknown


class KeyInQuery(ApiError):
    status, code, title = 400, "key_in_query", "API keys are not accepted in the URL"


class RateLimited(ApiError):
    status, code, title = 429, "rate_limited", "Too many requests for this API key"


def secret_in_query(query_string: bytes) -> str | None:
    """The name of a query parameter that carries a credential, if any."""
    if not query_string:
        return None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name.lower() in SECRET_PARAMETERS or value.startswith(KEY_PREFIX):
            return name
    return None


def key_of(scope: Scope) -> str | None:
    """The API key in the `Authorization: Bearer` or `X-API-Key` header."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
        elif name == b"x-api-key" and value.strip():
            return value.decode("latin-1").strip()
    return None


class TokenBuckets:
    """Requests per minute per key, refilled continuously (thread-safe: one lock, a dict of buckets)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key_id: str) -> tuple[bool, int, float]:
        """(allowed, tokens left, seconds until one more token) for one request of this key."""
        with self._lock:
            moment = self.clock()
            tokens, when = self._buckets.get(key_id, (self.capacity, moment))
            tokens = min(self.capacity, tokens + (moment - when) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key_id] = (tokens, moment)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
        return allowed, int(tokens), wait


class GateMiddleware:
    """Authenticates `/v1/` requests from their headers before the body is read (see the module)."""

    def __init__(self, app: ASGIApp, lookup: Callable[[], CallerLookup | None], rate_limit_per_minute: int = 0,
                 cached: Callable[[], Callable[[str], Caller | None] | None] | None = None,
                 remember: Callable[[], Callable[[str, Caller], None] | None] | None = None) -> None:
        self.app = app
        self.lookup = lookup  # (asked per request: the service state exists only once the lifespan ran)
        self.cached = cached
        self.remember = remember
        self.buckets = TokenBuckets(rate_limit_per_minute) if rate_limit_per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        parameter = secret_in_query(scope.get("query_string", b""))
        if parameter is not None:
            await send_problem(scope, send, KeyInQuery(
                f"The query parameter {parameter!r} looks like a credential; URLs end up in logs. Send the API key "
                "as `Authorization: Bearer <key>` or `X-API-Key: <key>`, and revoke a key that was sent in a URL."))
            return
        caller = await self._caller(scope)
        if isinstance(caller, ApiError):
            await send_problem(scope, send, caller)
            return
        scope.setdefault("state", {})["caller"] = caller
        key_id_var.set(caller.key_id)  # (for every line logged while this request is handled)
        if self.buckets is None:
            await self.app(scope, receive, send)
            return
        allowed, left, wait = self.buckets.take(caller.key_id)
        limits = {"RateLimit-Limit": str(int(self.buckets.capacity)), "RateLimit-Remaining": str(left),
                  "RateLimit-Reset": str(math.ceil(wait))}
        if not allowed:
            await send_problem(scope, send, RateLimited(
                f"This key may send {int(self.buckets.capacity)} requests a minute; try again in "
                f"{math.ceil(wait)} s.", headers={**limits, "Retry-After": str(max(1, math.ceil(wait)))}))
            return
        await self.app(scope, receive, _with_headers(send, limits))

    async def _caller(self, scope: Scope) -> Caller | ApiError:
        secret = key_of(scope)
        if secret is None:
            return Unauthorized("Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
                                headers=CHALLENGE)
        key_hash = hash_secret(secret)
        cached = self.cached() if self.cached is not None else None
        caller = cached(key_hash) if cached is not None else None
        if caller is None:
            lookup = self.lookup()
            if lookup is None:  # the service is not started: let the app answer (503)
                return Unauthorized("The service is starting; try again.", headers=CHALLENGE)
            caller = await run_in_threadpool(lookup, secret)
            if caller is None:
                return Unauthorized("The API key is not known.", headers=CHALLENGE)
            remember = self.remember() if self.remember is not None else None
            if remember is not None:
                remember(key_hash, caller)
        return caller


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    encoded = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *encoded]
        await send(message)

    return sending


class SecretQueryFilter(logging.Filter):
    """Redacts credential-like query values in uvicorn's access log lines. A key sent in a URL is refused,
    but the refused request is still logged: without this, its key would be written to the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        arguments = record.args
        if isinstance(arguments, tuple) and len(arguments) >= 3 and "?" in str(arguments[2]):
            record.args = (*arguments[:2], redacted_path(str(arguments[2])), *arguments[3:])
        return True


def redacted_path(full_path: str) -> str:
    """`/v1/x?api_key=esk_...&limit=5` -> `/v1/x?api_key=[redacted]&limit=5`."""
    path, _, query = full_path.partition("?")
    parts = []
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        secret = name.lower() in SECRET_PARAMETERS or value.startswith(KEY_PREFIX) or KEY_PREFIX in item
        parts.append(f"{name}{equals}[redacted]" if secret and equals else ("[redacted]" if secret else item))
    return f"{path}?{'&'.join(parts)}"


def redact_access_log() -> None:
    """Put the filter on uvicorn's access logger (once per process)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, SecretQueryFilter) for existing in access.filters):
        access.addFilter(SecretQueryFilter())
