"""`export-screen db upgrade|current|history|backup`: the database schema, its migrations and backups."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from service.cli.output import EXIT_FATAL, EXIT_INVALID, fail
from service.settings import data_location, get_settings
from service.store.backup import BackupError, backup_sqlite
from service.store.database import current_revision, head_revision, make_engine, migration_history, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration to DATABASE_URL (the API also does this at start by default)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        fail(f"migration failed: {exc}", EXIT_FATAL)
    finally:
        engine.dispose()
    typer.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@app.command("current")
def current_command() -> None:
    """The migration the database is at, and whether that is this version's newest (exit 1 if not)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        fail(f"database not reachable: {exc}", EXIT_FATAL)
    finally:
        engine.dispose()
    head = head_revision()
    state = ("up to date" if revision == head
             else f"behind: this version's newest is {head}; run `export-screen db upgrade`")
    typer.echo(f"{revision or '(not migrated)'} ({state}); {data_location(settings)}")
    if revision != head:
        raise typer.Exit(1)


@app.command("history")
def history_command() -> None:
    """Every migration of this version, oldest first."""
    for revision, doc in migration_history():
        typer.echo(f"{revision}  {doc.splitlines()[0] if doc else ''}")


@app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="New file to write the copy to (never overwritten).")],
) -> None:
    """Copy the SQLite database while the service runs (online backup API); PostgreSQL: use pg_dump."""
    settings = get_settings()
    try:
        pages = backup_sqlite(settings.database_url, target)
    except BackupError as exc:
        fail(f"no backup made: {exc}", EXIT_INVALID)
    except sqlite3.Error as exc:
        fail(f"no backup made: {exc}", EXIT_FATAL)
    typer.echo(f"backed up {pages} pages to {target}")
