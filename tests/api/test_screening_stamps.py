"""Every recorded screening carries the software version and the thresholds in force, in its answer and record."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from service.settings import Settings
from service.stamps import software_version
from service.store.database import make_engine
from tests.api.conftest import blocked_declaration
from tests.api.test_batches import csv_bytes
from tests.batch.conftest import row

pytestmark = pytest.mark.asyncio


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Thresholds other than the defaults, so the stamp is seen to come from the settings."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var", migrate_on_start=False,
                    max_request_bytes=200_000, max_batch_size=5, review_threshold=65.0, block_threshold=80.0,
                    export_date_past_days=45, list_max_age_days={"ofac-sdn": 3.0})


async def test_single_screening_answer_and_record_carry_the_stamp(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    answer = (await client.post("/v1/screenings", json=blocked_declaration(), headers=as_screener)).json()
    assert answer["software_version"] == software_version() != "unknown"
    assert answer["thresholds"] == {"review_threshold": 65.0, "block_threshold": 80.0, "export_date_past_days": 45,
                                    "list_max_age_days": {"ofac-sdn": 3.0}, "list_default_max_age_days": 14.0}
    record = (await client.get(f"/v1/screenings/{answer['id']}", headers=as_screener)).json()
    assert record["thresholds"] == answer["thresholds"]
    assert record["software_version"] == answer["software_version"]


async def test_batch_and_csv_screenings_are_stamped(
    client: httpx.AsyncClient, as_screener: dict[str, str], settings: Settings
) -> None:
    batch = (await client.post("/v1/screenings:batch", json=[blocked_declaration("B-1")], headers=as_screener)).json()
    assert batch["results"][0]["screening"]["thresholds"]["block_threshold"] == 80.0
    answer = await client.post("/v1/screenings:csv", headers=as_screener,
                               files={"file": ("o.csv", csv_bytes([row("C-1")]), "text/csv")})
    assert answer.status_code == 200
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        stamps = connection.execute(text("SELECT software_version, thresholds FROM screenings")).all()
    engine.dispose()
    assert len(stamps) == 2 and all(version == software_version() and thresholds for version, thresholds in stamps)

