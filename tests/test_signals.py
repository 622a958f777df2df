"""Signals acted on in the relay's thread, never in a handler that could wait on its own thread's lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from service.signals import SignalRelay

ROOT = Path(__file__).parents[1]

# The main thread holds the event's own lock when the signal's handler runs, as it does for a moment
# inside Event.wait. A handler calling Event.set there would wait for ever.
_HELD_LOCK = """
import signal, sys, threading
from service.signals import SignalRelay
stopped = threading.Event()
relay = SignalRelay({signal.SIGUSR1: lambda _signum: stopped.set()})
relay.start()
with stopped._cond:
    signal.raise_signal(signal.SIGUSR1)
    for _ in range(1000):  # (bytecodes: the Python handler runs between two of them)
        pass
sys.exit(0 if stopped.wait(10) else 3)
"""


def test_a_signal_landing_while_the_main_thread_holds_the_events_lock_is_acted_on() -> None:
    ran = subprocess.run([sys.executable, "-c", _HELD_LOCK], cwd=ROOT, timeout=60, capture_output=True)
    assert ran.returncode == 0, ran.stderr.decode()


def test_the_handler_held_before_would_have_hung_there() -> None:
    """The test above can fail: with Event.set in the handler, the same process never ends."""
    hanging = _HELD_LOCK.replace("relay.start()", "signal.signal(signal.SIGUSR1, lambda *_: stopped.set())")
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([sys.executable, "-c", hanging], cwd=ROOT, timeout=5, capture_output=True)


def test_each_signal_is_acted_on_once_in_the_order_it_came() -> None:
    signals = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1]
    seen: list[int] = []
    done = threading.Event()

    def note(signum: int) -> None:
        seen.append(signum)
        if len(seen) == len(signals):
            done.set()

    relay = SignalRelay({signal.SIGUSR1: note, signal.SIGUSR2: note})
    relay.start()
    try:
        for signum in signals:
            signal.raise_signal(signum)
        assert done.wait(10)
    finally:
        relay.stop()
    assert seen == signals


def test_a_failing_action_leaves_the_relay_listening() -> None:
    acted = threading.Event()
    calls: list[int] = []

    def fails_first(signum: int) -> None:
        calls.append(signum)
        if len(calls) == 1:
            raise RuntimeError("the first one fails")
        acted.set()

    relay = SignalRelay({signal.SIGUSR1: fails_first})
    relay.start()
    try:
        signal.raise_signal(signal.SIGUSR1)
        signal.raise_signal(signal.SIGUSR1)
        assert acted.wait(10)
    finally:
        relay.stop()
    assert len(calls) == 2


def test_stop_gives_the_signals_and_the_wake_up_descriptor_back() -> None:
    def before(_signum: int, _frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGUSR1, before)
    try:
        relay = SignalRelay({signal.SIGUSR1: lambda _signum: None})
        relay.start()
        assert signal.getsignal(signal.SIGUSR1) is not before
        relay.stop()
        assert signal.getsignal(signal.SIGUSR1) is before
        assert signal.set_wakeup_fd(-1) == -1  # (none was set before the relay)
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_outside_the_main_thread_the_relay_refuses_and_holds_nothing() -> None:
    refused: list[BaseException] = []
    relay = SignalRelay({signal.SIGUSR1: lambda _signum: None})

    def start() -> None:
        try:
            relay.start()
        except ValueError as error:
            refused.append(error)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    assert len(refused) == 1
    assert relay._thread is None and relay._reader is None
    relay.stop()  # (nothing to give back)
