"""Which core each worker keeps to: only where the workers have the cores to themselves, unless asked."""

from __future__ import annotations

import os

import pytest

from service.api.pinning import AUTO_WORKERS_AT_MOST, PinWorkers, keep_to, usable_cores, worker_cores, worker_count
from service.settings import Settings, Workers

needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")


@needs_affinity
@pytest.mark.parametrize(
    ("mode", "workers", "cores", "expected"),
    [
        ("auto", 2, [0, 1], [0, 1]),  # a dedicated two-core machine
        ("auto", 2, [4, 7], [4, 7]),  # a container's cpuset: its own cores, in order
        ("auto", 2, list(range(64)), None),  # a CPU quota on a large host: every core is visible
        ("auto", 3, [0, 1], None),  # more workers than cores: they share, the scheduler decides
        ("auto", 1, [0, 1], None),
        ("on", 3, [0, 1], [0, 1, 0]),  # asked for: round the cores
        ("on", 2, list(range(64)), [0, 1]),
        ("off", 2, [0, 1], None),
        ("auto", 0, [0, 1], None),
        ("on", 2, [], None),
    ],
)
def test_worker_cores(mode: PinWorkers, workers: int, cores: list[int], expected: list[int] | None) -> None:
    assert worker_cores(mode, workers, cores) == expected


@pytest.mark.parametrize(
    ("workers", "cores", "expected"),
    [
        ("auto", [0, 1], 2),  # a worker per core: the benchmarked two-core machine
        ("auto", [3], 1),  # one core: served in-process
        ("auto", [], 1),
        ("auto", list(range(64)), AUTO_WORKERS_AT_MOST),  # a large host: a number must be asked for
        (3, [0, 1], 3),  # a number is taken as given
        (1, list(range(8)), 1),
    ],
)
def test_worker_count(workers: Workers, cores: list[int], expected: int) -> None:
    assert worker_count(workers, cores) == expected


def test_auto_workers_pin_on_a_machine_of_few_cores() -> None:
    cores = [0, 1]
    assert worker_cores("auto", worker_count("auto", cores), cores) == [0, 1]


def test_the_number_of_workers_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPORT_SCREEN_WORKERS", raising=False)
    assert Settings().workers == "auto"
    monkeypatch.setenv("EXPORT_SCREEN_WORKERS", "3")
    assert Settings().workers == 3
    for wrong in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("EXPORT_SCREEN_WORKERS", wrong)
        with pytest.raises(ValueError, match="workers"):
            Settings()


@needs_affinity
def test_the_usable_cores_are_the_process_affinity() -> None:
    assert usable_cores() == sorted(os.sched_getaffinity(0))
    assert worker_cores("auto", len(usable_cores())) == usable_cores()


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPORT_SCREEN_PIN_WORKERS", raising=False)
    assert Settings().pin_workers == "auto"
    monkeypatch.setenv("EXPORT_SCREEN_PIN_WORKERS", "off")
    assert Settings().pin_workers == "off"
    monkeypatch.setenv("EXPORT_SCREEN_PIN_WORKERS", "sometimes")
    with pytest.raises(ValueError, match="pin_workers"):
        Settings()


@needs_affinity
def test_a_core_that_cannot_be_had_leaves_the_process_where_it_was() -> None:
    before = os.sched_getaffinity(0)
    assert keep_to(max(before) + 4096) is False  # (no such core: the call fails, nothing changes)
    assert os.sched_getaffinity(0) == before
