"""Acting on stop and restart signals in a thread, not in the signal handler.

CPython runs a signal's Python handler in the main thread between two bytecodes, whatever that thread
holds at the moment: inside `threading.Event.wait`, for instance, the event's condition lock. A handler
that takes the same lock, as `Event.set` does, then waits for its own thread for ever, and the process
ignores every later SIGTERM. So the handler here does nothing in Python: CPython's own C handler writes
the signal's number to a socket (`signal.set_wakeup_fd`), and a thread of the relay reads it and acts,
taking the locks it needs while the main thread goes on and lets go of them.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from service.threadnames import name_os_thread

logger = logging.getLogger("service.signals")

Action = Callable[[int], None]


def _noted(_signum: int, _frame: FrameType | None) -> None:
    """The Python handler: nothing to do, the C handler has written the number for the relay."""


class SignalRelay:
    """Runs `actions[signum](signum)` in the relay's own thread for each signal that arrives.

    `start` and `stop` must be called from the main thread (only it may set signal handlers). Each
    action runs once per signal delivered, in the order they arrived."""

    def __init__(self, actions: Mapping[int, Action], name: str = "signal-relay") -> None:
        self._actions = dict(actions)
        self._name = name
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._previous_fd = -1
        self._previous_handlers: dict[int, Any] = {}

    def start(self) -> None:
        """Start the relay's thread, then take over the signals."""
        reader, writer = socket.socketpair()
        writer.setblocking(False)  # (written by the C handler: it must never wait)
        try:  # (first: outside the main thread it refuses, and nothing is left behind)
            self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except ValueError:
            reader.close()
            writer.close()
            raise
        self._reader, self._writer = reader, writer
        self._thread = threading.Thread(target=self._relay, args=(reader,), name=self._name, daemon=True)
        self._thread.start()
        for signum in self._actions:
            self._previous_handlers[signum] = signal.signal(signum, _noted)

    def stop(self) -> None:
        """Give the signals back to the handlers held before, and end the thread."""
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous)
        self._previous_handlers.clear()
        if self._writer is not None:
            signal.set_wakeup_fd(self._previous_fd)
            self._writer.close()  # (the reader sees the end, and the thread ends)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._reader is not None:
            self._reader.close()
        self._reader = self._writer = self._thread = None

    def _relay(self, reader: socket.socket) -> None:
        name_os_thread()
        while True:
            try:
                received = reader.recv(64)
            except OSError:
                return
            if not received:
                return
            for signum in received:
                action = self._actions.get(signum)
                if action is None:
                    continue
                try:
                    action(signum)
                except Exception:  # (a failed action must not leave the process deaf to the next signal)
                    logger.exception("acting on signal %d failed", signum)
