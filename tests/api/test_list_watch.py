"""A list stored while the service runs reaches every worker by itself; one that cannot be loaded keeps
the lists in force and shows in /readyz."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi.concurrency import run_in_threadpool

from service.api.app import create_app
from service.api.reloading import ReloadWatcher
from service.engine.rulebook import Rulebook
from service.engine.screen import ScreeningContext
from service.lists.manifest import Manifest, RecordedSnapshot, write_manifest
from service.settings import Settings
from tests.api.conftest import clocked_context, runs_in_lifespan

pytestmark = pytest.mark.asyncio


def _store(settings: Settings, version: str) -> None:
    """What `lists import` leaves behind for the watch: a manifest naming a new snapshot."""
    snapshot = RecordedSnapshot(version=version, sha256="0" * 64, entries=1, imported_at=datetime.now(UTC))
    write_manifest(settings.data_dir, Manifest(lists={"us-csl": snapshot}))


async def test_a_stored_list_is_loaded_without_a_reload(settings: Settings, rulebook: Rulebook) -> None:
    loads: list[ScreeningContext] = []
    broken = [False]

    def load(_: Settings) -> ScreeningContext:
        if broken[0]:
            raise RuntimeError("us-csl: snapshot does not match the manifest")
        loads.append(clocked_context(rulebook))
        return loads[-1]

    current = settings.model_copy(update={"reload_poll_seconds": 3600})
    app = create_app(current, load=load)
    async with app.router.lifespan_context(app):
        state = app.state.service
        watcher = ReloadWatcher(state, interval=3600)
        assert await run_in_threadpool(watcher.check_lists) is False  # nothing stored yet
        _store(current, "sha256:1111111111111111")
        assert await run_in_threadpool(watcher.check_lists) is True
        assert state.context is loads[-1] and len(loads) >= 2  # (the app's own watcher may have been first)
        assert await run_in_threadpool(watcher.check_lists) is False  # handled once

        broken[0] = True
        _store(current, "sha256:2222222222222222")
        in_force = state.context
        assert await run_in_threadpool(watcher.check_lists) is False
        assert state.context is in_force  # fail closed: the previous lists keep serving, never none
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert "does not match the manifest" in ready.json()["list_reload_error"]
        assert ready.json()["list_update"] == {"last_attempt": None, "last_success": None, "last_error": None}
        assert await run_in_threadpool(watcher.check_lists) is False  # not retried until it changes again

        broken[0] = False
        _store(current, "sha256:3333333333333333")
        assert await run_in_threadpool(watcher.check_lists) is True
        assert state.list_reload_error is None


@pytest.mark.parametrize("hours", [0.0, 24.0])
async def test_the_list_update_schedule_runs_only_when_set(
    settings: Settings, rulebook: Rulebook, hours: float
) -> None:
    # no sources and a long jitter: nothing is downloaded even if the first round came due
    scheduled = settings.model_copy(update={"list_update_interval_hours": hours, "list_sources": [],
                                            "list_update_jitter_minutes": 600.0})
    assert await runs_in_lifespan(scheduled, rulebook, "list-update") is (hours > 0)


async def test_every_api_process_looks_for_interrupted_batch_jobs(settings: Settings, rulebook: Rulebook) -> None:
    assert await runs_in_lifespan(settings, rulebook, "batch-resumer")
