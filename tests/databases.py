"""Fresh databases for the store and API tests: SQLite, and PostgreSQL when it answers.

Both are created by the alembic migrations (never by `create_all`), once per test session; each test then
gets an empty copy (SQLite: a copy of the migrated file; PostgreSQL: the session's own schema, truncated).
PostgreSQL tests skip when the server does not answer, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from service.store.database import make_engine, upgrade

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def migrated_sqlite(directory: Path) -> Path:
    """A SQLite file with the schema at head."""
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def fresh_sqlite(template: Path, directory: Path) -> str:
    """The URL of an empty, migrated SQLite database of this test's own."""
    path = directory / "test.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def postgres_schema() -> Iterator[str]:
    """A schema of this test session's own, migrated; yields a URL whose search_path points at it."""
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} does not answer (CI=true, so this fails): {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} does not answer")
    schema = f"t_{secrets.token_hex(6)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def empty_postgres(url: str) -> None:
    """Remove every row the previous test left, in every table but alembic's."""
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        )).scalars().all()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
