"""The framework floor for scripts/bench_api.py: the least an app on the service's stack can do per request.

FastAPI and uvicorn with the service's worker count, pydantic validation of a declaration-shaped body,
one INSERT of the body into the same kind of database (SQLite in WAL mode with the service's pragmas, or
PostgreSQL), committed before the 201. No screening, no authentication, no audit record beyond that row.
The service's throughput divided by this app's, measured in the same run on the same machine, is the
figure that survives a busy machine.

    FLOOR_DATABASE_URL=sqlite:////tmp/floor.db uvicorn api_floor:create_floor_app --factory --app-dir scripts
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, Engine, MetaData, String, Table, Text, create_engine, event, insert

SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000")
rows = Table("floor_rows", MetaData(), Column("id", String(36), primary_key=True), Column("body", Text))


class Party(BaseModel):
    """A party as the service receives it."""

    name: str
    country: str
    role: str | None = None


class Item(BaseModel):
    """One line item as the service receives it."""

    hs_code: str
    eccn: str | None = None
    description: str
    quantity: float
    unit_value: float
    currency: str


class Declaration(BaseModel):
    """The shape of the service's declaration, without its normalisation."""

    reference: str
    consignee: Party
    end_user: Party
    parties: list[Party] = []
    destination_country: str
    items: list[Item]


def floor_engine(url: str) -> Engine:
    """An engine like the service's: SQLite with WAL and the same pragmas, or PostgreSQL as given."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    return engine


def create_floor_app() -> FastAPI:
    """The floor app for FLOOR_DATABASE_URL (the table is created by the benchmark beforehand)."""
    engine = floor_engine(os.environ["FLOOR_DATABASE_URL"])
    app = FastAPI()

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/screenings", status_code=201)
    def record(declaration: Declaration) -> dict[str, str]:
        row_id = str(uuid.uuid4())
        with engine.begin() as connection:
            connection.execute(insert(rows), {"id": row_id, "body": declaration.model_dump_json()})
        return {"id": row_id, "verdict": "clear"}

    return app


def create_floor_table(url: str) -> None:
    """The floor's table in the database at `url`."""
    engine = floor_engine(url)
    rows.metadata.create_all(engine)
    engine.dispose()
