"""Worker processes end when the process that started them dies.

A batch job's workers each hold a loaded screening context (about 170 MB). If the server is killed
(`kill -9`, the OOM killer), nothing shuts the pool down, and the workers would live on, idle, until
someone finds them. On Linux the kernel sends them SIGKILL as soon as their parent goes
(prctl PR_SET_PDEATHSIG); everywhere, a watchdog thread also checks once a second that the parent is
still the one that started the worker. The workers write nothing durable (the parent records the audit
trail), so ending them abruptly loses nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 1.0


def exit_with_parent(parent_pid: int, watch_seconds: float = WATCH_SECONDS) -> None:
    """Arrange for this process to end when `parent_pid` is no longer its parent."""
    _ask_the_kernel()
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid, watch_seconds), name="parent-watch", daemon=True).start()


def _ask_the_kernel() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; nothing elsewhere (the watchdog still runs)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no libc to call: the watchdog alone ends the worker
        pass


def _watch(parent_pid: int, watch_seconds: float) -> None:
    """End the process once it has been re-parented (its parent died)."""
    while os.getppid() == parent_pid:
        threading.Event().wait(watch_seconds)
    os._exit(1)
