"""settle_memory: what a process that has loaded its lists leaves to the cycle collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from service.runtime import FULL_COLLECTION_AFTER, settle_memory


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector's thresholds as they were before the test, afterwards."""
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_loading_leaves_full_collections_rarer_and_the_young_ones_as_they_were(collector: None) -> None:
    gc.set_threshold(700, 10, 10)
    settle_memory()
    assert gc.get_threshold() == (700, 10, FULL_COLLECTION_AFTER)
    assert FULL_COLLECTION_AFTER > 10


def test_what_was_loaded_is_out_of_the_collectors_sight(collector: None) -> None:
    loaded = [{"name": str(number)} for number in range(10)]
    settle_memory()
    tracked = (item for generation in range(3) for item in gc.get_objects(generation=generation))
    assert all(item is not loaded for item in tracked)
