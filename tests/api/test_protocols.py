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

from service.api.protocols import OPEN_CONNECTIONS, HeadHoldingTransport, ProblemH11Protocol, http_protocol
from service.api.protocols_httptools import ProblemHttpToolsProtocol


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")]})
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


class _Recorder(asyncio.Transport):
    """A transport that keeps what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted


HEAD = b"HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\n"


async def _held(*writes: bytes) -> tuple[HeadHoldingTransport, _Recorder]:
    recorder = _Recorder()
    transport = HeadHoldingTransport(recorder, asyncio.get_running_loop())
    for data in writes:
        transport.write(data)
    return transport, recorder


def test_an_answers_head_leaves_with_its_body_in_one_write() -> None:
    async def scenario() -> list[bytes]:
        _transport, recorder = await _held(HEAD, memoryview(b"body"))
        await asyncio.sleep(0)
        return recorder.writes

    assert asyncio.run(scenario()) == [HEAD + b"body"]


def test_a_head_without_a_body_leaves_at_the_end_of_the_loops_turn() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes]]:
        _transport, recorder = await _held(b"HTTP/1.1 100 Continue\r\n\r\n")
        before = list(recorder.writes)
        await asyncio.sleep(0)
        return before, recorder.writes

    assert asyncio.run(scenario()) == ([], [b"HTTP/1.1 100 Continue\r\n\r\n"])


def test_other_writes_leave_at_once_and_in_order() -> None:
    async def scenario() -> list[bytes]:
        transport, recorder = await _held(b"chunk one", HEAD)
        transport.writelines([b"a", b"b"])
        transport.write(b"HTTP/ looks like a head\r\n\r\n")
        transport.close()  # (what is held leaves before the connection closes)
        assert recorder.closed
        await asyncio.sleep(0)
        return recorder.writes

    assert asyncio.run(scenario()) == [b"chunk one", HEAD + b"ab", b"HTTP/ looks like a head\r\n\r\n"]


def test_an_aborted_connection_sends_nothing_held() -> None:
    async def scenario() -> list[bytes]:
        transport, recorder = await _held(HEAD)
        transport.abort()
        await asyncio.sleep(0)
        return recorder.writes

    assert asyncio.run(scenario()) == []


def test_both_protocols_send_the_head_with_the_body(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        for _request in range(20):
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = connection.recv(65536)  # waiting already: written apart, the head would come alone
            assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\nhello")
