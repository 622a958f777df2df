"""`serve --workers N`: N uvicorn worker processes sharing one listening socket, each new connection
taken by the worker holding the fewest (service/api/accepting.py).

uvicorn's own supervisor also shares one socket, but whichever worker wakes first accepts every
connection waiting, so the connections a client opens together (an ERP's connection pool, a load test)
can all land on one worker while the others idle: one core does the work of two. A socket per worker
with SO_REUSEPORT spreads them by a hash of the client's port, which is as uneven as chance (6-2 or
worse for eight connections in a quarter of the cases). Here the workers share what each holds, and
leave a new connection to the one holding fewer.

The workers are uvicorn's (`Process`: health checks over a pipe, the server, its signals); this
supervisor starts them, restarts one that dies or stops answering, replaces them one at a time on
SIGHUP, and stops them all on SIGINT, SIGTERM or SIGQUIT, as uvicorn's does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.server import Server
from uvicorn.supervisors.multiprocess import Process

from service.api.accepting import AcceptGate, Acceptor, WorkerLoads
from service.api.pinning import keep_to
from service.signals import SignalRelay

logger = logging.getLogger("uvicorn.error")
CHECK_SECONDS = 0.5  # how often the workers are looked at


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A TCP socket listening on host:port, for the workers to share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def answering(host: str, port: int) -> bool:
    """Whether a server already accepts connections on host:port (a second `serve` on the same port is
    refused with a message of its own, before the bind would fail)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((target, port)) == 0


class GatedServer(Server):
    """uvicorn's server, started on no socket of its own: its `Acceptor` takes the connections this
    worker should have from the shared socket, and stops taking any when the server shuts down."""

    def __init__(self, config: Config, listening: socket.socket, gate: AcceptGate) -> None:
        super().__init__(config)
        self._listening = listening
        self._gate = gate
        self._acceptor: Acceptor | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # (the app's start-up; uvicorn listens on nothing itself)
        config = self.config

        def protocol() -> asyncio.Protocol:  # (as uvicorn makes them for a socket it listens on)
            made: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state)
            return made

        self._acceptor = Acceptor(self._listening, self._gate, protocol, asyncio.get_running_loop())
        self._acceptor.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._acceptor is not None:
            self._acceptor.stop()
        self._listening.close()
        await super().shutdown(sockets=sockets)


class GatedWorker(Process):
    """A uvicorn worker process that takes connections from the shared socket through a gate on its
    slot of the workers' loads."""

    def __init__(self, config: Config, listening: socket.socket, loads: WorkerLoads, core: int | None = None) -> None:
        super().__init__(config, [listening])
        self.loads = loads
        self.slot = loads.take()
        self.core = core

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # (runs in the worker process)
        assert sockets is not None and len(sockets) == 1
        if self.core is not None and not keep_to(self.core):  # (first: the app's threads keep to it too)
            logger.warning("Worker process [%s] cannot keep to core %d; the scheduler places it.", os.getpid(),
                           self.core)
        self._server = GatedServer(self.config, sockets[0], AcceptGate(self.loads.counts, self.slot))
        super().target([])


class PortSharingWorkers:
    """Starts, watches and stops the workers. The supervisor holds the listening socket, so the port
    stays taken between workers; a port already in use fails here at once (`answering` or the bind)."""

    def __init__(self, config: Config, cores: list[int] | None = None) -> None:
        self.config = config
        self.cores = cores  # the core of each worker (service/api/pinning.py), or None: the scheduler decides
        self.workers: list[GatedWorker] = []
        # (room for a replacement beside each worker: on SIGHUP the new one starts before the old one stops)
        self.loads = WorkerLoads(2 * max(1, config.workers))
        self.should_exit = threading.Event()
        self.restart_asked = threading.Event()

    def run(self) -> int:
        """Serve until SIGINT, SIGTERM or SIGQUIT (or a worker that cannot start); the exit status."""
        if answering(self.config.host, self.config.port):
            logger.error("cannot listen on %s:%d: another server answers there", self.config.host, self.config.port)
            return STARTUP_FAILURE
        try:
            listening = listening_socket(self.config.host, self.config.port, self.config.backlog)
        except OSError as exc:
            logger.error("cannot listen on %s:%d: %s", self.config.host, self.config.port, exc)
            return STARTUP_FAILURE
        # (acted on in a thread of their own: a handler setting an event could wait for ever on the lock
        # the main thread holds inside should_exit.wait; service/signals.py)
        relay = SignalRelay({signal.SIGINT: self._stop, signal.SIGTERM: self._stop, signal.SIGQUIT: self._stop,
                             signal.SIGHUP: self._ask_restart}, name="supervisor-signals")
        relay.start()
        try:
            return self._serve(listening)
        finally:
            relay.stop()

    def _serve(self, listening: socket.socket) -> int:
        status = 0
        with listening:
            self.workers = [self._started(listening, number) for number in range(self.config.workers)]
            while not self.should_exit.wait(CHECK_SECONDS):
                if self.restart_asked.is_set():
                    self.restart_asked.clear()
                    self._restart_all(listening)
                status = self._keep_alive(listening)
            for worker in self.workers:
                worker.terminate()
            for worker in self.workers:
                self._ended(worker)
        return status

    def _stop(self, signum: int) -> None:
        logger.info("Received %s, exiting.", signal.Signals(signum).name)
        self.should_exit.set()

    def _ask_restart(self, _signum: int) -> None:
        self.restart_asked.set()

    def _restart_all(self, listening: socket.socket) -> None:
        """SIGHUP: replace the workers one at a time, each once its successor serves (new code, settings
        or lists are taken up without a moment with no worker listening)."""
        for number, old in enumerate(self.workers):
            new = self._started(listening, number)  # (on its predecessor's core)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck * 6, self.should_exit):
                new.kill()
                self._ended(new)
                logger.error("A new worker did not start in time; the old ones keep serving.")
                return
            old.terminate()
            self._ended(old)
            self.workers[number] = new

    def _started(self, listening: socket.socket, number: int) -> GatedWorker:
        core = self.cores[number] if self.cores is not None else None
        worker = GatedWorker(self.config, listening, self.loads, core)
        worker.start()
        if core is not None:
            logger.info("Worker process [%s] keeps to core %d.", worker.pid, core)
        return worker

    def _ended(self, worker: GatedWorker) -> None:
        """Wait for a stopped worker, and free its slot."""
        worker.join()
        self.loads.give_back(worker.slot)

    def _keep_alive(self, listening: socket.socket) -> int:
        """Replace each worker that died or stopped answering; STARTUP_FAILURE (and stop) if one failed
        to start, since its replacement would fail the same way."""
        for number, worker in enumerate(self.workers):
            if self.should_exit.is_set() or worker.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            worker.kill()
            self._ended(worker)
            if worker.exitcode == STARTUP_FAILURE:
                logger.error("Worker process [%s] failed to start; stopping.", worker.pid)
                self.should_exit.set()
                return STARTUP_FAILURE
            logger.info("Worker process [%s] died; starting another.", worker.pid)
            self.workers[number] = self._started(listening, number)
        return 0
