"""The `export-screen` command: thin typer shells around the engine, one module per command group."""

from __future__ import annotations

import typer

from service.cli import audit, batch, database, keys, lists, parties, rules, screening, serve

app = typer.Typer(
    name="export-screen",
    help="Screen export declarations against Taiwan's Russia/Belarus controls and denied-party lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("screen")(screening.screen_command)
app.add_typer(rules.app, name="rules")
app.add_typer(lists.app, name="lists")
app.add_typer(parties.app, name="parties")
app.command("batch")(batch.batch_command)
app.command("serve")(serve.serve_command)
app.add_typer(keys.app, name="keys")
app.add_typer(database.app, name="db")
app.add_typer(audit.app, name="audit")


def main() -> None:
    """Console-script entry point."""
    app()
