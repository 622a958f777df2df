"""`serve --workers N`: N uvicorn worker processes, each listening on a socket of its own on the same port.

uvicorn's own supervisor hands every worker one shared listening socket. Whichever worker wakes first
then accepts every connection waiting, so the connections a client opens together (an ERP's connection
pool, a load test) can all land on one worker while the others idle: one core does the work of two.
Here each worker binds its own socket with SO_REUSEPORT, and the kernel spreads new connections over
the workers by a hash of the client's address and port.

The workers are uvicorn's (`Process`: health checks over a pipe, the server, its signals); this
supervisor starts them, restarts one that dies or stops answering, replaces them one at a time on
SIGHUP, and stops them all on SIGINT, SIGTERM or SIGQUIT, as uvicorn's does.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from types import FrameType

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Process

logger = logging.getLogger("uvicorn.error")
CHECK_SECONDS = 0.5  # how often the workers are looked at


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port that other sockets with SO_REUSEPORT may bind to as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def answering(host: str, port: int) -> bool:
    """Whether a server already accepts connections on host:port. SO_REUSEPORT would let a second `serve`
    bind the same port and quietly take half the connections, where a user expects "address in use"."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((target, port)) == 0


class OwnSocketWorker(Process):
    """A uvicorn worker process that listens on a socket of its own (bound in the worker)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # (runs in the worker process)
        super().target([listening_socket(self.config.host, self.config.port)])


class PortSharingWorkers:
    """Starts, watches and stops the workers. The supervisor holds a socket bound to the port without
    listening on it, so the port stays taken between workers, and never receives connections; a port
    already in use fails here at once (`answering` or the bind)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.workers: list[OwnSocketWorker] = []
        self.should_exit = threading.Event()
        self.restart_asked = threading.Event()

    def run(self) -> int:
        """Serve until SIGINT, SIGTERM or SIGQUIT (or a worker that cannot start); the exit status."""
        if answering(self.config.host, self.config.port):
            logger.error("cannot listen on %s:%d: another server answers there", self.config.host, self.config.port)
            return STARTUP_FAILURE
        try:
            reserved = listening_socket(self.config.host, self.config.port)
        except OSError as exc:
            logger.error("cannot listen on %s:%d: %s", self.config.host, self.config.port, exc)
            return STARTUP_FAILURE
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
            signal.signal(sig, self._stop)
        signal.signal(signal.SIGHUP, self._ask_restart)
        status = 0
        with reserved:
            self.workers = [self._started() for _ in range(self.config.workers)]
            while not self.should_exit.wait(CHECK_SECONDS):
                if self.restart_asked.is_set():
                    self.restart_asked.clear()
                    self._restart_all()
                status = self._keep_alive()
            for worker in self.workers:
                worker.terminate()
            for worker in self.workers:
                worker.join()
        return status

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("Received %s, exiting.", signal.Signals(signum).name)
        self.should_exit.set()

    def _ask_restart(self, _signum: int, _frame: FrameType | None) -> None:
        self.restart_asked.set()

    def _restart_all(self) -> None:
        """SIGHUP: replace the workers one at a time, each once its successor serves (new code, settings
        or lists are taken up without a moment with no worker listening)."""
        for number, old in enumerate(self.workers):
            new = self._started()
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck * 6, self.should_exit):
                new.kill()
                new.join()
                logger.error("A new worker did not start in time; the old ones keep serving.")
                return
            old.terminate()
            old.join()
            self.workers[number] = new

    def _started(self) -> OwnSocketWorker:
        worker = OwnSocketWorker(self.config, [])
        worker.start()
        return worker

    def _keep_alive(self) -> int:
        """Replace each worker that died or stopped answering; STARTUP_FAILURE (and stop) if one failed
        to start, since its replacement would fail the same way."""
        for number, worker in enumerate(self.workers):
            if self.should_exit.is_set() or worker.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            worker.kill()
            worker.join()
            if worker.exitcode == STARTUP_FAILURE:
                logger.error("Worker process [%s] failed to start; stopping.", worker.pid)
                self.should_exit.set()
                return STARTUP_FAILURE
            logger.info("Worker process [%s] died; starting another.", worker.pid)
            self.workers[number] = self._started()
        return 0
