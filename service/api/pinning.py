"""Which core each `serve` worker process keeps to (EXPORT_SCREEN_PIN_WORKERS).

A worker left to the scheduler moves between cores as the load shifts, and each move leaves the caches
of its old core behind: the party matcher and the web stack together fill much of a core's cache, and a
request costs more CPU when it starts on a cold one. Kept on a core of its own, each worker finds its
caches as it left them (about a fifth more screenings a second on two cores, docs/performance.md).

Pinning is right only where the workers have the cores to themselves. `auto` pins when the process may
run on exactly as many cores as there are workers: a dedicated machine or a container given its own
cpuset. A container limited by a CPU quota sees every core of its host, and is left to the scheduler,
as is a machine with cores to spare for other work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from service.settings import PinWorkers, Workers

AUTO_WORKERS_AT_MOST = 8  # (each worker holds its own caches and database connections: more, by number)


def usable_cores() -> list[int]:
    """The cores this process may run on, in ascending order (all of them where the platform cannot tell)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def worker_count(workers: Workers, cores: Sequence[int] | None = None) -> int:
    """How many workers `serve` starts: the number given, or for `auto` one per usable core (at most
    AUTO_WORKERS_AT_MOST). Screening is CPU work on each worker's event loop, so a worker per core is what
    uses the machine: on two cores one worker answered about two thirds of what two did."""
    if workers != "auto":
        return workers
    usable = len(cores) if cores is not None else len(usable_cores())
    return max(1, min(usable, AUTO_WORKERS_AT_MOST))


def worker_cores(mode: PinWorkers, workers: int, cores: Sequence[int] | None = None) -> list[int] | None:
    """The core of each of `workers` workers, or None to leave them to the scheduler.

    `on` pins whatever the count (round the cores when there are more workers than cores); `auto` only
    when the workers and the usable cores are as many; `off` never."""
    cores = list(cores) if cores is not None else usable_cores()
    if mode == "off" or workers < 1 or not cores or not hasattr(os, "sched_setaffinity"):
        return None
    if mode == "auto" and len(cores) != workers:
        return None
    return [cores[number % len(cores)] for number in range(workers)]


def keep_to(core: int) -> bool:
    """Keep the calling process to one core (its threads started afterwards inherit it); False, and left
    to the scheduler, when the core cannot be had (taken out of the process's cpuset since `serve`
    looked): a worker that serves unpinned is better than one that does not start."""
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        return False
    return True
