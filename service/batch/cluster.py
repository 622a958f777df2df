"""Screening chunks on a Dask cluster: the same chunks as the local pool, results back in input order.

The coordinating process (the CLI, or the API process that holds the job) reads and groups the file as
for the local pool and writes every result row itself, so partitioning (whole shipments per chunk), the
split-reference pass, row order and the audit trail's chunk commits do not change. Only where a chunk is
screened changes. The rule files and list snapshots are scattered to every worker once per run
(`ContextBundle`); each worker process loads them once per content hash and keeps the context.

Fail closed: a scheduler that cannot be reached, a cluster without workers, or a worker lost too often
raises ClusterUnavailable, and the run publishes no result file.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from itertools import islice
from typing import Any, TypeVar

from distributed import Client, Future
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

from service.batch.bundle import LOADED, ContextBundle
from service.batch.screening import ChunkOutcome, ChunkScreener, ClusterUnavailable
from service.batch.shipments import Shipment

logger = logging.getLogger("service.batch")
CHUNKS_PER_TASK = 4  # fewer, larger tasks for the scheduler; each chunk still comes back (and commits) alone
TASKS_PER_THREAD = 2  # tasks in flight per worker thread: enough to keep workers busy, memory stays bounded
R = TypeVar("R")
_LOST = (OSError, TimeoutError, CancelledError, CommClosedError, KilledWorker)


class ClusterSession:
    """A connection to the Dask scheduler at `address` with the run's shared values on every worker.

    `map` runs a task function over items with a bounded number of tasks in flight and yields the
    results in submission order. Each task gets the shared values (scattered once, broadcast to every
    worker: the context bundle, the chunk screener) before its own item.
    """

    def __init__(self, address: str, timeout: float, *shared: object) -> None:
        self._address = address
        self._timeout = timeout
        self._shared = shared
        self._client: Client | None = None
        self._shipped: list[Future[Any]] = []
        self._threads = 1

    def __enter__(self) -> ClusterSession:
        self._client = self._connect()
        try:
            self._shipped = self._ship(self._client)
        except BaseException:
            self._client.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()

    def _connect(self) -> Client:
        try:
            # Chunks and results travel between this process and the workers directly: through the
            # scheduler, they cost it about 0.1 CPU-second per task (docs/performance.md).
            client = Client(self._address, timeout=self._timeout, set_as_default=False, direct_to_workers=True)
        except _LOST as exc:
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {self._address}: {exc}") from exc
        try:
            client.wait_for_workers(1, timeout=self._timeout)
            self._threads = max(1, sum(client.nthreads().values()))
        except _LOST as exc:
            client.close()
            raise ClusterUnavailable(f"the Dask cluster at {self._address} has no workers "
                                     f"(waited {self._timeout:g} s)") from exc
        return client

    def _ship(self, client: Client) -> list[Future[Any]]:
        """Put the shared values on every worker, once for the whole run."""
        shipped = [client.scatter(value, broadcast=True, hash=False) for value in self._shared]
        for value in self._shared:
            if isinstance(value, ContextBundle):
                logger.info("context %s (%d files, %d bytes) shipped to %d worker threads at %s", value.digest,
                            len(value.files), value.size, self._threads, self._address)
        return shipped

    def map(self, task: Callable[..., R], items: Iterable[object]) -> Iterator[R]:
        """`task(*shared, item)` for each item on the workers; results in input order."""
        assert self._client is not None, "use ClusterSession as a context manager"
        in_flight: deque[Future[Any]] = deque()
        limit = self._threads * TASKS_PER_THREAD
        try:
            for item in items:
                in_flight.append(self._submit(task, item))
                if len(in_flight) >= limit:
                    yield self._result(in_flight.popleft())
            while in_flight:
                yield self._result(in_flight.popleft())
        finally:
            for future in in_flight:
                future.cancel()

    def _submit(self, task: Callable[..., R], item: object) -> Future[Any]:
        """Send the item to a worker and queue the task there."""
        assert self._client is not None
        try:
            [data] = self._client.scatter([item], direct=True, hash=False)
            future: Future[Any] = self._client.submit(task, *self._shipped, data, pure=False)
        except _LOST as exc:
            raise ClusterUnavailable(f"the Dask cluster at {self._address} failed, nothing more was screened: "
                                     f"{type(exc).__name__}: {exc}") from exc
        return future

    def _result(self, future: Future[Any]) -> Any:
        """The task's result; waits while workers are connected, fails when none was seen for two waits."""
        try:
            missed = 0
            while True:
                try:
                    return future.result(timeout=self._timeout)
                except TimeoutError:
                    missed = 0 if self._workers_left() else missed + 1
                    if missed >= 2:
                        raise
        except _LOST as exc:
            raise ClusterUnavailable(f"the Dask cluster at {self._address} failed, nothing more was screened: "
                                     f"{type(exc).__name__}: {exc}") from exc
        finally:
            future.release()

    def _workers_left(self) -> bool:
        assert self._client is not None
        try:
            return bool(self._client.nthreads())
        except _LOST:
            return False


class ClusterScreening:
    """Screens chunks on the Dask cluster at `address`; results in submission order, like Screening."""

    def __init__(self, screener: ChunkScreener, address: str, timeout: float, bundle: ContextBundle) -> None:
        self._session = ClusterSession(address, timeout, bundle, screener)

    def __enter__(self) -> ClusterScreening:
        self._session.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.__exit__(*exc)

    def map(self, chunks: Iterator[list[Shipment]], per_row: bool = False) -> Iterator[ChunkOutcome]:
        """Each chunk's outcome, in input order, with a bounded number of tasks in flight."""
        task = screen_per_row_on_worker if per_row else screen_on_worker
        for outcomes in self._session.map(task, _tasks(chunks)):
            yield from outcomes


def _tasks(chunks: Iterable[list[Shipment]]) -> Iterator[list[list[Shipment]]]:
    """Consecutive chunks grouped CHUNKS_PER_TASK to a task."""
    iterator = iter(chunks)
    while task := list(islice(iterator, CHUNKS_PER_TASK)):
        yield task


def screen_on_worker(bundle: ContextBundle, screener: ChunkScreener,
                     chunks: list[list[Shipment]]) -> list[ChunkOutcome]:
    """Dask task: screen each chunk with this worker's context for the bundle (loaded on first use)."""
    attached = LOADED.attach(screener, bundle)
    return [attached.screen(chunk) for chunk in chunks]


def screen_per_row_on_worker(bundle: ContextBundle, screener: ChunkScreener,
                             chunks: list[list[Shipment]]) -> list[ChunkOutcome]:
    """Dask task: as screen_on_worker, with each row's text apart (the split-reference pass)."""
    attached = LOADED.attach(screener, bundle)
    return [attached.screen(chunk, per_row=True) for chunk in chunks]


def worker_loads() -> int:
    """How often this worker process loaded a context (for tests and operators: `client.run(worker_loads)`)."""
    return LOADED.loads


__all__ = ["ClusterScreening", "ClusterSession", "screen_on_worker", "worker_loads"]
