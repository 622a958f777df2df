"""uvicorn's HTTP protocols, answering a request they cannot parse with problem+json like every other error,
and sending each answer's head and body in one write.

A request whose head breaks HTTP (a control character in a header, a malformed request line) never reaches
the app: uvicorn answers it itself with a plain-text 400. Clients of this API switch on the problem
`code`, so these protocol classes answer such a request with the same problem+json body (`400
malformed_request`) and close the connection, as uvicorn does.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterable, Sized
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from service.api.errors import PROBLEM_MEDIA_TYPE, MalformedRequest, problem_body

_STATUS_LINE = b"HTTP/1.1 400 Bad Request\r\n"


def unreadable_request_answer(reason: str) -> bytes:
    """The whole answer to a request that could not be parsed: status line, headers and problem body."""
    readable = reason.encode("ascii", "replace").decode("ascii")
    body = problem_body(MalformedRequest(f"The request could not be read as HTTP: {readable}."), "", "-")
    head = (f"content-type: {PROBLEM_MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return _STATUS_LINE + head.encode("ascii") + body


class OpenConnections:
    """How many HTTP connections this process has open: uvicorn's own set of them, which the first
    connection shows (None until then, and for in-process clients, which open none). The audit writer
    commits a group at once when every open connection has its answer in it."""

    def __init__(self) -> None:
        self._open: Sized | None = None

    def saw(self, connections: Sized) -> None:
        """The server's set of open connections (the same set for every connection of a process)."""
        self._open = connections

    def count(self) -> int | None:
        """The number open now, None if none is (read from any thread: a set's length is read atomically).
        (None rather than 0: the set may be a stopped server's, and an answer gathered with no connection
        open is one whose client left, which changes nothing.)"""
        return len(self._open) or None if self._open is not None else None


OPEN_CONNECTIONS = OpenConnections()


class HeadHoldingTransport(asyncio.Transport):
    """A connection's transport that sends an answer's head together with the body that follows it.

    uvicorn writes the status line and headers, then the body: two system calls, and (with TCP_NODELAY, which
    uvicorn sets) two packets the client wakes up for. The head is held until the next write, or the end of
    this turn of the event loop if none comes (a streamed body, a 100 Continue), and leaves with the body.
    A write that only looks like a head is held the same way and never reordered.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head + data)
        elif data[:5] == b"HTTP/" and data[-4:] == b"\r\n\r\n":
            self._head = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(list_of_data))

    def flush(self) -> None:
        """Send a head still held."""
        head, self._head = self._head, None
        if head is not None and not self._transport.is_closing():
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._head or b"")

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()


def holding_heads(transport: asyncio.Transport) -> asyncio.Transport:
    """The connection's transport, sending each answer's head with its body (called on the event loop)."""
    return HeadHoldingTransport(transport, asyncio.get_running_loop())


class ProblemH11Protocol(H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol with a problem+json 400, each head sent with its body."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(holding_heads(transport))
        OPEN_CONNECTIONS.saw(self.connections)

    def send_400_response(self, msg: str) -> None:
        self.transport.write(unreadable_request_answer(msg))
        self.transport.close()


def http_protocol() -> type[asyncio.Protocol]:
    """The protocol class `serve` gives uvicorn: httptools' when it is installed (as uvicorn's "auto" would
    choose), else h11's, each with the problem+json 400."""
    if importlib.util.find_spec("httptools") is None:
        return ProblemH11Protocol
    from service.api.protocols_httptools import ProblemHttpToolsProtocol
    return ProblemHttpToolsProtocol
