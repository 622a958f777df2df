"""`export-screen serve` on a fresh data directory: creates it, migrates SQLite once, serves over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from service.cli import app
from service.cli.serve import parse_workers
from service.store.database import make_engine
from service.store.keys import Role, create_key

EXPORT_SCREEN = Path(sys.executable).parent / "export-screen"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "declaration.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_starts_on_a_fresh_checkout_and_records_a_screening(tmp_path: Path) -> None:
    # two workers on a database that does not exist yet: the migration runs once, before they start
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORT_SCREEN_") and k != "DATABASE_URL"}
    env["EXPORT_SCREEN_DATA_DIR"] = str(tmp_path / "var")
    port = _free_port()
    server = subprocess.Popen([str(EXPORT_SCREEN), "serve", "--port", str(port), "--no-access-log", "--workers", "2"],
                              cwd=tmp_path / "..",
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not become ready")
        database = tmp_path / "var" / "export-screen.db"
        assert database.exists()  # created and migrated at start
        engine = make_engine(f"sqlite:///{database}")
        with Session(engine) as session:
            _, secret = create_key(session, Role.SCREENER, "test")
            session.commit()
        engine.dispose()
        answer = httpx.post(f"{base}/v1/screenings", content=EXAMPLE.read_bytes(), timeout=10,
                            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        assert answer.status_code == 201, answer.text
        record = httpx.get(f"{base}/v1/screenings/{answer.json()['id']}", timeout=10,
                           headers={"Authorization": f"Bearer {secret}"})
        assert record.json()["request_id"] == answer.headers["x-request-id"]
        # either worker's scrape adds up both workers' counts
        scrapes = [httpx.get(f"{base}/metrics", timeout=10).text for _ in range(4)]
        assert all('export_screen_screenings_total{verdict="' in scrape for scrape in scrapes)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert secret not in errors.decode()  # the key never reaches the log
    assert f"data in {tmp_path / 'var'}; database sqlite:///{tmp_path / 'var' / 'export-screen.db'}" in errors.decode()
    assert "already exists" not in errors.decode() and "Traceback" not in errors.decode()


@pytest.mark.parametrize("given", ["0", "-2", "two", "1.5", "²"])
def test_a_wrong_number_of_workers_is_refused_naming_it(given: str) -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", given])
    assert result.exit_code == 2
    assert "--workers" in result.output and repr(given) in result.output


@pytest.mark.parametrize("given", ["auto", "1", "3"])
def test_the_workers_option_takes_a_number_or_auto(given: str) -> None:
    assert parse_workers(given) == (given if given == "auto" else int(given))


def test_a_wrong_setting_is_named_with_its_value_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_SCREEN_WORKERS", "many")
    monkeypatch.setenv("EXPORT_SCREEN_PIN_WORKERS", "sometimes")
    result = CliRunner().invoke(app, ["rules", "validate"])
    assert result.exit_code == 2
    assert "EXPORT_SCREEN_WORKERS='many'" in result.output
    assert "EXPORT_SCREEN_PIN_WORKERS='sometimes'" in result.output and "'auto', 'on' or 'off'" in result.output
    assert "Traceback" not in result.output
