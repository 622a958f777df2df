"""The `export-screen` command: thin typer shells around the engine, one module per command group."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from service.cli import audit, batch, database, keys, lists, parties, rules, screening, serve, worker
from service.cli.output import invalid_settings
from service.logs import configure_logging
from service.settings import get_settings

app = typer.Typer(
    name="export-screen",
    help="Screen export declarations against Taiwan's Russia/Belarus controls and denied-party lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _logging() -> None:
    """(Every command logs warnings and errors with time, level and source, as `serve` does.)"""
    try:
        settings = get_settings()
    except ValidationError as exc:
        invalid_settings(exc)
    configure_logging(settings.log_format, "WARNING" if settings.log_level in ("DEBUG", "INFO") else settings.log_level)


app.command("screen")(screening.screen_command)
app.add_typer(rules.app, name="rules")
app.add_typer(lists.app, name="lists")
app.add_typer(parties.app, name="parties")
app.command("batch")(batch.batch_command)
app.command("serve")(serve.serve_command)
app.command("worker")(worker.worker_command)
app.add_typer(keys.app, name="keys")
app.add_typer(database.app, name="db")
app.add_typer(audit.app, name="audit")


def main() -> None:
    """Console-script entry point."""
    app()
