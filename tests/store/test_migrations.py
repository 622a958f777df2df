"""The alembic migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import secrets
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from service.store.database import (
    current_revision,
    head_revision,
    make_engine,
    migration_history,
    register_tables,
    upgrade,
)
from tests.databases import POSTGRES_URL


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, register_tables())
    engine.dispose()
    assert differences == []


def test_upgrade_is_repeatable(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)  # already at head: nothing to do, no error
    engine.dispose()


def _migrate(url: str, start: Any) -> str:
    """One process's start-up migration (run in a spawned process; the error text, or "")."""
    engine = make_engine(url)
    start.wait()
    try:
        upgrade(engine)
    except Exception as exc:  # reported to the test, which shows it
        return f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
    return ""


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_processes_starting_together_on_a_fresh_database_migrate_it_once(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        schema = None
    else:
        admin = make_engine(POSTGRES_URL)
        schema = f"race_{secrets.token_hex(4)}"
        try:
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except OperationalError:
            pytest.skip("PostgreSQL does not answer")
        url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, context.Pool(3) as pool:
            start = manager.Barrier(3)
            errors = pool.starmap(_migrate, [(url, start)] * 3)
        assert errors == ["", "", ""]
        engine = make_engine(url)
        assert current_revision(engine) == head_revision()
        engine.dispose()
    finally:
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def test_the_history_runs_from_the_first_migration_to_head() -> None:
    history = migration_history()
    assert history[0][0] == "0001" and history[-1][0] == head_revision()
    assert all(doc for _, doc in history)


@pytest.mark.postgres
def test_large_values_are_compressed_with_lz4_on_postgresql(postgres_url: str) -> None:
    # (pglz, the default, cost the database server about 65 µs of CPU a held screening's findings, lz4 25)
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        if not connection.exec_driver_sql(
                "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                "AND 'lz4' = ANY(enumvals))").scalar():
            engine.dispose()
            pytest.skip("this PostgreSQL server has no lz4: the migration leaves pglz in place")
        methods = dict(connection.execute(text(
            "SELECT attrelid::regclass::text || '.' || attname, attcompression FROM pg_attribute "
            "WHERE attrelid IN ('screenings'::regclass, 'idempotency_records'::regclass) AND attnum > 0")).all())
    engine.dispose()
    assert {column: methods[column] for column in ("screenings.findings", "screenings.declaration",
                                                    "screenings.result", "idempotency_records.body")} == {
        "screenings.findings": "l", "screenings.declaration": "l", "screenings.result": "l",
        "idempotency_records.body": "l"}
