"""Shared fixtures. Database fixtures: every test that asks for `database_url` runs on SQLite and PostgreSQL."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.databases import empty_postgres, fresh_sqlite, migrated_sqlite, postgres_schema

# Under CI the property tests draw the same examples on every run, so that main stays green or red for a
# reason in the code; run locally they draw new examples each time and keep finding what CI would not.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    """The scheduler address of a local Dask cluster (tests/cluster.py), one per test module that asks."""
    from tests.cluster import local_cluster  # (only the modules that use it import Dask)

    with local_cluster() as address:
        yield address


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """No test reaches beyond this machine: a TCP connection to any address but loopback fails loudly."""
    connect = socket.socket.connect

    def loopback_connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
            self.close()  # not an OSError, so no caller would close it: nothing may pass this silently
            raise AssertionError(f"a test tried to connect to {address[0]}; tests may only use loopback")
        connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", loopback_connect)
        yield


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True, scope="session")
def _no_webhook_dispatch() -> Iterator[None]:
    """Apps made in tests run no webhook dispatcher unless the test sets webhook_poll_seconds itself: the
    schemathesis run subscribes made-up URLs, and no test may reach beyond loopback. Session-scoped, so it
    is in place before any module-scoped app is created."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPORT_SCREEN_WEBHOOK_POLL_SECONDS", "0")
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    return migrated_sqlite(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of this session's own (skips, or fails under CI=true, if unreachable)."""
    yield from postgres_schema()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database for one test, on each supported backend."""
    if request.param == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url
