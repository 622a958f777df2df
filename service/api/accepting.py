"""`serve --workers N`: each new connection goes to the worker holding the fewest.

The workers share one listening socket, and the kernel wakes every worker waiting on it when a
connection arrives. Left alone, whichever worker runs first accepts it, so the connections a client opens
together (a load test, an ERP's pool of keep-alive connections) land unevenly. A hash of the client's
port (SO_REUSEPORT) is no better than chance: eight connections split 4-4 about one time in four, and
6-2 or worse about as often, and the worker holding six answered its clients slower while the other
idled.

Each worker publishes how many connections it holds, in memory shared with the supervisor and the other
workers (`WorkerLoads`). A worker leaves a waiting connection to a worker holding fewer (`AcceptGate`),
for at most ACCEPT_WAIT_SECONDS: a worker that is stopping, stuck or busy for longer does not keep a
client waiting.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import socket
import time
from collections.abc import Callable, MutableSequence
from typing import cast

# how long a worker leaves a connection to one holding fewer: about as long as that worker's event loop
# may stall under load (a full pass of the cycle collector over its caches; rarer since settle_memory,
# but tens of ms each). wrk runs started right after another, on fresh servers: with 2 ms, 2 of 8
# landed 5-3; with 10 ms, 1 of 16; with 25 ms, none of 16.
ACCEPT_WAIT_SECONDS = 0.025
# when it looks again whether that one took it (uvloop's timers count whole milliseconds: a shorter
# delay fires at once, and the worker would spin, keeping the other from the core it needs to accept)
ACCEPT_RETRY_SECONDS = 0.001
ACCEPT_TROUBLE_SECONDS = 1.0  # when it tries again after accept() failed for want of resources
NO_WORKER = -1  # a slot no running worker holds

logger = logging.getLogger("uvicorn.error")


class WorkerLoads:
    """Open connections per worker slot, shared by the supervisor and its workers (made before they are
    started, which hands it to them). A slot reads NO_WORKER until its worker accepts connections."""

    def __init__(self, slots: int) -> None:
        shared = multiprocessing.get_context("spawn").RawArray(ctypes.c_int, slots)
        self.counts = cast(MutableSequence[int], shared)
        for slot in range(slots):
            self.counts[slot] = NO_WORKER
        self._taken: set[int] = set()

    def take(self) -> int:
        """A slot for a worker about to start (the supervisor's side)."""
        slot = min(set(range(len(self.counts))) - self._taken)
        self._taken.add(slot)
        self.counts[slot] = NO_WORKER
        return slot

    def give_back(self, slot: int) -> None:
        """The slot of a worker that has ended (the supervisor's side)."""
        self.counts[slot] = NO_WORKER
        self._taken.discard(slot)


class AcceptGate:
    """A worker's side: its own count, kept in its slot, and whether it takes the next connection."""

    def __init__(self, counts: MutableSequence[int], slot: int) -> None:
        self._counts = counts
        self._slot = slot
        self._others = [other for other in range(len(counts)) if other != slot]
        self._held = 0
        self._declined_at: float | None = None
        self._stopped = False
        counts[slot] = 0

    def may_accept(self, now: float) -> bool:
        """True unless another worker holds fewer connections and this one has not left the waiting
        connection to it for ACCEPT_WAIT_SECONDS yet."""
        counts, held = self._counts, self._held
        if not any(0 <= counts[other] < held for other in self._others):
            return True
        if self._declined_at is None:
            self._declined_at = now
            return False
        return now - self._declined_at >= ACCEPT_WAIT_SECONDS

    def settled(self) -> None:
        """No connection is waiting: the next one starts its own wait."""
        self._declined_at = None

    def accepted(self) -> None:
        """A connection was accepted (counted at once: the next accept may follow before it is set up)."""
        self._declined_at = None  # (the next connection waits afresh)
        self._held += 1
        self._counts[self._slot] = self._held

    def closed(self) -> None:
        """A connection of this worker's ended."""
        self._held = max(0, self._held - 1)
        if not self._stopped:
            self._counts[self._slot] = self._held

    def stopping(self) -> None:
        """This worker accepts no more connections: the others stop leaving any to it."""
        self._stopped = True
        self._counts[self._slot] = NO_WORKER


class Acceptor:
    """Takes connections from the shared listening socket into this worker's event loop, through its
    gate. A connection left to another worker is looked at again ACCEPT_RETRY_SECONDS later (by then
    that worker has mostly taken it) rather than at once: the socket stays readable until some worker
    accepts, and watching it meanwhile would spin."""

    def __init__(self, listening: socket.socket, gate: AcceptGate, protocols: Callable[[], asyncio.BaseProtocol],
                 loop: asyncio.AbstractEventLoop) -> None:
        self._listening = listening
        self._gate = gate
        self._protocols = protocols
        self._loop = loop
        self._watching = False
        self._later: asyncio.TimerHandle | None = None
        self._setting_up: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Accept connections from now on."""
        self._listening.setblocking(False)
        self._take()

    def stop(self) -> None:
        """Accept no more connections (those accepted stay)."""
        if self._later is not None:
            self._later.cancel()
            self._later = None
        self._unwatch()
        self._gate.stopping()

    def _watch(self) -> None:
        if not self._watching:
            self._loop.add_reader(self._listening.fileno(), self._take)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching:
            self._loop.remove_reader(self._listening.fileno())
            self._watching = False

    def _take(self) -> None:
        """Connections are waiting: accept those this worker should take."""
        while True:
            if not self._gate.may_accept(time.monotonic()):
                self._pause(ACCEPT_RETRY_SECONDS)
                return
            try:
                connection, _address = self._listening.accept()
            except (BlockingIOError, InterruptedError):  # none waiting (any left was taken by another worker)
                self._gate.settled()
                self._watch()
                return
            except ConnectionAbortedError:  # (the client gave up before it was accepted)
                continue
            except OSError as exc:  # out of file descriptors or memory: let some connections end first
                logger.error("could not accept a connection (%s); trying again in %.0f s", exc, ACCEPT_TROUBLE_SECONDS)
                self._pause(ACCEPT_TROUBLE_SECONDS)
                return
            self._gate.accepted()
            task = self._loop.create_task(self._set_up(connection))
            self._setting_up.add(task)
            task.add_done_callback(self._setting_up.discard)

    def _pause(self, seconds: float) -> None:
        """Stop watching the socket for `seconds`, then look at it again (`_take`: the waiting connection
        may still be there, and is then taken, or may be gone)."""
        self._unwatch()
        if self._later is None:
            self._later = self._loop.call_later(seconds, self._look_again)

    def _look_again(self) -> None:
        self._later = None
        self._take()

    async def _set_up(self, connection: socket.socket) -> None:
        try:
            connection.setblocking(False)
            await self._loop.connect_accepted_socket(self._counted, connection)
        except OSError:  # (the client left at once): no protocol will count it closed
            connection.close()
            self._gate.closed()

    def _counted(self) -> asyncio.BaseProtocol:
        """The HTTP protocol of a connection, which counts the connection closed when it ends."""
        protocol = self._protocols()
        ended = protocol.connection_lost
        gate = self._gate

        def connection_lost(exc: Exception | None) -> None:
            try:
                ended(exc)
            finally:
                gate.closed()

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]
        return protocol
