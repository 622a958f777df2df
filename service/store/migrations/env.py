"""Alembic environment: runs on a connection handed in by `service.store.database.upgrade`, or on the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from service.store.database import register_tables

target_metadata = register_tables()
config = context.config


def run() -> None:
    """Run the migrations online (this service never emits offline SQL scripts)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
