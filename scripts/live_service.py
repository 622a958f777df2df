"""A real `export-screen serve` on a free loopback port, for the browser tests and the page screenshots.

The service runs in a process of its own, as an operator starts it: a temporary data directory with its
SQLite database, the bundled rules and curated list, and one API key per role created through the store
functions before it starts (the secrets are only known to whoever created them). Nothing is shared with
the caller's process, so what the browser sees is what a user would see.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from sqlmodel import Session

from service.settings import DATABASE_FILE
from service.store.database import make_engine, upgrade
from service.store.keys import Role, create_key

EXPORT_SCREEN = str(Path(sys.executable).parent / "export-screen")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class LiveService:
    """A running service: where it answers, its keys by role, and its log file."""

    url: str
    keys: dict[Role, str]
    data_dir: Path
    log: Path

    def headers(self, role: Role) -> dict[str, str]:
        """The Authorization header for a key of `role`."""
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def screen(self, declaration: dict[str, Any]) -> dict[str, Any]:
        """Screen `declaration` through the API as an ERP would (screener key, Idempotency-Key)."""
        headers = {**self.headers(Role.SCREENER), "Idempotency-Key": uuid4().hex}
        answer = httpx.post(f"{self.url}/v1/screenings", json=declaration, headers=headers, timeout=30)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def get(self, path: str, role: Role = Role.REVIEWER) -> Any:
        """The JSON answer of GET `path` with a key of `role` (raises unless it is a 2xx)."""
        answer = httpx.get(f"{self.url}{path}", headers=self.headers(role), timeout=30)
        answer.raise_for_status()
        return answer.json()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(data_dir: Path) -> str:
    """The SQLite database of a data directory (where the service puts it by default)."""
    return f"sqlite:///{data_dir / DATABASE_FILE}"


def prepare(data_dir: Path, key_label: str = "browser") -> dict[Role, str]:
    """Migrate the data directory's database and create one key per role in it (named `key_label role`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url(data_dir))
    try:
        upgrade(engine)
        with Session(engine) as session:
            keys = {role: create_key(session, role, f"{key_label} {role.value}")[1] for role in Role}
            session.commit()
    finally:
        engine.dispose()
    return keys


def service_environment(data_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of the service process: this data directory, no webhooks, quiet logs."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("EXPORT_SCREEN_")}
    environment.pop("DATABASE_URL", None)
    environment.update({
        "EXPORT_SCREEN_DATA_DIR": str(data_dir),
        "EXPORT_SCREEN_DATABASE_URL": database_url(data_dir),
        "EXPORT_SCREEN_WEBHOOK_POLL_SECONDS": "0",
        "EXPORT_SCREEN_LOG_FORMAT": "json",
        "EXPORT_SCREEN_LOG_LEVEL": "WARNING",
    })
    environment.update(extra)
    return environment


@contextmanager
def live_service(data_dir: Path, environment: Mapping[str, str] | None = None,
                 key_label: str = "browser") -> Iterator[LiveService]:
    """Start the service on `data_dir` (with extra `environment` settings), wait until it is ready, stop it."""
    keys = prepare(data_dir, key_label)
    port = free_port()
    log = data_dir / "service.log"
    command = [EXPORT_SCREEN, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--workers", "1"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=service_environment(data_dir, environment or {}),
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                                   cwd=data_dir)  # not the checkout: a developer's .env there is not read
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log)
        yield LiveService(url=url, keys=keys, data_dir=data_dir, log=log)
    finally:
        stop(process)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once /readyz answers 200; raise with the service's log if it exits or takes too long."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited during start-up:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service was not ready within {READY_TIMEOUT_SECONDS:.0f} s:\n"
                       f"{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the service as an operator would (SIGTERM), and kill it if it does not stop in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
