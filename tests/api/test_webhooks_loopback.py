"""Webhooks end to end over real HTTP on loopback (127.0.0.1 only): the app's own dispatcher thread sends
a signed event to a tiny threaded server, retries its first failure, and the delivery reads `delivered`."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from export_screen_client import InvalidSignature, verify_signature

from service.settings import Settings
from tests.api.conftest import blocked_declaration

pytestmark = pytest.mark.asyncio


class Receiver(ThreadingHTTPServer):
    """Records what it receives; answers 500 to the first request and 204 after that."""

    secret = ""
    received: list[tuple[dict[str, str], bytes, bool]]
    arrived: threading.Event


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            verify_signature(self.server.secret, self.headers["X-Export-Screen-Signature"], body)
            valid = True
        except InvalidSignature:
            valid = False
        self.server.received.append((dict(self.headers), body, valid))
        self.send_response(500 if len(self.server.received) == 1 else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if len(self.server.received) >= 2:
            self.server.arrived.set()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    httpd = Receiver(("127.0.0.1", 0), Handler)
    httpd.received, httpd.arrived = [], threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A fast dispatcher (polls every 50 ms, retries at once) that may send to this machine."""
    return settings.model_copy(update={"webhook_poll_seconds": 0.05, "webhook_backoff_seconds": 0,
                                       "webhook_timeout": 5, "webhook_private_receivers": True})


async def test_a_block_is_pushed_to_the_receiver_and_retried(
    client: httpx.AsyncClient, receiver: Receiver, as_admin: dict[str, str], as_screener: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)  # loopback only, never through a proxy
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    hook = (await client.post("/v1/webhooks", json={"url": url, "events": ["screening.block"]},
                              headers=as_admin)).json()
    receiver.secret = hook["secret"]
    screening = (await client.post("/v1/screenings", json=blocked_declaration(), headers=as_screener)).json()
    assert await asyncio.to_thread(receiver.arrived.wait, 10), "the dispatcher did not deliver within 10 s"
    (first_headers, first_body, _), (headers, body, valid) = receiver.received
    assert valid and body == first_body
    assert headers["X-Export-Screen-Delivery"] == first_headers["X-Export-Screen-Delivery"]
    event = json.loads(body)
    assert (event["type"], event["data"]["screening_id"]) == ("screening.block", screening["id"])
    for _ in range(100):  # the outcome is recorded just after the answer arrives
        [delivery] = (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=as_admin)).json()
        if delivery["status"] == "delivered":
            break
        await asyncio.sleep(0.05)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 2, 204)
