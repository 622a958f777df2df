"""`lists update` over real HTTP on loopback (a tiny threaded server): redirects, a cut-off body."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from service.lists.store import current_info, snapshot_dir
from service.lists.update import update_lists
from service.settings import ListSource
from tests.lists.helpers import OFAC_MINI, settings_for

FILES = {path.name: path.read_bytes() for path in OFAC_MINI.iterdir()}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", f"/files/{name}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = FILES.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        cut = self.path.startswith("/cut/") and name == "sdn.csv"
        self.send_header("Content-Length", str(len(body) + (500 if cut else 0)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)  # a cut body: the server closes before the announced length

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _source(base: str) -> ListSource:
    return ListSource(name="ofac-sdn", format="ofac", urls=[f"{base}/{n}" for n in ("sdn.csv", "alt.csv", "add.csv")])


def test_redirected_download_is_stored(server: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, list_sources=[_source(f"{server}/moved")], list_download_timeout=5)
    outcome = update_lists(settings, sleep=lambda seconds: None)[0]
    assert outcome.ok, outcome.error
    info = current_info(snapshot_dir(settings.data_dir), "ofac-sdn")
    assert info is not None and info.entries == 5


def test_body_cut_short_keeps_the_previous_snapshot(server: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, list_sources=[_source(f"{server}/files")], list_download_timeout=5)
    assert update_lists(settings, sleep=lambda seconds: None)[0].ok
    previous = current_info(snapshot_dir(settings.data_dir), "ofac-sdn")
    cut = settings_for(tmp_path, list_sources=[_source(f"{server}/cut")], list_download_timeout=5)
    outcome = update_lists(cut, sleep=lambda seconds: None)[0]
    assert not outcome.ok and "after 3 attempts" in (outcome.error or "")
    assert current_info(snapshot_dir(settings.data_dir), "ofac-sdn") == previous
