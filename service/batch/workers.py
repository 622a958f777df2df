"""Where chunks are screened: in this process, or in a pool of worker processes with results in order.

Starting workers costs seconds (each imports the service and loads rules and lists), so small files are
screened in-process. Workers are started up front, each loads its own context once, and at most three
chunks per worker are in flight, so memory does not grow with the file.
"""

from __future__ import annotations

import os
import sys
import types
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from service.batch.screening import ChunkOutcome, ChunkScreener, worker_init, worker_ready, worker_screen
from service.batch.shipments import Shipment
from service.engine.screen import ScreeningContext
from service.settings import Settings

SMALL_FILE_CHUNKS = 4


class Screening:
    """Screens chunks in this process or in a pool of worker processes; results in submission order."""

    def __init__(self, screener: ChunkScreener, settings: Settings, workers: int, chunk_rows: int,
                 context: ScreeningContext | None, total_rows: int) -> None:
        self._screener = screener
        self._settings = settings
        self._workers = workers
        if workers <= 1 or total_rows < chunk_rows * SMALL_FILE_CHUNKS:
            self._workers = 1
            screener.attach(context or screener.load(settings))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Screening:
        if self._workers > 1:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=get_context("spawn"),
                                             initializer=worker_init,
                                             initargs=(self._screener, self._settings, os.getpid()))
            try:
                self._start_workers(self._pool)
            except BaseException:
                self._pool.shutdown(wait=True, cancel_futures=True)
                raise
        return self

    def _start_workers(self, pool: ProcessPoolExecutor) -> None:
        """Start every worker now and wait until each has loaded its context (a failure surfaces here).

        While they start, `__main__` is a blank module: spawned workers would otherwise re-run the console
        script, which imports every command (the API and database layers too), about 50 MB per worker.
        """
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            started = [pool.submit(worker_ready) for _ in range(self._workers)]
        finally:
            sys.modules["__main__"] = main
        for future in started:
            future.result()

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map(self, chunks: Iterator[list[Shipment]], per_row: bool = False) -> Iterator[ChunkOutcome]:
        """Each chunk's outcome, in input order."""
        if self._pool is None:
            for chunk in chunks:
                yield self._screener.screen(chunk, per_row)
            return
        yield from self._map_in_pool(self._pool, chunks, per_row)

    def _map_in_pool(
        self, pool: ProcessPoolExecutor, chunks: Iterator[list[Shipment]], per_row: bool
    ) -> Iterator[ChunkOutcome]:
        """At most 3 chunks per worker in flight, so memory does not grow with the file."""
        in_flight: deque[Future[ChunkOutcome]] = deque()
        limit = self._workers * 3
        try:
            for chunk in chunks:
                in_flight.append(pool.submit(worker_screen, chunk, per_row))
                if len(in_flight) >= limit:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        except BaseException:
            for future in in_flight:
                future.cancel()
            raise
