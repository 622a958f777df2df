"""`export-screen screen FILE.json`: one declaration in, one verdict out."""

from __future__ import annotations

import dataclasses
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from service.cli.output import EXIT_INVALID, fail, print_verdict_text, rules_failed
from service.engine.declaration import Declaration
from service.engine.errors import describe_validation_error
from service.engine.rulebook import RulebookError
from service.engine.screen import screen
from service.lists.load import ListLoadError
from service.runtime import load_context
from service.settings import get_settings


class Format(StrEnum):
    """Output formats."""

    JSON = "json"
    TEXT = "text"


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}", EXIT_INVALID)


def screen_command(
    file: Annotated[str, typer.Argument(help="Declaration as JSON, or - for stdin.")],
    output_format: Annotated[Format, typer.Option("--format", help="json or text.")] = Format.JSON,
    retrospective: Annotated[bool, typer.Option(
        "--retrospective",
        help="Audit a past shipment: rules as of its export date, without the review for a past export date.",
    )] = False,
) -> None:
    """Screen one declaration and print the verdict. Exit 0 whenever a verdict was produced."""
    try:
        declaration = Declaration.model_validate_json(_read(file))
    except ValidationError as exc:
        fail(f"invalid declaration: {describe_validation_error(exc)}", EXIT_INVALID)
    try:
        context = load_context(get_settings())
    except (RulebookError, ListLoadError) as exc:
        rules_failed(exc)
    verdict = screen(declaration, dataclasses.replace(context, retrospective=retrospective))
    if output_format is Format.TEXT:
        print_verdict_text(verdict)
    else:
        typer.echo(json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, indent=2))
