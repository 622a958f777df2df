"""uvicorn's HTTP protocols, answering a request they cannot parse with problem+json like every other error.

A request whose head breaks HTTP (a control character in a header, a malformed request line) never reaches
the app: uvicorn answers it itself with a plain-text 400. Clients of this API switch on the problem
`code`, so these protocol classes answer such a request with the same problem+json body (`400
malformed_request`) and close the connection, as uvicorn does.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sized

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


class ProblemH11Protocol(H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol with a problem+json 400."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
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
