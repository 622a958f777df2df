"""Shared output helpers for the CLI: JSON on stdout, errors on stderr, readable verdict tables."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from service.engine.rulebook import RulebookError
from service.engine.verdict import Verdict
from service.lists.load import ListLoadError

EXIT_INVALID = 2  # the input was invalid
EXIT_FATAL = 3  # rules, lists or storage could not be loaded: nothing was screened


def fail(message: str, code: int) -> NoReturn:
    """Print an error on stderr and exit with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def invalid_settings(exc: ValidationError) -> NoReturn:
    """The environment holds a setting that does not validate: name each such variable, its value and
    what it accepts, instead of a traceback."""
    accepted: dict[str, tuple[object, list[str]]] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        variable = field if field.isupper() else f"EXPORT_SCREEN_{field.upper()}"
        accepted.setdefault(variable, (error.get("input"), []))[1].append(error["msg"])
    problems = [f"{variable}={given!r}: {' or '.join(messages)}" for variable, (given, messages) in accepted.items()]
    fail(f"invalid settings, nothing done: {'; '.join(problems)}", EXIT_INVALID)


def rules_failed(exc: RulebookError | ListLoadError) -> NoReturn:
    """The rulebook or a denied-party list is broken: refuse to screen anything."""
    what = "rules" if isinstance(exc, RulebookError) else "denied-party lists"
    fail(f"{what} could not be loaded, nothing screened: {exc}", EXIT_FATAL)


def print_verdict_text(verdict: Verdict) -> None:
    """A readable summary and a findings table."""
    console = Console(file=sys.stdout, width=140)
    console.print(f"[bold]{verdict.reference}[/bold]: {verdict.verdict.value.upper()} "
                  f"(risk {verdict.risk_score}) - rulebook {verdict.rulebook.version} as of {verdict.rulebook.as_of}"
                  f"{' (retrospective)' if verdict.rulebook.retrospective else ''}")
    table = Table("action", "rule", "line/party", "message", show_lines=True)
    for finding in verdict.findings:
        where = str(finding.item_line or finding.party_role or "")
        table.add_row(finding.action.value, finding.rule_id, where, finding.message)
    console.print(table)
