"""The service's threads carry their Python names in the operating system too (Linux)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from service.threadnames import name_os_thread


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread names in /proc are Linux's")
def test_a_thread_shows_its_python_name_in_proc() -> None:
    seen: list[str] = []

    def run() -> None:
        name_os_thread()
        seen.append(Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text().strip())

    thread = threading.Thread(target=run, name="webhook-dispatcher")
    thread.start()
    thread.join()
    assert seen == ["webhook-dispatc"]  # (15 bytes at most)
