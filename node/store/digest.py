"""A digest of the index's content, equal on SQLite and PostgreSQL for equal content.

Covered: every state table (``PROJECTED_TABLES``), the ``events`` audit trail and the dead
letters; not the indexer's bookkeeping (the cursor and block headers, which depend on how far
and in which steps a node indexed) nor what is not content (autoincrement ids, the time a dead
letter was written). Rows are read in key order (primary key; ``events`` and ``dead_letters``
by chain, block, log index and transaction), strings compared byte-wise (``COLLATE "C"`` on
PostgreSQL, SQLite's default), and each value written as JSON by its column's type (integers
as integers, booleans as booleans, text as text), so the bytes hashed do not depend on the
database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Connection, Integer, String, Table, select
from sqlalchemy.sql.elements import ColumnElement

from node.store import schema

if TYPE_CHECKING:
    from node.store.writer import Store

__all__ = [
    "DIGEST_TABLES",
    "Difference",
    "IndexDigest",
    "TableDigest",
    "compute_digest",
    "first_difference",
    "table_rows",
]

#: The tables a digest covers, in the order it hashes and compares them.
DIGEST_TABLES: tuple[Table, ...] = (*schema.PROJECTED_TABLES, schema.events, schema.dead_letters)

_EXCLUDED = {"events": {"id"}, "dead_letters": {"id", "created_at"}}
_NATURAL_KEYS = {
    "events": ("chain_id", "block_number", "log_index", "tx_hash"),
    "dead_letters": ("chain_id", "block_number", "log_index", "tx_hash"),
}
_STREAM = 5000


@dataclass(frozen=True, slots=True)
class TableDigest:
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class IndexDigest:
    """The index's digest (``hexdigest``, SHA-256) and each covered table's row count and
    digest."""

    hexdigest: str
    tables: Mapping[str, TableDigest]

    def first_difference(
        self, other: IndexDigest, stores: tuple[Store, Store] | None = None
    ) -> Difference | None:
        """:func:`first_difference` of this digest and ``other``."""
        return first_difference(self, other, stores)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.hexdigest,
            "tables": {
                name: {"rows": table.rows, "sha256": table.sha256}
                for name, table in self.tables.items()
            },
        }


@dataclass(frozen=True, slots=True)
class Difference:
    """Where two indexes first differ: a table, and the key of its first differing row when
    the stores were at hand."""

    table: str
    key: Mapping[str, Any] | None
    detail: str

    def __str__(self) -> str:
        if self.key is None:
            return f"{self.table}: {self.detail}"
        key = ", ".join(f"{name}={value!r}" for name, value in self.key.items())
        return f"{self.table} [{key}]: {self.detail}"


def _columns(table: Table) -> list[Column[Any]]:
    excluded = _EXCLUDED.get(table.name, set())
    return [column for column in table.c if column.name not in excluded]


def _key_columns(table: Table) -> tuple[str, ...]:
    return _NATURAL_KEYS.get(table.name) or tuple(c.name for c in table.primary_key.columns)


def _converter(column: Column[Any]) -> Callable[[Any], Any]:
    if isinstance(column.type, Boolean):
        return bool
    if isinstance(column.type, Integer):
        return int
    if isinstance(column.type, String):  # Text too
        return str
    raise TypeError(f"{column.table.name}.{column.name}: no canonical form for {column.type!r}")


def _ordered(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


def table_rows(connection: Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    """The table's covered columns, canonical values, in key order (key columns first)."""
    keys = _key_columns(table)
    columns = [table.c[name] for name in keys]
    columns += [column for column in _columns(table) if column.name not in keys]
    converters = [_converter(column) for column in columns]
    order = [_ordered(table.c[name], connection.dialect.name) for name in keys]
    result = connection.execute(
        select(*columns).order_by(*order).execution_options(yield_per=_STREAM)
    )
    for row in result:
        yield tuple(
            None if value is None else convert(value)
            for convert, value in zip(converters, row, strict=True)
        )


def _column_names(table: Table) -> list[str]:
    keys = _key_columns(table)
    return [*keys, *(column.name for column in _columns(table) if column.name not in keys)]


def _line(row: tuple[Any, ...]) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def compute_digest(connection: Connection) -> IndexDigest:
    tables: dict[str, TableDigest] = {}
    overall = hashlib.sha256()
    for table in DIGEST_TABLES:
        digest = hashlib.sha256(_line((table.name, *_column_names(table))))
        count = 0
        for row in table_rows(connection, table):
            digest.update(_line(row))
            count += 1
        tables[table.name] = TableDigest(count, digest.hexdigest())
        overall.update(f"{table.name} {count} {digest.hexdigest()}\n".encode())
    return IndexDigest(overall.hexdigest(), tables)


def first_difference(
    a: IndexDigest, b: IndexDigest, stores: tuple[Store, Store] | None = None
) -> Difference | None:
    """The first covered table whose digests differ, or None when the digests are equal.
    Given the two stores the digests came from, also the key of the first differing row."""
    if a.hexdigest == b.hexdigest:
        return None
    for table in DIGEST_TABLES:
        left, right = a.tables.get(table.name), b.tables.get(table.name)
        if left == right:
            continue
        summary = (
            f"{left.rows if left else 0} rows (sha256 {left.sha256[:12] if left else '-'}) vs "
            f"{right.rows if right else 0} rows (sha256 {right.sha256[:12] if right else '-'})"
        )
        if stores is None:
            return Difference(table.name, None, summary)
        found = _first_row_difference(table, stores)
        return found or Difference(table.name, None, summary)
    return Difference("index", None, f"sha256 {a.hexdigest[:12]} vs {b.hexdigest[:12]}")


def _first_row_difference(table: Table, stores: tuple[Store, Store]) -> Difference | None:
    names = _column_names(table)
    width = len(_key_columns(table))
    with stores[0].engine.connect() as first, stores[1].engine.connect() as second:
        left_rows, right_rows = table_rows(first, table), table_rows(second, table)
        left, right = next(left_rows, None), next(right_rows, None)
        while left is not None or right is not None:
            if left is not None and right is not None and left[:width] == right[:width]:
                if left != right:
                    changed = [
                        f"{name}: {x!r} vs {y!r}"
                        for name, x, y in zip(names, left, right, strict=True)
                        if x != y
                    ]
                    return Difference(table.name, _key(names, left, width), "; ".join(changed))
                left, right = next(left_rows, None), next(right_rows, None)
            elif right is None or (left is not None and left[:width] < right[:width]):
                assert left is not None
                return Difference(table.name, _key(names, left, width), "only in the first")
            else:
                return Difference(table.name, _key(names, right, width), "only in the second")
    return None


def _key(names: list[str], row: tuple[Any, ...], width: int) -> dict[str, Any]:
    return dict(zip(names[:width], row[:width], strict=True))
