"""Periodic: rounds of background work on a daemon thread, started and stopped by the app's lifespan."""

from __future__ import annotations

import threading

from service.periodic import Periodic


class Counting(Periodic):
    """Counts its rounds; reports 'busy' for the first `busy` rounds."""

    def __init__(self, interval: float, busy: int = 0) -> None:
        super().__init__("counting", interval, join_timeout=5)
        self.rounds = 0
        self.busy = busy
        self.reached = threading.Event()
        self.began = threading.Event()

    def tick(self) -> bool:
        self.rounds += 1
        self.began.set()
        if self.rounds >= 3:
            self.reached.set()
        return self.rounds <= self.busy


def test_busy_rounds_run_without_pausing() -> None:
    worker = Counting(interval=60, busy=5)  # a pause would take a minute
    worker.start()
    assert worker.reached.wait(5)
    worker.stop()
    assert not worker._thread.is_alive()


def test_idle_rounds_wait_for_the_interval_and_stop_promptly() -> None:
    worker = Counting(interval=60)
    worker.start()
    assert worker.began.wait(5)  # (a stop before the thread's first round would leave it with none)
    worker.stop()  # wakes the waiting thread at once
    assert not worker._thread.is_alive()
    assert worker.rounds == 1
