"""Several `export-screen` processes on one PostgreSQL database and one data directory, as on several
machines: each test module gets a database of its own (`replicas_<random>`, dropped at the end), a data
directory, an admin key, and starts real `serve` and `worker` processes on free ports."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from service.store.database import make_engine, upgrade
from service.store.keys import Role, create_key
from tests.databases import POSTGRES_URL

COMMAND = str(Path(sys.executable).with_name("export-screen"))
READY_SECONDS = 90.0  # a replica loads rules and lists at start; the machine may be busy
# short leases and polls, so that a take-over or a reload is seen within seconds
FAST = {
    "EXPORT_SCREEN_BATCH_LEASE_SECONDS": "4", "EXPORT_SCREEN_BATCH_POLL_SECONDS": "0.3",
    "EXPORT_SCREEN_RELOAD_POLL_SECONDS": "0.3", "EXPORT_SCREEN_WEBHOOK_POLL_SECONDS": "0.2",
    "EXPORT_SCREEN_WEBHOOK_BACKOFF_SECONDS": "0", "EXPORT_SCREEN_WEBHOOK_TIMEOUT": "5",
    "EXPORT_SCREEN_WEBHOOK_PRIVATE_RECEIVERS": "true",  # the test's receiver listens on loopback
    "EXPORT_SCREEN_MIGRATE_ON_START": "false", "EXPORT_SCREEN_LOG_FORMAT": "json",
    "EXPORT_SCREEN_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
}
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Process:
    """A started `export-screen` process and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def output(self) -> str:
        """The end of its log, for a failing test's message."""
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: nothing is cleaned up."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)


@dataclass
class Cluster:
    """Processes sharing one database and one data directory."""

    database_url: str
    data_dir: Path
    engine: Engine
    admin_key: str = ""
    processes: list[Process] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        """What every process of the cluster is started with."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("EXPORT_SCREEN_") and name not in PROXIES}
        return {**env, **FAST, "EXPORT_SCREEN_DATABASE_URL": self.database_url,
                "EXPORT_SCREEN_DATA_DIR": str(self.data_dir)}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run an `export-screen` command against the cluster's database and data directory."""
        return subprocess.run([COMMAND, *args], env=self.environment(), capture_output=True, text=True,
                              timeout=120, check=False)

    def start(self, name: str, *args: str) -> Process:
        """Start a long-running command (`serve ...` or `worker`) with its output in a log file."""
        log = self.data_dir.parent / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen([COMMAND, *args], env=self.environment(), stdout=out, stderr=subprocess.STDOUT)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def serve(self, name: str, *args: str) -> Process:
        """Start a replica on a free port (not waiting for it)."""
        port = free_port()
        # (one process a replica: a SIGKILL to it is a crash of the whole replica)
        replica = self.start(name, "serve", "--port", str(port), "--no-access-log", "--workers", "1", *args)
        replica.url = f"http://127.0.0.1:{port}"
        return replica

    def wait_ready(self, *replicas: Process) -> None:
        """Wait until each replica answers /readyz with 200."""
        deadline = time.monotonic() + READY_SECONDS
        for replica in replicas:
            while True:
                assert replica.popen.poll() is None, f"{replica.name} ended:\n{replica.output()}"
                try:
                    if httpx.get(f"{replica.url}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{replica.name} not ready:\n{replica.output()}"
                time.sleep(0.2)

    def stop(self) -> None:
        """End every process still running (SIGTERM, then SIGKILL)."""
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def scalar(self, sql: str, **params: Any) -> Any:
        """One value from the shared database."""
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows from the shared database."""
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())


def _admin_engine() -> Engine:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} does not answer (CI=true, so this fails): {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} does not answer")
    return engine


@contextmanager
def new_cluster(base: Path) -> Iterator[Cluster]:
    """A fresh database (migrated once, as a deploy step would) and data directory under `base`, and an admin
    key; every process started on it is ended and the database dropped afterwards."""
    admin = _admin_engine()
    name = f"replicas_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    cluster = Cluster(url, base / "data", make_engine(url))
    try:
        upgrade(cluster.engine)  # once, as the deploy step does; the replicas start with migrations off
        with Session(cluster.engine) as session:
            cluster.admin_key = create_key(session, Role.ADMIN, "scale-out tests")[1]
            session.commit()
        yield cluster
    finally:
        cluster.stop()
        cluster.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A cluster of the test module's own; the module starts the processes it needs."""
    with new_cluster(tmp_path_factory.mktemp("cluster")) as started:
        yield started


def headers(cluster: Cluster, **extra: str) -> dict[str, str]:
    """The admin key (it may screen too), and any other headers."""
    return {"Authorization": f"Bearer {cluster.admin_key}", **extra}


def blocked(reference: str) -> dict[str, Any]:
    """Controlled goods (3A001) to Russia, leaving today: block."""
    return {"reference": reference, "export_date": date.today().isoformat(),
            "consignee": {"name": "Volga Instruments", "country": "RU"}, "destination_country": "RU",
            "items": [{"hs_code": "854231", "eccn": "3A001", "description": "FPGA"}]}


def wait_for_job(replica: Process, cluster: Cluster, job_id: str, seconds: float = 120.0) -> dict[str, Any]:
    """Poll a job through a replica until it is complete or failed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{replica.url}/v1/batches/{job_id}", headers=headers(cluster),
                                        timeout=10).json()
        if job["status"] in ("complete", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {seconds} s: {job}")


def recorded(cluster: Cluster, job_id: str) -> dict[str, int]:
    """How often each reference of a job is in the audit trail."""
    return {reference: count for reference, count in cluster.rows(
        "SELECT reference, count(*) FROM screenings WHERE request_id = :request GROUP BY reference",
        request=f"batch:{job_id}")}
