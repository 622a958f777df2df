"""Batch worker processes end when their parent is killed with SIGKILL (no 170 MB orphans)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.batch import workers

PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from service.batch.orphans import exit_with_parent

def worker_pid():
    time.sleep(0.2)
    return os.getpid()

if __name__ == "__main__":
    pool = ProcessPoolExecutor(2, mp_context=get_context("spawn"), initializer=exit_with_parent,
                               initargs=(os.getpid(), float(sys.argv[1])))
    pids = {future.result() for future in [pool.submit(worker_pid) for _ in range(4)]}
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


def _orphans_after_kill(tmp_path: Path, watch_seconds: float) -> list[int]:
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen([sys.executable, str(script), str(watch_seconds)], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}) as parent:
        return _kill_and_watch(parent)


def _kill_and_watch(parent: subprocess.Popen[str]) -> list[int]:
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert pids and all(_alive(pid) for pid in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.1)
        return [pid for pid in pids if _alive(pid)]
    finally:
        parent.kill()
        parent.wait(10)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_end_when_the_parent_is_killed(tmp_path: Path) -> None:
    leftover = _orphans_after_kill(tmp_path, watch_seconds=1.0)
    for pid in leftover:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert leftover == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_the_kernel_ends_them_without_the_watchdog(tmp_path: Path) -> None:
    leftover = _orphans_after_kill(tmp_path, watch_seconds=3600.0)  # the watchdog would wait an hour
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert leftover == []


def test_the_batch_pool_passes_its_pid_to_each_worker() -> None:
    source = Path(workers.__file__).read_text(encoding="utf-8")
    assert "initargs=(self._screener, self._settings, os.getpid())" in source
