"""SQL for the planned operations, built once per shape, and run with the fewest round trips.

Parameters go to the driver as tuples through ``exec_driver_sql`` (one ``executemany`` per
group: SQLite runs it in process, psycopg pipelines it), and large plain inserts into
PostgreSQL use ``COPY``; SQLAlchemy's per-row parameter processing is skipped, so values must
already be what the driver takes: ints, bools, str and None (see :func:`column_value`).
Columns with a Python-side default (``default=0`` in the schema) get it here when an insert
or upsert leaves them out, as SQLAlchemy would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, exc
from sqlalchemy.engine import Dialect

from node.store import schema
from node.store.plan import Op, Shape

__all__ = ["COPY_MIN_ROWS", "Compiled", "Statements", "column_value"]

#: Plain inserts into PostgreSQL of at least this many rows go through COPY.
COPY_MIN_ROWS = 64

_PLAIN = frozenset({int, str, bool, type(None)})


def column_value(value: Any) -> Any:
    """A value as a column takes it: JSON text for dicts and lists (sorted keys, UTF-8 as it
    is), 0x-hex for bytes, everything else as it is."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping | list | tuple):
        plain = list(value) if isinstance(value, tuple) else value
        return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return value


def _plain(value: Any) -> Any:
    return value if type(value) in _PLAIN else column_value(value)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A shape's SQL and how to draw its parameters from an operation."""

    shape: Shape
    sql: str
    params: Callable[[Op], tuple[Any, ...]]
    counted: bool  # an UPDATE: every parameter set must match one row
    copy: str | None  # COPY … FROM STDIN for plain inserts into PostgreSQL


def _defaults(table: Table, given: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    names, values = [], []
    for column in table.c:
        default = column.default
        if column.name in given or default is None or not getattr(default, "is_scalar", False):
            continue
        names.append(column.name)
        values.append(getattr(default, "arg", None))
    return names, tuple(values)


def check_columns(table_name: str, columns: Sequence[str]) -> str | None:
    """Why a change naming these columns of this table cannot be applied, or None."""
    table = schema.metadata.tables.get(table_name)
    if table is None:
        return f"unknown table {table_name!r}"
    unknown = [name for name in columns if name not in table.c]
    if unknown:
        return f"{table_name} has no column {', '.join(map(repr, unknown))}"
    return None


class Statements:
    """The compiled statements of one database dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect.name
        self._quote = dialect.identifier_preparer.quote
        self._mark = "?" if self.dialect == "sqlite" else "%s"
        self._cache: dict[Shape, Compiled] = {}

    def compiled(self, shape: Shape) -> Compiled:
        found = self._cache.get(shape)
        if found is None:
            found = self._cache[shape] = self._compile(shape)
        return found

    def _marks(self, count: int) -> str:
        return ", ".join([self._mark] * count)

    def _compile(self, shape: Shape) -> Compiled:
        kind, name, key, values = shape
        table = schema.metadata.tables[name]
        q = self._quote
        target = q(name)
        if kind == "modify":
            sets = [column for column in values if not column.startswith("+")]
            adds = [column[1:] for column in values if column.startswith("+")]
            assignments = [f"{q(c)} = {self._mark}" for c in sets]
            assignments += [f"{q(c)} = {q(c)} + {self._mark}" for c in adds]
            where = " AND ".join(f"{q(c)} = {self._mark}" for c in key)
            sql = f"UPDATE {target} SET {', '.join(assignments)} WHERE {where}"

            def modify(op: Op) -> tuple[Any, ...]:
                set_values, amounts, key_values = op.values, op.adds, op.key
                return (
                    *[_plain(set_values[c]) for c in sets],
                    *[amounts[c] for c in adds],
                    *[_plain(key_values[c]) for c in key],
                )

            return Compiled(shape, sql, modify, True, None)

        defaults, default_values = _defaults(table, (*key, *values))
        columns = [*key, *values, *defaults]
        listed = ", ".join(q(c) for c in columns)
        sql = f"INSERT INTO {target} ({listed}) VALUES ({self._marks(len(columns))})"
        copy = None
        if kind == "upsert":
            conflict = ", ".join(q(c) for c in key)
            if values:
                updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in values)
                sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
            else:
                sql += f" ON CONFLICT ({conflict}) DO NOTHING"
        elif self.dialect == "postgresql":
            copy = f"COPY {target} ({listed}) FROM STDIN"

        def row(op: Op) -> tuple[Any, ...]:
            key_values, row_values = op.key, op.values
            drawn = [key_values[c] for c in key]
            drawn += [row_values[c] for c in values]
            if not _PLAIN.issuperset(map(type, drawn)):
                drawn = [column_value(value) for value in drawn]
            return (*drawn, *default_values)

        return Compiled(shape, sql, row, False, copy)

    def insert_shape(self, table: Table, columns: Sequence[str]) -> Compiled:
        """A plain insert of these columns (the rows are given as tuples, not operations)."""
        return self.compiled(("insert", table.name, (), tuple(columns)))

    def execute(
        self, connection: Connection, compiled: Compiled, rows: list[tuple[Any, ...]]
    ) -> int:
        """Run the statement for every parameter set; the number of rows it touched."""
        if compiled.copy is not None and len(rows) >= COPY_MIN_ROWS:
            driver: Any = connection.connection.driver_connection
            dbapi: Any = connection.dialect.loaded_dbapi
            try:
                with driver.cursor() as cursor, cursor.copy(compiled.copy) as copy:
                    for row in rows:
                        copy.write_row(row)
            except dbapi.Error as error:  # what SQLAlchemy would raise for the statement
                raise exc.DBAPIError.instance(
                    compiled.copy, None, error, dbapi.Error, dialect=connection.dialect
                ) from error
            return len(rows)
        result = connection.exec_driver_sql(compiled.sql, rows if len(rows) > 1 else rows[0])
        return result.rowcount
