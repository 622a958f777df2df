"""A daemon thread that does one round of background work every few seconds until stopped.

The API runs several of these beside the requests (SQLite WAL checkpoints, following rule reloads made
by other workers, webhook deliveries); each is a subclass that says what one round does.
"""

from __future__ import annotations

import threading

from service.threadnames import name_os_thread


class Periodic:
    """Calls `tick()` every `interval` seconds on a daemon thread, from `start()` until `stop()`.

    `tick()` returns True when more work is waiting, to run the next round without pausing.
    """

    def __init__(self, name: str, interval: float, join_timeout: float = 10.0) -> None:
        self.interval = interval
        self._join_timeout = join_timeout
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Begin the rounds."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round (waiting at most the join timeout for it)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._join_timeout)

    def tick(self) -> bool:
        """One round of work; True if more is waiting."""
        raise NotImplementedError

    def _loop(self) -> None:
        name_os_thread()
        while not self._stopping.is_set():
            if not self.tick():
                self._stopping.wait(self.interval)
