"""A request uvicorn cannot parse gets problem+json (400 malformed_request), not uvicorn's plain text:
both protocol classes, through a real server on a loopback port."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from service.api.protocols import OPEN_CONNECTIONS, ProblemH11Protocol, http_protocol
from service.api.protocols_httptools import ProblemHttpToolsProtocol


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture(params=[ProblemH11Protocol, ProblemHttpToolsProtocol], ids=["h11", "httptools"])
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(_hello, host="127.0.0.1", port=free, http=request.param, log_level="error",
                                           lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield free
    server.should_exit = True
    thread.join(10)


def _exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"hello" in answer:
                break
        return answer


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n",  # a control character in a header value
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",  # a space in a header name
    b"NOT A REQUEST LINE\r\n\r\n",
])
def test_an_unparsable_request_gets_a_problem(port: int, raw: bytes, request: pytest.FixtureRequest) -> None:
    if b"\x01" in raw and "h11" in request.node.callspec.id:
        pytest.skip("h11 lets a control character in a header value through to the app")
    head, _, body = _exchange(port, raw).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (400, "malformed_request")
    assert problem["detail"].startswith("The request could not be read as HTTP")


def test_a_good_request_is_served_as_usual(port: int) -> None:
    answer = _exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and b"hello" in answer


def test_serve_uses_the_httptools_protocol_when_installed() -> None:
    assert http_protocol() is ProblemHttpToolsProtocol


def test_both_protocols_show_the_connections_open_in_the_process(port: int) -> None:
    # (the audit writer commits a group at once when every open connection has its answer in it)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as first, \
            socket.create_connection(("127.0.0.1", port), timeout=5) as second:
        for connection in (first, second):
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b"hello" not in answer and (chunk := connection.recv(65536)):
                answer += chunk
        assert OPEN_CONNECTIONS.count() == 2
    deadline = time.monotonic() + 5
    while OPEN_CONNECTIONS.count() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert OPEN_CONNECTIONS.count() is None  # (none open: not known, rather than a stopped server's 0)
