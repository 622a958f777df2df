"""The httptools protocol with a problem+json 400 (a module of its own: httptools is optional)."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.api.protocols import OPEN_CONNECTIONS, holding_heads, unreadable_request_answer


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol with a problem+json 400, each head sent with its body."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(holding_heads(transport))
        OPEN_CONNECTIONS.saw(self.connections)

    def send_400_response(self, msg: str) -> None:
        self.transport.write(unreadable_request_answer(msg))
        self.transport.close()
