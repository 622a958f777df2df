"""Several workers on one port, sharing its listening socket: each new connection goes to the worker
holding the fewest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE, Config

from service.api.workers import PortSharingWorkers, answering, listening_socket

Send = Callable[[dict[str, Any]], Awaitable[None]]


def pid_app() -> Any:
    """An app that answers with the id of the worker process that took the connection."""

    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(os.getpid()).encode()})

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_answering_tells_a_listener_and_a_port_is_listened_on_once() -> None:
    port = _free_port()
    assert not answering("127.0.0.1", port)
    with listening_socket("127.0.0.1", port, 16):
        assert answering("127.0.0.1", port)
        with pytest.raises(OSError):
            listening_socket("127.0.0.1", port, 16)


def _accepting(supervisor: PortSharingWorkers, workers: int) -> None:
    """Wait until `workers` workers accept connections (each publishes its count once it does)."""
    deadline = time.monotonic() + 60
    while sum(count >= 0 for count in supervisor.loads.counts) < workers:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)


@contextmanager
def _serving(port: int, workers: int, cores: list[int] | None = None) -> Iterator[PortSharingWorkers]:
    config = Config("tests.api.test_workers:pid_app", factory=True, port=port, workers=workers, log_level="warning")
    supervisor = PortSharingWorkers(config, cores)
    runner = threading.Thread(target=supervisor.run)
    with pytest.MonkeyPatch.context() as patch:  # (signal handlers can only be set in the main thread)
        patch.setattr(signal, "signal", lambda *_: None)
        patch.setattr(signal, "set_wakeup_fd", lambda *_, **__: -1)
        runner.start()
        try:
            # (the port answers as soon as the supervisor listens, before any worker has started)
            deadline = time.monotonic() + 60
            while len(supervisor.workers) < workers or not answering("127.0.0.1", port):
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.1)
            _accepting(supervisor, workers)
            yield supervisor
        finally:
            supervisor.should_exit.set()
            runner.join(timeout=30)


def _worker_of(client: httpx.Client, port: int) -> int:
    return int(client.get(f"http://127.0.0.1:{port}/", timeout=10).text)


def test_connections_held_open_are_spread_evenly_over_the_workers() -> None:
    """A client pool's connections: one after the other and all at once, half on each worker; when one
    worker's connections end, the next ones go to it."""
    port = _free_port()
    with _serving(port, workers=2) as supervisor:
        pids = {worker.pid for worker in supervisor.workers}
        for _round in range(3):
            clients = [httpx.Client() for _ in range(8)]
            try:
                by_worker = [_worker_of(client, port) for client in clients]  # (each connects on its first request)
                assert sorted(by_worker.count(pid) for pid in pids) == [4, 4]
                first = by_worker[0]
                for client, pid in zip(clients, by_worker, strict=True):
                    if pid == first:
                        client.close()
                deadline = time.monotonic() + 10
                while sorted(supervisor.loads.counts) != [-1, -1, 0, 4]:  # (the closed ones are counted)
                    assert time.monotonic() < deadline, list(supervisor.loads.counts)
                    time.sleep(0.01)
                newer = [httpx.Client() for _ in range(4)]
                clients += newer
                assert [_worker_of(client, port) for client in newer] == [first] * 4
            finally:
                for client in clients:
                    client.close()
            deadline = time.monotonic() + 10
            while sorted(supervisor.loads.counts) != [-1, -1, 0, 0]:
                assert time.monotonic() < deadline, list(supervisor.loads.counts)
                time.sleep(0.01)
        # many at once, before any request: counted as they are accepted
        burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
        try:
            deadline = time.monotonic() + 10
            while sorted(supervisor.loads.counts) != [-1, -1, 4, 4]:
                assert time.monotonic() < deadline, list(supervisor.loads.counts)
                time.sleep(0.01)
        finally:
            for sock in burst:
                sock.close()


def test_a_second_server_on_the_same_port_is_refused() -> None:
    port = _free_port()
    with _serving(port, workers=1):
        config = Config("tests.api.test_workers:pid_app", factory=True, port=port, workers=2)
        assert PortSharingWorkers(config).run() == STARTUP_FAILURE


def test_a_worker_that_dies_is_replaced() -> None:
    port = _free_port()
    with _serving(port, workers=1) as supervisor:
        first = supervisor.workers[0].pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while supervisor.workers[0].pid == first or not answering("127.0.0.1", port):
            assert time.monotonic() < deadline, "no new worker"
            time.sleep(0.2)
        with httpx.Client() as client:
            assert int(client.get(f"http://127.0.0.1:{port}/", timeout=10).text) != first


def test_a_restart_replaces_every_worker_one_at_a_time() -> None:
    port = _free_port()
    with _serving(port, workers=2) as supervisor:
        before = {worker.pid for worker in supervisor.workers}
        supervisor.restart_asked.set()  # (what SIGHUP does)
        deadline = time.monotonic() + 120
        while {worker.pid for worker in supervisor.workers} & before:
            assert answering("127.0.0.1", port)  # never a moment without a worker listening
            assert time.monotonic() < deadline, "the workers were not replaced"
            time.sleep(0.05)
        with httpx.Client() as client:
            assert int(client.get(f"http://127.0.0.1:{port}/", timeout=10).text) not in before


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this platform")
def test_pinned_workers_keep_to_their_cores_and_their_successors_too() -> None:
    """Each worker, its threads and a worker started in its place keep to the core given for it; the
    supervisor stays where it was. (Both on the first usable core: a one-core machine runs this too.)"""
    core = min(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    port = _free_port()
    with _serving(port, workers=2, cores=[core, core]) as supervisor:
        pids = [worker.pid for worker in supervisor.workers]
        for pid in pids:
            assert pid is not None
            for thread in os.listdir(f"/proc/{pid}/task"):
                assert os.sched_getaffinity(int(thread)) == {core}
        assert os.sched_getaffinity(0) == before
        assert pids[0] is not None
        os.kill(pids[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while supervisor.workers[0].pid == pids[0] or not supervisor.workers[0].is_alive(timeout=5):
            assert time.monotonic() < deadline, "no new worker"
            time.sleep(0.2)
        successor = supervisor.workers[0].pid
        assert successor is not None
        assert os.sched_getaffinity(successor) == {core}


def failing_app() -> Any:
    """An app whose start-up fails (as the service's does when, say, its database cannot be reached)."""

    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "no database"})

    return app


def test_workers_that_cannot_start_stop_the_server() -> None:
    config = Config("tests.api.test_workers:failing_app", factory=True, port=_free_port(), workers=2,
                    lifespan="on", log_level="critical")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signal, "signal", lambda *_: None)
        patch.setattr(signal, "set_wakeup_fd", lambda *_, **__: -1)
        started = time.monotonic()
        assert PortSharingWorkers(config).run() == STARTUP_FAILURE  # not restarted again and again
    assert time.monotonic() - started < 60


_SUPERVISOR = """
import sys
from uvicorn.config import Config
from service.api.workers import PortSharingWorkers
config = Config("tests.api.test_workers:pid_app", factory=True, port=int(sys.argv[1]), workers=1, log_level="warning")
sys.exit(PortSharingWorkers(config).run())
"""


@contextmanager
def _supervisor_process(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A supervisor with one worker in a process of its own (its main thread, its signals), answering."""
    supervisor = subprocess.Popen([sys.executable, "-c", _SUPERVISOR, str(port)], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 60
        while not answering("127.0.0.1", port):
            assert supervisor.poll() is None and time.monotonic() < deadline, "the supervisor did not start"
            time.sleep(0.05)
        yield supervisor
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_the_supervisor_stops_its_workers_on_sigterm_again_and_again() -> None:
    """A supervisor in its own process (its main thread waits on an event between looks at the workers):
    SIGTERM stops it and its workers each time, at whatever moment of the wait it lands."""
    for attempt in range(4):
        port = _free_port()
        with _supervisor_process(port) as supervisor:
            with httpx.Client() as client:
                worker = int(client.get(f"http://127.0.0.1:{port}/", timeout=10).text)
            time.sleep(0.1 * attempt)  # (another moment of the supervisor's wait each time)
            supervisor.send_signal(signal.SIGTERM)
            assert supervisor.wait(timeout=30) == 0
            deadline = time.monotonic() + 10
            while _alive(worker):
                assert time.monotonic() < deadline, "the worker was left running"
                time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sighup_to_a_supervisor_process_replaces_its_worker() -> None:
    port = _free_port()
    with _supervisor_process(port) as supervisor:
        with httpx.Client() as client:
            first = int(client.get(f"http://127.0.0.1:{port}/", timeout=10).text)
        supervisor.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while True:
            with httpx.Client() as client:  # (a new connection each time: the old worker may still hold one)
                if int(client.get(f"http://127.0.0.1:{port}/", timeout=10).text) != first:
                    break
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.1)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
