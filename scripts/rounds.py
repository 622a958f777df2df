"""What every benchmark script reports beside its figures: the machine's load, and ranges over rounds.

The machine is shared, so one run's absolute figures move with whatever else runs on its cores; each
script therefore repeats its measurement (three rounds by default), prints the 1-minute load average
at the start of each round, and gives a ratio to a baseline measured in the same round.
"""

from __future__ import annotations

import os


def load_average() -> float:
    """The 1-minute load average now."""
    return round(os.getloadavg()[0], 2)


def span(values: list[float], digits: int = 0) -> str:
    """'low–high' over the rounds (one value if they agree at this rounding)."""
    low, high = f"{min(values):,.{digits}f}", f"{max(values):,.{digits}f}"
    return low if low == high else f"{low}–{high}"
