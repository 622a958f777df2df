"""A batch worker's context: the keys for names written in another script are built only when needed."""

from __future__ import annotations

from pathlib import Path

from service.batch.screening import ChunkScreener
from service.engine.parties.index import PartyIndex
from service.metrics import TimedParties
from tests.lists.helpers import settings_for


def test_a_worker_builds_the_cross_script_keys_on_the_first_name_in_another_script(tmp_path: Path) -> None:
    context = ChunkScreener.load(settings_for(tmp_path))
    assert isinstance(context.parties, TimedParties)  # (timed for the metrics)
    parties = context.parties.screener
    assert isinstance(parties, PartyIndex)
    assert parties._script_postings is None  # (about 40 MiB per worker for OFAC, not built yet)
    assert [hit.entry_id for hit in parties.match("Huawei Technologies Co., Ltd.")] == ["tw-el-2025-huawei"]
    assert parties._script_postings is None  # a Latin name does not need them
    assert [hit.entry_id for hit in parties.match("華為")] == ["tw-el-2025-huawei"]
    assert parties._script_postings is not None
