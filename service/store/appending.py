"""Appending many rows to an append-only table: an INSERT compiled once, its values bound as SQLAlchemy binds them.

Recording a screening appends its row, its parties, its queue row and facets and its webhook event, and
the audit writer does that for every group of answers. Through `Connection.execute(insert(table), rows)`
SQLAlchemy looks the compiled statement up in its cache, builds each row's parameters from its bind
parameters and runs every column's bind processor through generic code: per held screening, that cost
more of the writer's interpreter time than the driver's own executemany. Here the statement is compiled
once per dialect and set of columns, and each row's values go through the same bind processors (the
column types' own, for this dialect: JSON as text or as the driver's JSON, dates and times as SQLite
stores them) straight into `exec_driver_sql`, which still wraps the driver's errors as SQLAlchemy's.

A table with a column default computed in Python (which `execute` would fill in) is appended the usual way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any]  # a column type's bind processor: a value as the driver takes it


@dataclass(frozen=True)
class CompiledAppend:
    """An INSERT of a fixed set of columns in a dialect's SQL, with each column's bind processor."""

    sql: str
    columns: tuple[tuple[str, Processor | None], ...]  # in the order the statement binds them
    positional: bool  # the driver takes a tuple per row (SQLite's "?"), not a mapping (psycopg's named)

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Each row's values, processed for the driver, in the statement's order or by name."""
        columns = self.columns
        if self.positional:
            return [tuple([row[key] if process is None else process(row[key]) for key, process in columns])
                    for row in rows]
        return [{key: row[key] if process is None else process(row[key]) for key, process in columns}
                for row in rows]


class Appender:
    """Appends rows (dicts with the same keys) to `table` on a connection, in its transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._compiled: dict[tuple[str, str, tuple[str, ...]], CompiledAppend | None] = {}
        self.statement = insert(table)

    def __call__(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        appending = self.bound(connection.dialect, rows)
        if appending is not None:
            appending.run(connection)

    def bound(self, dialect: Dialect, rows: Sequence[dict[str, Any]]) -> Appending | None:
        """The rows with their values bound for `dialect`, to append later (None: no rows). Binding runs
        every column's processor (JSON written as text, dates and times): done before the write, it is no
        part of the time a writer holds SQLite's one write lock."""
        if not rows:
            return None
        keys = tuple(rows[0])
        cache_key = (dialect.name, dialect.driver, keys)
        try:
            compiled = self._compiled[cache_key]
        except KeyError:
            compiled = self._compiled[cache_key] = compile_append(self.table, dialect, keys)
        return Appending(self, rows, compiled, _bound(compiled, rows, len(keys)))


@dataclass(frozen=True)
class Appending:
    """Rows for one table with their values bound for one dialect (Appender.bound), ready to append."""

    appender: Appender
    rows: Sequence[dict[str, Any]]
    compiled: CompiledAppend | None
    parameters: list[Any] | None  # (None: SQLAlchemy binds them, see run)

    def run(self, connection: Connection) -> None:
        """Append the rows on `connection`, in its transaction (of the dialect they were bound for)."""
        compiled, parameters = self.compiled, self.parameters
        if compiled is None or parameters is None:
            # a Python default to fill in, or rows of another shape: SQLAlchemy fills it in, or says what is wrong
            connection.execute(self.appender.statement, list(self.rows))
            return
        connection.exec_driver_sql(compiled.sql, parameters if len(parameters) > 1 else parameters[0])


def _bound(compiled: CompiledAppend | None, rows: Sequence[dict[str, Any]], width: int) -> list[Any] | None:
    """The rows' parameters for `compiled`; None if there is none, or a row has other columns than the first."""
    if compiled is None or any(len(row) != width for row in rows):
        return None
    try:
        return compiled.parameters(rows)
    except KeyError:  # a row with another column instead of one of the first row's
        return None


def compile_append(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> CompiledAppend | None:
    """The INSERT of these columns for `dialect`; None where it cannot bind them all itself (a column
    left out has a Python-side default, or the statement binds anything but the columns)."""
    columns = table.columns
    if any(column.key not in keys and (column.default is not None or column.onupdate is not None)
           for column in columns):
        return None
    # compiled for many rows, as SQLAlchemy's executemany is: for one row PostgreSQL's INSERT would also
    # return the generated key, which nobody reads
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    positional = bool(dialect.positional)
    order = tuple(compiled.positiontup or ()) if positional else keys
    if set(compiled.binds) != set(keys) or set(order) != set(keys) or len(order) != len(keys):
        return None
    processors = tuple((key, _processor(columns[key].type.dialect_impl(dialect), dialect)) for key in order)
    return CompiledAppend(sql=str(compiled), columns=processors, positional=positional)


def _processor(impl: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    """The column type's bind processor; for SQLite's dates and times in their default text, one that
    writes the same text with `isoformat`. SQLAlchemy's fills a %-format from a dict of the fields (about
    8,000 instructions a datetime), and a held screening binds three datetimes and four dates."""
    process = impl.bind_processor(dialect)
    if process is None:
        return None
    if isinstance(impl, SQLITE_DATETIME) and impl._storage_format == SQLITE_DATETIME._storage_format:
        return _checked(_written(datetime, _datetime_text, process), process,
                        datetime(2024, 6, 14, 8, 30, 5, 12, tzinfo=UTC))
    if isinstance(impl, SQLITE_DATE) and impl._storage_format == SQLITE_DATE._storage_format:
        return _checked(_written(date, date.isoformat, process), process, date(2024, 6, 14))
    return process  # (a custom storage format is SQLAlchemy's to write)


def _checked(quick: Processor, usual: Processor, probe: Any) -> Processor:
    """`quick` if it writes `probe` as `usual` does, else `usual` (a type of SQLAlchemy's that stores
    its values otherwise, in a version to come)."""
    return quick if quick(probe) == usual(probe) else usual


def _written(kind: type, write: Callable[[Any], str], usual: Processor) -> Processor:
    """`usual` (SQLAlchemy's processor), but a value of exactly `kind` written by `write` (None, a subclass,
    another type: as SQLAlchemy writes them)."""
    def process(value: Any) -> Any:
        return write(value) if type(value) is kind else usual(value)
    return process


def _datetime_text(value: datetime) -> str:
    """The datetime as SQLite's DATETIME stores it, YYYY-MM-DD HH:MM:SS.ffffff: its zone left out as
    SQLAlchemy leaves it out (isoformat's first 26 characters, for years 1 to 9999)."""
    return value.isoformat(" ", "microseconds")[:26]
