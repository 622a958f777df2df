"""Pure ASGI middleware (not BaseHTTPMiddleware, which breaks background tasks and context variables)."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import ApiError, RequestTooLarge, send_problem
from service.entropy import token_hex
from service.logs import client_request_id_var, key_id_var, request_id_var
from service.metrics import REQUESTS, labelled

REQUEST_ID_HEADER = "x-request-id"
CLIENT_REQUEST_ID_HEADER = "x-client-request-id"
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Give every request an id of the service's own, echoed as X-Request-ID. A client's X-Request-ID (when
    acceptable) is kept apart as the client's id (`X-Client-Request-ID` on the answer, `client_request_id`
    on the screening): taken as the service's own, a client could make a single screening look like part
    of a batch job (`batch:<job id>`) or collide with another request's id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = token_hex(16)
        given = _given_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_request_id"] = given
        token = client_request_id_var.set(given)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                if given is not None:
                    headers[CLIENT_REQUEST_ID_HEADER] = given
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client_request_id_var.reset(token)


def _given_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _ACCEPTABLE_ID.match(text) else None
    return None


class BodyTooSlow(ApiError):
    status, code, title = 408, "body_too_slow", "The request body arrived too slowly"


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413: by Content-Length up front, or while streaming; and
    bodies that arrive too slowly with 408 (`body_grace` seconds, then at least `body_min_rate` bytes a
    second on average since the start), so that slow senders cannot hold connections open for hours."""

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None,
                 body_grace: float = 10.0, body_min_rate: int = 10_000) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # File-upload paths with their own, larger limit; their bodies are streamed, never buffered here.
        self.uploads = uploads or {}
        self.body_grace = body_grace
        self.body_min_rate = body_min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._limited(scope, _timed(receive, self.body_grace, self.body_min_rate), send)
        except BodyTooSlow as exc:  # (while this middleware read the body itself; the app's reads end in its handler)
            await send_problem(scope, send, exc)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _content_length(scope)
        upload_limit = self.uploads.get(scope["path"])
        if upload_limit is not None:
            if declared is not None and declared > upload_limit:
                await self._refuse(scope, send, upload_limit)
                return
            await self.app(scope, _counting(receive, upload_limit), send)
            return
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read up to the limit first, so the refusal is a clean 413 rather
        # than a parse error half-way through the handler; then replay what was read.
        chunks = await self._read_within_limit(receive)
        if chunks is None:
            await self._refuse(scope, send)
            return
        await self.app(scope, _replay(chunks, receive), send)

    async def _read_within_limit(self, receive: Receive) -> list[Message] | None:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    def _error(self, limit: int | None = None) -> RequestTooLarge:
        return RequestTooLarge(f"The request body is larger than the limit of {limit or self.max_bytes} bytes.")

    async def _refuse(self, scope: Scope, send: Send, limit: int | None = None) -> None:
        await send_problem(scope, send, self._error(limit))


def _timed(receive: Receive, grace: float, min_rate: int) -> Receive:
    """Pass the body through, raising BodyTooSlow (a 408 problem) when the next part has not arrived by
    `grace` seconds plus the time the bytes so far may take at `min_rate` bytes a second."""
    start = time.monotonic()
    size = 0
    done = False

    async def timed_receive() -> Message:
        nonlocal size, done
        if done:  # the body is complete: what follows is the client hanging up, which may take any time
            return await receive()
        remaining = start + grace + size / min_rate - time.monotonic()
        try:
            async with asyncio.timeout(max(remaining, 0.001)):
                message = await receive()
        except TimeoutError:
            raise BodyTooSlow(f"The body arrived slower than {min_rate} bytes a second after {grace:.0f} s "
                              f"({size} bytes so far); the connection is closed.",
                              headers={"Connection": "close"}) from None
        size += len(message.get("body", b""))
        done = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return timed_receive


def _counting(receive: Receive, limit: int) -> Receive:
    """Pass the body through, raising RequestTooLarge (a 413 problem) once more than `limit` bytes arrived."""
    size = 0

    async def counting_receive() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > limit:
            raise RequestTooLarge(f"The upload is larger than the limit of {limit} bytes.")
        return message

    return counting_receive


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replaying_receive() -> Message:
        return pending.pop(0) if pending else await receive()

    return replaying_receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


access_logger = logging.getLogger("service.access")


class AccessLogMiddleware:
    """One `service.access` line per request: method, route template (never the raw URL, whose query
    may hold what should not be logged), status, duration, request id and key id; and the request's id
    and key id in the context of every other line logged while it is handled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_token = request_id_var.set(scope.get("state", {}).get("request_id"))
        key_token = key_id_var.set(None)  # (the gate sets it once the key is known)

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            state = scope.get("state", {})
            caller = state.get("caller")
            route = scope.get("route")
            elapsed = time.perf_counter() - started
            template = getattr(route, "path", None)
            labelled(REQUESTS, scope["method"], template or "(no route)", str(status)).observe(elapsed)
            access_logger.info(
                "%s %s %d", scope["method"], template or "(no route)", status,
                extra={"method": scope["method"], "route": template, "status": status,
                       "duration_ms": round(elapsed * 1000, 2),
                       "key_id": getattr(caller, "key_id", None),
                       "client_request_id": state.get("client_request_id")},
            )
            request_id_var.reset(request_token)
            key_id_var.reset(key_token)
