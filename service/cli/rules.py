"""`export-screen rules check|lock|show|schema`: validate the rule files, approve them, list what is in force."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from service.cli.output import EXIT_FATAL, EXIT_INVALID, fail, rules_failed
from service.engine.countries import UnknownCountryError, normalise_country
from service.engine.rulebook import Rulebook, RulebookError, load_rulebook
from service.engine.rulebook import lock as rulebook_lock
from service.engine.rulebook.book import rule_file_reads
from service.engine.rulebook.models import HsCodesRule
from service.engine.rulebook.schema import rule_file_schema
from service.lists.load import ListLoadError, curated_reads
from service.settings import get_settings

app = typer.Typer(help="Validate and inspect the rulebook.", no_args_is_help=True)

RulesDir = Annotated[Path | None, typer.Option("--rules-dir", help="Rule directory (default: settings).")]


def _load(rules_dir: Path | None) -> Rulebook:
    try:
        return load_rulebook(rules_dir or get_settings().rules_dir)
    except RulebookError as exc:
        rules_failed(exc)


@app.command("check")
def check(rules_dir: RulesDir = None) -> None:
    """Validate every rule file; print a summary or the first error with file and line."""
    rulebook = _load(rules_dir)
    typer.echo(f"rulebook {rulebook.version}: {len(rulebook.rules)} rules in {len(rulebook.files)} files")
    for rule in rulebook.rules:
        codes = f", {len(rulebook.codes_of(rule))} codes" if isinstance(rule, HsCodesRule) else ""
        windows = ", ".join(
            f"{c} {w.starts}{'..' + str(w.until) if w.until else '+'}" for c, w in (rule.effective or {}).items()
        ) or "always"
        typer.echo(
            f"  {rule.id:<28} {rule.kind:<18} {rule.action.value:<6} {rule.verification.value:<10} {windows}{codes}"
        )
    typer.echo(f"controlled countries: {', '.join(sorted(rulebook.controlled_countries()))}")
    typer.echo(_lock_state(rules_dir or get_settings().rules_dir))


def _lock_state(directory: Path) -> str:
    """One line: does the lock approve these rule files and curated lists, and if not, what changed."""
    lists_dir = get_settings().lists_dir
    try:
        rulebook_lock.verify(directory, rule_file_reads(directory))
        rulebook_lock.verify_curated(directory, lists_dir, curated_reads(lists_dir))
    except RulebookError as exc:
        return f"lock: NOT APPROVED, screening is refused until the rules are locked: {exc}"
    except ListLoadError as exc:
        return f"lock: the curated lists cannot be read: {exc}"
    return f"lock: {rulebook_lock.lock_path(directory)} approves these files and the curated lists in {lists_dir}"


@app.command("lock")
def lock(rules_dir: RulesDir = None) -> None:
    """Approve the rule files and curated lists as they are now: write rules.lock.json (files, ids, hashes)."""
    directory = rules_dir or get_settings().rules_dir
    rulebook = _load(directory)  # only a rulebook that loads can be approved
    previous = None
    try:
        previous = rulebook_lock.read_lock(directory)
    except RulebookError as exc:
        typer.echo(f"replacing an unreadable lock: {exc}", err=True)
    reads = rule_file_reads(directory)
    try:
        curated = curated_reads(get_settings().lists_dir)
    except ListLoadError as exc:
        rules_failed(exc)
    if previous is not None:
        for change in [*rulebook_lock.differences(previous, reads),
                       *rulebook_lock.curated_differences(previous, curated)]:
            typer.echo(f"  approved change: {change}")
    try:
        path = rulebook_lock.write_lock(directory, rulebook_lock.lock_of(rulebook.version, reads, curated))
    except OSError as exc:
        fail(f"the lock could not be written: {exc}", EXIT_FATAL)
    typer.echo(f"locked rulebook {rulebook.version}: {len(rulebook.rules)} rules in {len(rulebook.files)} files "
               f"-> {path}")


@app.command("show")
def show(
    country: Annotated[str, typer.Option("--country", help="Destination country (code or name).")],
    on: Annotated[str | None, typer.Option("--date", help="Date (YYYY-MM-DD); default today.")] = None,
    rules_dir: RulesDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the rules in force for a country on a date."""
    try:
        alpha2 = normalise_country(country)
        day = date.fromisoformat(on) if on else date.today()
    except (UnknownCountryError, ValueError) as exc:
        fail(f"--country/--date: {exc}", EXIT_INVALID)
    rulebook = _load(rules_dir)
    rules = rulebook.in_force(alpha2, day)
    if as_json:
        payload = {"country": alpha2, "date": day.isoformat(), "version": rulebook.version,
                   "rules": [rule.model_dump(mode="json", by_alias=True) for rule in rules]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"rules in force for {alpha2} on {day} (rulebook {rulebook.version}):")
    for rule in rules:
        typer.echo(f"  {rule.id:<28} {rule.action.value:<6} {rule.title}")
        if isinstance(rule, HsCodesRule):
            codes = rulebook.codes_of(rule)
            typer.echo(f"      {len(codes)} codes: {', '.join(entry.code for entry in codes)}")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a rule file (committed as docs/rule-file.schema.json)."""
    typer.echo(json.dumps(rule_file_schema(), indent=2, ensure_ascii=False))
