"""Appending rows through a compiled INSERT stores exactly what SQLAlchemy's own INSERT stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Date, DateTime, Engine, Integer, MetaData, String, Table, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.types import TypeEngine
from sqlmodel import Session

from service.engine.declaration import Declaration
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext, screen
from service.settings import Settings
from service.stamps import stamp_of
from service.store.appending import Appender, _checked, compile_append
from service.store.database import make_engine, upgrade
from service.store.outbox import EVENTS, event_rows, screening_events
from service.store.review_queue import FACETS, QUEUE, queue_rows
from service.store.screening_parties import party_rows
from service.store.screenings import SCREENINGS, NewScreening, add_screenings, new_screening
from service.store.workflow_tables import SCREENING_PARTIES
from tests.engine.conftest import EmptyList

RULES = Path(__file__).resolve().parents[2] / "rules"
TABLES = (SCREENINGS, SCREENING_PARTIES, QUEUE, FACETS, EVENTS)


def _held_screenings() -> list[dict[str, Any]]:
    """Screenings as the service records them: held, with findings whose texts are not all ASCII, and no
    client request id or Idempotency-Key (NULL in their columns)."""
    context = ScreeningContext(rulebook=load_rulebook(RULES), parties=EmptyList(), retrospective=True)
    rows = []
    for number, (destination, code) in enumerate([("RU", "847130"), ("TR", "854231"), ("BY", "846229")]):
        declaration = Declaration.model_validate({
            "reference": f"INV-{number}-Ünïcode 出口", "export_date": "2024-06-20", "destination_country": destination,
            "consignee": {"name": "Anatolia Lojistik A.S.", "country": "TR"},
            "end_user": {"name": "Volga Instruments OOO", "country": "RU"},
            "items": [{"hs_code": code, "description": "goods — parts", "quantity": 5, "unit_value": 100,
                       "currency": "USD"}],
        })
        verdict = screen(declaration, context)
        rows.append(new_screening(declaration=declaration.model_dump(mode="json"), verdict=verdict,
                                  stamp=stamp_of(Settings()), caller_key_id="k1", request_id=f"r{number}").values)
    assert all(row["verdict"] in ("review", "block") and row["findings"] for row in rows)
    return rows


def _stored(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the appended tables as the driver reads it back, ids left out (the event ids differ)."""
    stored = {}
    for table in TABLES:
        kept = [column.name for column in table.columns if column.name != "id"]
        rows = connection.exec_driver_sql(f"SELECT {', '.join(kept)} FROM {table.name}").all()
        stored[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return stored


def _append_all(connection: Connection, screenings: list[dict[str, Any]], append: Any) -> None:
    append(connection, SCREENINGS, screenings)
    append(connection, SCREENING_PARTIES, party_rows(screenings))
    queued, facets = queue_rows(screenings)
    append(connection, QUEUE, queued)
    append(connection, FACETS, facets)
    events = event_rows(screening_events(screenings))
    for event, row in zip(events, screenings, strict=True):
        event["created_at"] = row["screened_at"]
    append(connection, EVENTS, events)


def _through_sqlalchemy(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(table), rows)


def _through_appender(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    Appender(table)(connection, rows)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def defaulted() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def test_the_stored_rows_are_the_same_as_sqlalchemys(engine: Engine) -> None:
    screenings = _held_screenings()
    stored = []
    for append in (_through_sqlalchemy, _through_appender):
        with engine.connect() as connection:
            transaction = connection.begin()
            _append_all(connection, screenings, append)
            stored.append(_stored(connection))
            transaction.rollback()
    assert all(stored[0][table.name] for table in TABLES)
    assert stored[1] == stored[0]


def test_the_service_records_through_compiled_statements(engine: Engine) -> None:
    screenings = _held_screenings()
    with Session(engine) as session:
        add_screenings(session, [_as_new(values) for values in screenings])
        session.commit()
        compiled = {table.name: compile_append(table, session.connection().dialect, tuple(rows[0]))
                    for table, rows in ((SCREENINGS, screenings), (SCREENING_PARTIES, party_rows(screenings)))}
        assert all(value is not None for value in compiled.values())
        assert session.connection().exec_driver_sql("SELECT count(*) FROM screening_parties").scalar() == 6


def _as_new(values: dict[str, Any]) -> NewScreening:
    return NewScreening(values["id"], values["screened_at"], values, {})


def test_a_driver_error_is_sqlalchemys(engine: Engine) -> None:
    append = Appender(SCREENING_PARTIES)
    unknown = [{"screening_id": "none such", "reference": "A", "role": "consignee", "name": "N", "country": None,
                "export_date": date(2024, 1, 1)}]
    with engine.connect() as connection, connection.begin(), pytest.raises(IntegrityError):
        append(connection, unknown)  # no such screening: the foreign key holds
    events = event_rows(screening_events(_held_screenings()))
    with engine.connect() as connection, connection.begin():
        Appender(EVENTS)(connection, events)
        with pytest.raises(IntegrityError):
            Appender(EVENTS)(connection, events[:1])  # the same id again


METADATA = MetaData()
DEFAULTED = Table("defaulted", METADATA, Column("id", Integer, primary_key=True), Column("name", String(20)),
                  Column("kind", String(10), default="plain"))


def test_a_python_default_left_out_is_filled_by_sqlalchemy(defaulted: Engine) -> None:
    assert compile_append(DEFAULTED, defaulted.dialect, ("id", "name")) is None
    assert compile_append(DEFAULTED, defaulted.dialect, ("id", "name", "kind")) is not None
    with defaulted.begin() as connection:
        Appender(DEFAULTED)(connection, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        Appender(DEFAULTED)(connection, [{"id": 3, "name": "c", "kind": "given"}])
        rows = connection.exec_driver_sql("SELECT id, name, kind FROM defaulted ORDER BY id").all()
    assert [tuple(row) for row in rows] == [(1, "a", "plain"), (2, "b", "plain"), (3, "c", "given")]


@pytest.mark.parametrize("rows", [
    [{"id": 4, "name": "d", "kind": "k"}, {"id": 5, "name": "e"}],  # a column fewer
    [{"id": 4, "name": "d", "kind": "k"}, {"id": 5, "name": "e", "other": "x"}],  # another column instead
])
def test_rows_of_another_shape_are_refused_as_sqlalchemy_refuses_them(defaulted: Engine,
                                                                     rows: list[dict[str, Any]]) -> None:
    with defaulted.begin() as connection, pytest.raises(StatementError, match="A value is required"):
        Appender(DEFAULTED)(connection, rows)


def test_the_statement_returns_nothing(engine: Engine) -> None:
    # (compiled for one row, PostgreSQL's INSERT into a table with a generated key would return it)
    keys = ("screening_id", "reference", "role", "name", "country", "export_date")
    compiled = compile_append(SCREENING_PARTIES, engine.dialect, keys)
    assert compiled is not None and "RETURNING" not in compiled.sql


class _Moment(datetime):
    """A datetime subclass: left to SQLAlchemy's own processor."""


class _Day(date):
    """A date subclass: left to SQLAlchemy's own processor."""


@pytest.mark.parametrize(("column_type", "value"), [
    *((DateTime(timezone=True), value) for value in (
        datetime(2026, 12, 6, 15, 4, 5, 123456, tzinfo=UTC),
        datetime(2026, 12, 6, 15, 4, 5, tzinfo=UTC),  # (no microseconds: still written, as six zeros)
        datetime(2026, 12, 6, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=8))),  # (the zone is left out)
        datetime(2026, 1, 2, 3, 4, 5, 6), datetime(999, 1, 1), datetime(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), date(2024, 6, 14), _Moment(2026, 12, 6, 1, 2, 3),
        None)),
    *((Date(), value) for value in (date(2024, 6, 14), date(999, 1, 2), date(1, 1, 1), date(9999, 12, 31),
                                    datetime(2024, 6, 14, 8, 30, tzinfo=UTC), _Day(2024, 6, 14), None)),
])
def test_sqlite_dates_and_times_are_bound_as_sqlalchemy_binds_them(column_type: TypeEngine[Any], value: object) -> None:
    dialect = sqlite.dialect()
    usual = column_type.dialect_impl(dialect).bind_processor(dialect)
    table = Table(f"timed_{type(column_type).__name__}", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", column_type))
    compiled = compile_append(table, dialect, ("id", "at"))
    assert usual is not None and compiled is not None
    process = dict(compiled.columns)["at"]
    assert process is not None and process.__module__ == "service.store.appending"  # (the quicker one is in use)
    assert process(value) == usual(value)


def test_a_quicker_processor_that_writes_otherwise_is_not_used() -> None:
    def usual(value: object) -> str:
        return f"usual {value}"

    assert _checked(lambda value: f"quick {value}", usual, 1) is usual
    assert _checked(usual, lambda value: f"usual {value}", 1) is usual
