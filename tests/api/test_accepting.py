"""The gate each worker of `serve --workers N` accepts connections through."""

from __future__ import annotations

import pytest

from service.api.accepting import ACCEPT_WAIT_SECONDS, NO_WORKER, AcceptGate, WorkerLoads

# (this worker's connections, the other slots' counts, whether it takes the waiting connection at once)
AT_ONCE = [
    ("no other worker", 3, [NO_WORKER, NO_WORKER], True),
    ("the others hold as many", 2, [2, 2], True),
    ("the others hold more", 1, [2, 5], True),
    ("another holds fewer", 2, [1, 4], False),
    ("a slot of a stopped worker is not a worker holding fewer", 2, [NO_WORKER, 3], True),
]


@pytest.mark.parametrize(("case", "held", "others", "at_once"), AT_ONCE, ids=[c[0] for c in AT_ONCE])
def test_a_worker_leaves_a_connection_to_one_holding_fewer(case: str, held: int, others: list[int],
                                                           at_once: bool) -> None:
    counts = [NO_WORKER, *others]
    gate = AcceptGate(counts, 0)
    for _ in range(held):
        gate.accepted()
    assert counts[0] == held
    assert gate.may_accept(100.0) is at_once, case


def test_a_connection_left_to_another_is_taken_after_the_wait() -> None:
    counts = [NO_WORKER, 0]
    gate = AcceptGate(counts, 0)
    gate.accepted()
    assert not gate.may_accept(100.0)
    assert not gate.may_accept(100.0 + ACCEPT_WAIT_SECONDS / 2)
    assert gate.may_accept(100.0 + 1.01 * ACCEPT_WAIT_SECONDS)  # (the other worker is stuck or stopping)
    gate.accepted()
    assert not gate.may_accept(200.0)  # the next connection waits afresh


def test_the_wait_starts_again_once_no_connection_waits() -> None:
    counts = [NO_WORKER, 0]
    gate = AcceptGate(counts, 0)
    gate.accepted()
    assert not gate.may_accept(100.0)
    gate.settled()  # (the other worker took it)
    assert not gate.may_accept(100.0 + 2 * ACCEPT_WAIT_SECONDS)


def test_closed_and_stopping_workers_publish_their_count() -> None:
    counts = [NO_WORKER, NO_WORKER]
    gate = AcceptGate(counts, 1)
    assert counts[1] == 0
    gate.accepted()
    gate.accepted()
    gate.closed()
    assert counts[1] == 1
    gate.closed()
    gate.closed()  # (never below none)
    assert counts[1] == 0
    gate.accepted()
    gate.stopping()
    assert counts[1] == NO_WORKER
    gate.closed()  # a stopping worker's connections ending do not make it look ready for more
    assert counts[1] == NO_WORKER


def test_the_supervisor_hands_out_free_slots() -> None:
    loads = WorkerLoads(3)
    assert list(loads.counts) == [NO_WORKER] * 3
    assert [loads.take(), loads.take()] == [0, 1]
    loads.counts[0] = 4
    loads.give_back(0)
    assert loads.counts[0] == NO_WORKER
    assert loads.take() == 0
    assert loads.take() == 2
