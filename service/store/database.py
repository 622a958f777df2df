"""Engines and schema migrations: SQLite by default (WAL, created on demand), PostgreSQL supported."""

from __future__ import annotations

import importlib
import pkgutil
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _json_text(value: Any) -> str:
    # orjson is several times faster than json.dumps for the declaration and verdict columns.
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; for a SQLite file, the directory is created and WAL mode switched on."""
    kwargs.setdefault("json_serializer", _json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; synchronous=NORMAL is durable in WAL mode against
    # process crashes (a power cut may lose the last commits, never corrupt the file).
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def register_tables() -> MetaData:
    """Import every module of the store, so every table (wherever defined) is on SQLModel.metadata."""
    import service.store as store

    for module in pkgutil.iter_modules(store.__path__):
        if module.name != "migrations":
            importlib.import_module(f"service.store.{module.name}")
    return SQLModel.metadata


def alembic_config(url: str) -> Config:
    """An alembic configuration that finds the migrations packaged with the service."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema of `engine`'s database to the newest migration."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def now() -> datetime:
    """The current time in UTC (stored with its zone)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, so ids sort newest-last across processes."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | secrets.randbits(12) << 64
    value |= 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def is_sqlite(engine: Engine) -> bool:
    """SQLite allows one writer at a time per database file."""
    return engine.url.get_backend_name() == "sqlite"
