"""A list stored while the service runs reaches every worker by itself; a worker that cannot load it stops
screening (not ready, 503) rather than screen on older lists than the others, and tries again each poll."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi.concurrency import run_in_threadpool

from service.api import reloading
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
        assert await run_in_threadpool(watcher.check_lists) is False
        assert state.context is None  # fail closed: no verdict on lists older than the ones stored
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "does not match the manifest" in ready.json()["detail"]
        assert "does not match the manifest" in (state.list_reload_error or "")
        assert await run_in_threadpool(watcher.check_lists) is False  # tried again each poll, still broken
        assert state.context is None

        broken[0] = False  # (the snapshot arrived whole on the shared storage)
        assert await run_in_threadpool(watcher.check_lists) is True
        assert state.context is loads[-1] and state.list_reload_error is None and state.context_error is None


@pytest.mark.parametrize("hours", [0.0, 24.0])
async def test_the_list_update_schedule_runs_only_when_set(
    settings: Settings, rulebook: Rulebook, hours: float
) -> None:
    # no sources and a long jitter: nothing is downloaded even if the first round came due
    scheduled = settings.model_copy(update={"list_update_interval_hours": hours, "list_sources": [],
                                            "list_update_jitter_minutes": 600.0})
    assert await runs_in_lifespan(scheduled, rulebook, "list-update") is (hours > 0)


@pytest.mark.parametrize("background", [True, False])
async def test_an_api_process_runs_background_work_unless_told_not_to(
    settings: Settings, rulebook: Rulebook, background: bool
) -> None:
    current = settings.model_copy(update={"background": background, "webhook_poll_seconds": 1.0})
    for thread in ("batch-claimer", "webhook-dispatcher", "idempotency-purge", "batch-file-purge"):
        assert await runs_in_lifespan(current, rulebook, thread) is background
    assert await runs_in_lifespan(current, rulebook, "reload-watcher")  # every process follows reloads


@pytest.mark.parametrize("background", [True, False])
async def test_a_followed_list_change_is_screened_again_where_background_work_runs(
    settings: Settings, rulebook: Rulebook, background: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    caught_up: list[ScreeningContext] = []
    monkeypatch.setattr(reloading, "catch_up", lambda _engine, _settings, context, **_: caught_up.append(context))
    current = settings.model_copy(update={"reload_poll_seconds": 3600, "background": background})
    app = create_app(current, load=lambda _: clocked_context(rulebook))
    async with app.router.lifespan_context(app):
        watcher = ReloadWatcher(app.state.service, interval=3600)
        _store(current, "sha256:4444444444444444")
        assert await run_in_threadpool(watcher.check_lists) is True
        # (the app's own watcher may have followed the change too, and screened again itself)
        assert bool(caught_up) is background
