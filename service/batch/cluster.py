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
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError
from itertools import islice
from typing import Any

from distributed import Client, Future
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

from service.batch.bundle import LOADED, ContextBundle, bundle_context
from service.batch.screening import ChunkOutcome, ChunkScreener, ClusterUnavailable
from service.batch.shipments import Shipment

logger = logging.getLogger("service.batch")
CHUNKS_PER_TASK = 4  # fewer, larger tasks for the scheduler; each chunk still comes back (and commits) alone
TASKS_PER_THREAD = 2  # tasks in flight per worker thread: enough to keep workers busy, memory stays bounded
_LOST = (OSError, TimeoutError, CancelledError, CommClosedError, KilledWorker)


class ClusterScreening:
    """Screens chunks on the Dask cluster at `address`; results in submission order, like Screening."""

    def __init__(self, screener: ChunkScreener, address: str, timeout: float, bundle: ContextBundle) -> None:
        self._screener = screener
        self._address = address
        self._timeout = timeout
        self._bundle = bundle
        self._client: Client | None = None
        self._shipped: tuple[Future[Any], Future[Any]] | None = None
        self._threads = 1

    def __enter__(self) -> ClusterScreening:
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
            client = Client(self._address, timeout=self._timeout, set_as_default=False)
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

    def _ship(self, client: Client) -> tuple[Future[Any], Future[Any]]:
        """Put the context bundle and the chunk screener on every worker, once for the whole run."""
        bundle = client.scatter(self._bundle, broadcast=True, hash=False)
        screener = client.scatter(self._screener, broadcast=True, hash=False)
        logger.info("context %s (%d files, %d bytes) shipped to %d worker threads at %s", self._bundle.digest,
                    len(self._bundle.files), self._bundle.size, self._threads, self._address)
        return bundle, screener

    def map(self, chunks: Iterator[list[Shipment]], per_row: bool = False) -> Iterator[ChunkOutcome]:
        """Each chunk's outcome, in input order, with a bounded number of tasks in flight."""
        assert self._client is not None and self._shipped is not None, "use ClusterScreening as a context manager"
        bundle, screener = self._shipped
        in_flight: deque[Future[Any]] = deque()
        limit = self._threads * TASKS_PER_THREAD
        try:
            for task in _tasks(chunks):
                in_flight.append(self._client.submit(screen_on_worker, bundle, screener, task, per_row, pure=False))
                if len(in_flight) >= limit:
                    yield from self._result(in_flight.popleft())
            while in_flight:
                yield from self._result(in_flight.popleft())
        finally:
            for future in in_flight:
                future.cancel()

    def _result(self, future: Future[Any]) -> list[ChunkOutcome]:
        """The task's outcomes; waits while workers are connected, fails when none was seen for two waits."""
        try:
            missed = 0
            while True:
                try:
                    outcomes: list[ChunkOutcome] = future.result(timeout=self._timeout)
                    return outcomes
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


def _tasks(chunks: Iterable[list[Shipment]]) -> Iterator[list[list[Shipment]]]:
    """Consecutive chunks grouped CHUNKS_PER_TASK to a task."""
    iterator = iter(chunks)
    while task := list(islice(iterator, CHUNKS_PER_TASK)):
        yield task


def screen_on_worker(bundle: ContextBundle, screener: ChunkScreener, chunks: list[list[Shipment]],
                     per_row: bool) -> list[ChunkOutcome]:
    """Dask task: screen each chunk with this worker's context for the bundle (loaded on first use)."""
    attached = LOADED.attach(screener, bundle)
    return [attached.screen(chunk, per_row) for chunk in chunks]


def worker_loads() -> int:
    """How often this worker process loaded a context (for tests and operators: `client.run(worker_loads)`)."""
    return LOADED.loads


__all__ = ["ClusterScreening", "ClusterUnavailable", "bundle_context", "screen_on_worker", "worker_loads"]
