"""Tampered rules and lists through the API, with the real loader: refused at start and on reload with
`503 rules_unavailable` naming what changed; a reload never swaps them in, so no verdict rests on them."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from service.api.app import create_app
from service.lists.intake import take_in
from service.settings import Settings
from tests.api.conftest import RULES_DIR, declaration
from tests.lists.helpers import CURATED, OFAC_MINI

pytestmark = pytest.mark.asyncio

HS_RULES = "20-ru-by-hs.yaml"
MACHINING_CENTRE_TO_RUSSIA = declaration(
    "RU-8457", consignee={"name": "Volga Tooling LLC", "country": "RU"}, destination_country="RU",
    items=[{"hs_code": "8457.10", "description": "Vertical machining centre", "quantity": 1}],
)
BANK = declaration("CU-1", consignee={"name": "BANCO NACIONAL DE CUBA", "country": "CU"}, destination_country="CU")


@pytest.fixture
def real(settings: Settings, tmp_path: Path) -> Settings:
    """Settings with a private copy of the rules (and their lock), the curated list and an OFAC snapshot."""
    rules = Path(shutil.copytree(RULES_DIR, tmp_path / "rules", ignore=shutil.ignore_patterns("lists")))
    current = settings.model_copy(update={"rules_dir": rules, "lists_dir": CURATED, "reload_poll_seconds": 3600})
    take_in(current, "ofac", OFAC_MINI)
    return current


def cut_hs_rules(rules: Path) -> None:
    path = rules / HS_RULES
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  - id: TW-RUBY-MACHINE-TOOLS\n")], encoding="utf-8")


def move_ofac_away(settings: Settings, tmp_path: Path) -> None:
    (settings.data_dir / "lists" / "ofac-sdn.jsonl.gz").rename(tmp_path / "ofac-sdn.jsonl.gz")


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client to the app, with its lifespan (the real loader) running."""
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def tamper_with(what: str, settings: Settings, tmp_path: Path) -> None:
    hs_rules = settings.rules_dir / HS_RULES
    if what == "rules":
        cut_hs_rules(settings.rules_dir)
    elif what == "rules deleted":
        hs_rules.unlink()
    elif what == "rules edited":
        hs_rules.write_text(hs_rules.read_text("utf-8").replace('"845710"', '"845790"', 1), "utf-8")
    else:
        move_ofac_away(settings, tmp_path)


async def screen(client: httpx.AsyncClient, body: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    return await client.post("/v1/screenings", json=body, headers=headers)


@pytest.mark.parametrize(("tamper", "named"), [
    ("rules", f"{HS_RULES}: rules missing: TW-RUBY-MACHINE-TOOLS"),
    ("rules deleted", f"{HS_RULES}: file missing"),
    ("rules edited", f"{HS_RULES}: content differs from the lock"),
    ("lists", "ofac-sdn"),
])
async def test_tampering_before_a_restart_refuses_every_screening(
    real: Settings, tmp_path: Path, as_admin: dict[str, str], tamper: str, named: str
) -> None:
    tamper_with(tamper, real, tmp_path)
    async with serving(create_app(real)) as client:
        for body in (MACHINING_CENTRE_TO_RUSSIA, BANK):
            answer = await screen(client, body, as_admin)
            assert answer.status_code == 503 and answer.json()["code"] == "rules_unavailable"
            assert named in answer.json()["detail"]
        batch = await client.post("/v1/screenings:batch", json=[MACHINING_CENTRE_TO_RUSSIA, BANK], headers=as_admin)
        assert batch.status_code == 503 and batch.json()["code"] == "rules_unavailable"
        assert (await client.get("/readyz")).status_code == 503


@pytest.mark.parametrize(("tamper", "named"), [
    ("rules", f"{HS_RULES}: rules missing: TW-RUBY-MACHINE-TOOLS"),
    ("rules deleted", f"{HS_RULES}: file missing"),
    ("rules edited", f"{HS_RULES}: content differs from the lock"),
    ("lists", "ofac-sdn"),
])
async def test_tampering_before_a_reload_is_refused_and_the_approved_rules_keep_serving(
    real: Settings, tmp_path: Path, as_admin: dict[str, str], tamper: str, named: str
) -> None:
    async with serving(create_app(real)) as client:
        assert (await screen(client, MACHINING_CENTRE_TO_RUSSIA, as_admin)).json()["verdict"] == "block"
        assert (await screen(client, BANK, as_admin)).json()["verdict"] == "block"
        tamper_with(tamper, real, tmp_path)
        refused = await client.post("/v1/rules:reload", headers=as_admin)
        assert refused.status_code == 503 and refused.json()["code"] == "rules_unavailable"
        assert named in refused.json()["detail"]
        assert (await screen(client, MACHINING_CENTRE_TO_RUSSIA, as_admin)).json()["verdict"] == "block"
        assert (await screen(client, BANK, as_admin)).json()["verdict"] == "block"


async def test_readyz_reports_each_lists_size_and_age(real: Settings) -> None:
    async with serving(create_app(real)) as client:
        ready = (await client.get("/readyz")).json()
    details = {detail["name"]: detail for detail in ready["list_details"]}
    assert ready["official_lists"] is True and ready["lists"] == 2
    ofac = details["ofac-sdn"]
    assert (ofac["entries"], ofac["official"], ofac["max_age_days"], ofac["out_of_date"]) == (5, True, 7.0, False)
    assert 0 <= ofac["age_days"] < 1 and ofac["imported_at"]
    curated = details["tw-curated"]
    assert (curated["official"], curated["imported_at"], curated["max_age_days"]) == (False, None, None)
