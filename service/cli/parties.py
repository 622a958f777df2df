"""`export-screen parties match NAME`: screen one party name against the denied-party lists, as JSON.
`export-screen parties import FILE`: register the customers and suppliers of an ERP master as monitored
parties, each screened at once and again on every list change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from service.batch.columns import MappingError
from service.cli.output import EXIT_FATAL, EXIT_INVALID, fail, rules_failed
from service.engine.countries import UnknownCountryError, normalise_country
from service.engine.errors import shown_value
from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import FORMATS, ListReadError, default_list_name, read_list
from service.engine.party_names import clean_party_name
from service.engine.rulebook import RulebookError
from service.engine.verdict import ListStamp
from service.lists.load import ListLoadError, load_entries
from service.runtime import build_party_index, load_context
from service.settings import Settings, get_settings
from service.store.database import make_engine, upgrade
from service.workflow.registration import register_master

app = typer.Typer(help="Screen party names against the denied-party lists.", no_args_is_help=True)


@app.command("match")
def match(
    name: Annotated[str, typer.Argument(help="The party name to screen.")],
    country: Annotated[str | None, typer.Option("--country", help="The party's country (supporting evidence).")] = None,
    lists: Annotated[list[str] | None, typer.Option(
        "--list", help=f"FORMAT:PATH of a list file to use instead of the configured lists ({', '.join(FORMATS)}); "
                       "repeatable.")] = None,
) -> None:
    """Print {"query", "hits": [{list, entry_id, matched_name, score, action, explanation}]}, best first."""
    settings = get_settings()
    try:
        name = clean_party_name(name)
    except ValueError as exc:
        fail(f"NAME {shown_value(name)!r}: {exc}", EXIT_INVALID)
    try:
        party_country = normalise_country(country) if country else None
    except UnknownCountryError as exc:
        fail(f"--country: {exc}", EXIT_INVALID)
    entries, stamps = _given_lists(lists) if lists else _configured(settings)
    index = build_party_index(settings, entries, stamps)
    hits = index.match(name, party_country)
    typer.echo(json.dumps({
        "query": name,
        "country": party_country,
        "lists": [stamp.model_dump() for stamp in stamps],
        "hits": [{"list": hit.list_name, "entry_id": hit.entry_id, "listed_name": hit.listed_name,
                  "matched_name": hit.matched_name, "score": hit.score, "action": hit.action.value,
                  "explanation": hit.explanation} for hit in hits],
    }, ensure_ascii=False, indent=2))


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The customer or supplier master (CSV; see docs/workflow.md).")],
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="Input encoding (default: BOM, else UTF-8, else CP950).")] = None,
) -> None:
    """Register or update every usable row as a monitored party and screen it; print a JSON summary.

    Exit 0 when every row was read (row errors are listed in the summary), 2/3 when nothing could run.
    """
    settings = get_settings()
    try:
        context = load_context(settings)
    except (RulebookError, ListLoadError) as exc:
        rules_failed(exc)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        summary = register_master(engine, context, file, encoding)
    except MappingError as exc:
        fail(f"{file}: {exc}", EXIT_INVALID)
    except (OSError, LookupError) as exc:
        fail(f"{file}: cannot read: {exc}", EXIT_INVALID)
    except SQLAlchemyError as exc:
        fail(f"database not reachable or not writable: {exc}", EXIT_FATAL)
    finally:
        engine.dispose()
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


def _configured(settings: Settings) -> tuple[list[ListEntry], list[ListStamp]]:
    try:
        return load_entries(settings)
    except ListLoadError as exc:
        fail(f"lists could not be loaded, nothing screened: {exc}", EXIT_FATAL)


def _given_lists(specs: list[str]) -> tuple[list[ListEntry], list[ListStamp]]:
    """Read each FORMAT:PATH given on the command line."""
    entries: list[ListEntry] = []
    stamps: list[ListStamp] = []
    for spec in specs:
        list_format, separator, path_text = spec.partition(":")
        if not separator or list_format not in FORMATS:
            fail(f"--list {spec!r}: expected FORMAT:PATH with FORMAT one of {', '.join(FORMATS)}", EXIT_INVALID)
        path = Path(path_text)
        try:
            read = read_list(list_format, path, default_list_name(list_format, path))
        except (ListReadError, OSError, ValueError) as exc:
            fail(f"--list {spec!r} could not be read, nothing screened: {exc}", EXIT_FATAL)
        entries.extend(read.entries)
        stamps.append(ListStamp(name=read.entries[0].source_list if read.entries else list_format,
                                version=f"file:{path}", entries=len(read.entries)))
    return entries, stamps
