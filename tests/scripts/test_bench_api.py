"""The HTTP benchmark tells how the load generator's connections landed on the server's processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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


_DEAF_TO_SIGTERM = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
deaf = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
child = subprocess.Popen([sys.executable, "-c", deaf])
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_server_that_does_not_stop_on_sigterm_is_killed_with_its_workers_and_reported() -> None:
    bench = _bench_api()
    server = subprocess.Popen([sys.executable, "-c", _DEAF_TO_SIGTERM], stdout=subprocess.PIPE,
                              start_new_session=True)
    assert server.stdout is not None
    worker = int(server.stdout.readline())
    server.stdout.close()
    try:
        bench.stop(server, seconds=1)
    except RuntimeError as error:
        assert "did not stop within 1 s of SIGTERM" in str(error)
    else:
        raise AssertionError("a server deaf to SIGTERM was taken as stopped")
    assert server.returncode == -9
    for _ in range(100):  # (the worker, killed with the group, is reaped by init)
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the server's worker was left running")


def test_a_server_that_stops_on_sigterm_is_stopped_quietly() -> None:
    bench = _bench_api()
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    bench.stop(server, seconds=10)
    assert server.returncode == -15
