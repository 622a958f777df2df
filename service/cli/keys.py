"""`export-screen keys create|list`: API keys; the secret is printed once and only its hash is stored."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.cli.output import EXIT_FATAL, fail
from service.settings import data_location, get_settings
from service.store.database import make_engine, upgrade
from service.store.keys import Role, create_key, list_keys, revoke_key

app = typer.Typer(help="Create and list API keys.", no_args_is_help=True)


def _session() -> Session:
    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        fail(f"database not reachable or not migratable: {exc}", EXIT_FATAL)
    return Session(engine, expire_on_commit=False)


@app.command("create")
def create(
    role: Annotated[Role, typer.Option("--role", help="screener, reviewer or admin.")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key, e.g. 'SAP PRD'.")] = "",
) -> None:
    """Create a key and print its secret (shown only this once)."""
    with _session() as session:
        row, secret = create_key(session, role, name or f"{role.value} key")
        session.commit()
    typer.echo(secret)
    typer.echo(f"key {row.id} ({row.role}, {row.name!r}) created; store the secret now, it is not shown again.",
               err=True)
    typer.echo(f"the key is valid for the service using this database ({data_location(get_settings())})", err=True)


@app.command("list")
def list_command() -> None:
    """List keys: id, role, creation time, name, and whether revoked (never the secret)."""
    with _session() as session:
        for row in list_keys(session):
            revoked = f"  revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
            typer.echo(f"{row.id}  {row.role:<8}  {row.created_at:%Y-%m-%d %H:%M}  {row.name}{revoked}")


@app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from `keys list`).")]) -> None:
    """Revoke a key: the API refuses it within seconds; its id stays in the audit trail."""
    with _session() as session:
        if not revoke_key(session, key_id):
            fail(f"no key with id {key_id!r}", 2)
        session.commit()
    typer.echo(f"key {key_id} revoked")
