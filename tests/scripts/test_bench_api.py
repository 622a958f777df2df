"""The HTTP benchmark tells how the load generator's connections landed on the server's processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.scripts.conftest import SCRIPTS, load_script


def _bench_api() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))  # (bench_api imports its neighbours by name)
    try:
        return load_script("bench_api")
    finally:
        sys.path.remove(str(SCRIPTS))


def test_connection_spread_counts_the_connections_each_process_of_a_server_holds() -> None:
    bench_api = _bench_api()
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        taken = [listening.accept()[0] for _ in range(5)]
        # a worker holding two of the server's ends (handed over), this process the other three
        worker = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
                                  pass_fds=[sock.fileno() for sock in taken[:2]])
        try:
            for sock in taken[:2]:
                sock.close()
            assert bench_api.connection_spread(os.getpid(), port) == [3, 2]  # (the clients' ends are not on the port)
        finally:
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()
            for sock in [*taken, *clients]:
                sock.close()


def test_the_wal_file_is_reported_in_mib_for_sqlite_only(tmp_path: Path) -> None:
    bench_api = _bench_api()
    database = tmp_path / "service.db"
    assert bench_api.wal_mib(f"sqlite:///{database}") == 0.0  # (no WAL file yet)
    (tmp_path / "service.db-wal").write_bytes(b"\0" * (3 * 2**20 + 2**19))
    assert bench_api.wal_mib(f"sqlite:///{database}") == 3.5
    assert bench_api.wal_mib("postgresql://localhost/test") is None
