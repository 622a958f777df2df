"""The start-up benchmark's baseline: a worker's process loading its context with no list at all."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.scripts.conftest import SCRIPTS


def test_the_baseline_process_loads_a_context_without_any_list_and_reports_its_time_and_memory() -> None:
    done = subprocess.run([sys.executable, str(SCRIPTS / "bench_startup.py"), "--child", "batch", "--baseline"],
                          capture_output=True, text=True, check=True, timeout=120)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {"context", "own"}
    assert 0 < figures["context"] < 60
    assert figures["own"] > 1  # (MiB: the interpreter and the service's modules at least)
