"""Operating-system names for the service's own threads.

Python names its threads for itself only: `top -H`, `ps -L`, /proc and profilers show every thread of a
worker as `python3.11`. A thread that calls `name_os_thread` first shows its Python name there too (the
first 15 bytes: Linux's limit), so an operator can tell the audit writer from the WAL checkpointer or
the webhook dispatcher when one of them takes the CPU. Elsewhere than on Linux it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
import threading

_PR_SET_NAME = 15  # prctl option (linux/prctl.h)
_LIMIT = 15  # bytes of a thread's name, without the terminating NUL


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def name_os_thread() -> None:
    """Give the calling thread its Python name in the operating system too (best effort)."""
    if not sys.platform.startswith("linux"):
        return
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_NAME, threading.current_thread().name.encode()[:_LIMIT], 0, 0, 0)
