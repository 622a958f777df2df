"""`export-screen db upgrade`: bring the database schema to the newest migration."""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from service.cli.output import EXIT_FATAL, fail
from service.settings import get_settings
from service.store.database import make_engine, upgrade

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
