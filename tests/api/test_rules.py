"""GET /v1/rules, GET /v1/lists, POST /v1/rules:reload (validated first, swapped atomically)."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from service.api.app import create_app
from service.api.reloading import ReloadWatcher
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.settings import Settings
from tests.api.conftest import RULES_DIR, OneNameList, declaration, screening_date

pytestmark = pytest.mark.asyncio


async def test_rules_in_force_for_country_and_date(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    russia = (await client.get("/v1/rules", params={"country": "Russia", "date": "2024-07-01"},
                               headers=as_screener)).json()
    before = (await client.get("/v1/rules", params={"country": "RU", "date": "2022-01-01"},
                               headers=as_screener)).json()
    assert russia["country"] == "RU" and russia["version"].startswith("sha256:")
    assert len(russia["rules"]) > len(before["rules"])
    everything = (await client.get("/v1/rules", headers=as_screener)).json()
    assert everything["country"] is None and len(everything["rules"]) >= len(russia["rules"])


async def test_unknown_country_is_a_validation_problem(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    answer = await client.get("/v1/rules", params={"country": "Atlantis"}, headers=as_screener)
    assert answer.status_code == 422 and answer.json()["errors"][0]["value"] == "Atlantis"


async def test_lists_in_use(client: httpx.AsyncClient, as_screener: dict[str, str]) -> None:
    lists = (await client.get("/v1/lists", headers=as_screener)).json()
    assert lists == {"parties_screened": True, "lists": [{"name": "test-list", "version": "sha256:test", "entries": 1}]}


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A rule directory the test may break."""
    return Path(shutil.copytree(RULES_DIR, tmp_path / "rules", ignore=shutil.ignore_patterns("lists")))


@pytest_asyncio.fixture
async def reloadable(settings: Settings, rules_copy: Path) -> FastAPI:
    """An app that loads its rules from `rules_copy` with the real rule loader (and a one-name party list)."""

    def load(current: Settings) -> ScreeningContext:
        return ScreeningContext(rulebook=load_rulebook(current.rules_dir), parties=OneNameList(),
                                screening_day=screening_date)

    return create_app(settings.model_copy(update={"rules_dir": rules_copy}), load=load)


async def test_reload_keeps_the_old_rulebook_when_the_new_one_is_invalid(
    reloadable: FastAPI, rules_copy: Path, as_admin: dict[str, str]
) -> None:
    async with reloadable.router.lifespan_context(reloadable):
        transport = httpx.ASGITransport(app=reloadable)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            version = (await client.get("/v1/rules", headers=as_admin)).json()["version"]
            broken = rules_copy / "99-broken.yaml"
            broken.write_text("rules:\n  - id: X\n    nonsense: true\n", encoding="utf-8")
            refused = await client.post("/v1/rules:reload", headers=as_admin)
            assert refused.status_code == 422 and refused.json()["code"] == "rules_invalid"
            assert "99-broken.yaml" in refused.json()["detail"]
            assert (await client.get("/v1/rules", headers=as_admin)).json()["version"] == version
            screened = await client.post("/v1/screenings", json=declaration(), headers=as_admin)
            assert screened.status_code == 201 and screened.json()["rulebook"]["version"] == version

            broken.unlink()
            (rules_copy / "40-red-flags.yaml").write_text(
                (rules_copy / "40-red-flags.yaml").read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
            reloaded = await client.post("/v1/rules:reload", headers=as_admin)
            assert reloaded.status_code == 200
            assert reloaded.json()["previous_version"] == version and reloaded.json()["version"] != version


async def test_a_reload_reaches_every_worker(
    settings: Settings, rules_copy: Path, as_admin: dict[str, str]
) -> None:
    def load(current: Settings) -> ScreeningContext:
        return ScreeningContext(rulebook=load_rulebook(current.rules_dir), parties=OneNameList(),
                                screening_day=screening_date)

    shared = settings.model_copy(update={"rules_dir": rules_copy, "reload_poll_seconds": 3600})
    first, second = create_app(shared, load=load), create_app(shared, load=load)  # two worker processes
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        worker = second.state.service
        old = worker.context.rulebook.version
        flags = rules_copy / "40-red-flags.yaml"
        flags.write_text(flags.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t") as client:
            reloaded = (await client.post("/v1/rules:reload", headers=as_admin)).json()
        assert reloaded["version"] != old and worker.context.rulebook.version == old
        watcher = ReloadWatcher(worker, interval=3600)
        assert await run_in_threadpool(watcher.check) is True
        assert worker.context.rulebook.version == reloaded["version"]
        assert await run_in_threadpool(watcher.check) is False  # nothing newer


async def test_a_replica_whose_rules_differ_from_the_reloaded_ones_stops_screening_until_they_match(
    settings: Settings, rules_copy: Path, tmp_path: Path, as_admin: dict[str, str]
) -> None:
    def load(current: Settings) -> ScreeningContext:
        return ScreeningContext(rulebook=load_rulebook(current.rules_dir), parties=OneNameList(),
                                screening_day=screening_date)

    elsewhere = Path(shutil.copytree(rules_copy, tmp_path / "rules-on-another-host"))
    here = settings.model_copy(update={"rules_dir": rules_copy, "reload_poll_seconds": 3600})
    first = create_app(here, load=load)
    second = create_app(here.model_copy(update={"rules_dir": elsewhere}), load=load)  # another host's files
    flags = "40-red-flags.yaml"
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        (rules_copy / flags).write_text((rules_copy / flags).read_text(encoding="utf-8") + "\n# reviewed\n",
                                        encoding="utf-8")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t") as client:
            reloaded = (await client.post("/v1/rules:reload", headers=as_admin)).json()
        replica = second.state.service
        watcher = ReloadWatcher(replica, interval=3600)
        assert await run_in_threadpool(watcher.check) is False
        assert replica.context is None  # fail closed: not the rulebook the others serve, so none
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://t") as client:
            ready = await client.get("/readyz")
            refused = await client.post("/v1/screenings", json=declaration(), headers=as_admin)
        assert ready.status_code == 503 and reloaded["version"] in ready.json()["detail"]
        assert refused.status_code == 503
        shutil.copy(rules_copy / flags, elsewhere / flags)  # the deploy reaches that host
        assert await run_in_threadpool(watcher.check) is True
        assert replica.context is not None and replica.context.rulebook.version == reloaded["version"]
