"""Column values shared by several handlers, and the check that row changes fit the schema.

:func:`check_changes` holds every row change a handler returns against ``node.store.schema``:
the table exists, a key is the table's primary key, each column exists, each value has the
column's Python type (int for Integer/BigInteger, bool for Boolean, str for String/Text) and
fits it (BIGINT's range, a String's length), and a row that may be inserted carries every
column that has no default. So an event whose values the index cannot hold is refused at the
projection stage, with the column named, rather than stored wrong (SQLite stores anything).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Table

from node.events import DecodedEvent, Increment, Insert, RowChange, Update, Upsert
from node.projections.errors import ProjectionError
from node.store import schema
from onelist.eip712 import POLICY_FIELDS

UINT64_MAX = (1 << 64) - 1
INT64_MAX = (1 << 63) - 1
INT32_MAX = (1 << 31) - 1


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


#: (Solidity field, column) of the Policy struct, in struct order.
POLICY_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, snake_case(name)) for name, _ in POLICY_FIELDS
)


def until_value(until: int) -> int:
    """A suspension's end as stored: type(uint64).max ("until reinstated") → ``INDEFINITE``."""
    return schema.INDEFINITE if until == UINT64_MAX else until


def policy_columns(record: Mapping[str, Any]) -> dict[str, Any]:
    """The policy columns of a listing record (plain args): the bitmask of granting exchanges, a
    uint256, as decimal text."""
    policy = record["policy"]
    values = {column: policy[field] for field, column in POLICY_COLUMNS}
    values["granting_exchanges"] = str(policy["grantingExchanges"])
    return values


def _text(value: Any, limit: int | None = None) -> str | None:
    if isinstance(value, str) and (limit is None or len(value) <= limit):
        return value
    return None


def _fen(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT64_MAX:
        return value
    return None


def catalogue_columns(event: DecodedEvent) -> dict[str, Any]:
    """The catalogue columns of a Listed/VersionPublished event.

    The catalogue is the provider's free JSON (the contracts only carry it): a field of the
    wrong type or size is left NULL in its own column and kept in ``catalogue``, the whole
    object as JSON, so it never stops the listing from being indexed.
    """
    cat = event.catalogue
    if cat is None:
        return {
            "title": None,
            "description": None,
            "keywords": None,
            "category": None,
            "product_form": None,
            "price_fen": None,
            "catalogue": None,
            "catalogue_error": event.catalogue_error,
        }
    keywords = cat.get("keywords")
    keywords_json = json.dumps(keywords, ensure_ascii=False) if isinstance(keywords, list) else None
    return {
        "title": _text(cat.get("title")),
        "description": _text(cat.get("description")),
        "keywords": keywords_json,
        "category": _text(cat.get("category")),
        "product_form": _text(cat.get("product_form"), 32),
        "price_fen": _fen(cat.get("price_fen")),
        "catalogue": json.dumps(cat, ensure_ascii=False, sort_keys=True),
        "catalogue_error": None,
    }


# ----------------------------------------------------------------------------- the schema check


@dataclass(frozen=True, slots=True)
class _Column:
    kind: type[Any]  # int | bool | str
    low: int
    high: int  # the largest int, or the longest str (0: unlimited)
    nullable: bool
    required: bool  # an insert must give it (not nullable, no default)


def _column(column: Any) -> _Column:
    typ = column.type
    kind: type[Any]
    if isinstance(typ, Boolean):
        kind, low, high = bool, 0, 0
    elif isinstance(typ, BigInteger):
        kind, low, high = int, -INT64_MAX - 1, INT64_MAX
    elif isinstance(typ, Integer):
        kind, low, high = int, -INT32_MAX - 1, INT32_MAX
    elif isinstance(typ, String):
        kind, low, high = str, 0, typ.length or 0
    else:  # pragma: no cover - the schema uses no other type
        raise TypeError(f"{column}: unsupported column type {typ!r}")
    nullable = bool(column.nullable)
    has_default = column.default is not None or column.server_default is not None
    return _Column(kind, low, high, nullable, not nullable and not has_default)


@dataclass(frozen=True, slots=True)
class _Table:
    columns: Mapping[str, _Column]
    primary_key: frozenset[str]
    required: frozenset[str]


def _table(table: Table) -> _Table:
    columns = {c.name: _column(c) for c in table.columns}
    return _Table(
        columns=columns,
        primary_key=frozenset(c.name for c in table.primary_key.columns),
        required=frozenset(name for name, c in columns.items() if c.required),
    )


TABLES: dict[str, _Table] = {t.name: _table(t) for t in schema.PROJECTED_TABLES}
"""The projected tables' columns, read once from ``node.store.schema``."""


def _check_value(table: str, name: str, column: _Column | None, value: Any) -> None:
    where = f"{table}.{name}"
    if column is None:
        raise ProjectionError("no such column", where=where)
    if value is None:
        if column.nullable:
            return
        raise ProjectionError("NULL in a NOT NULL column", where=where)
    if type(value) is not column.kind:
        raise ProjectionError(
            f"{value!r} is of type {type(value).__name__}, the column holds {column.kind.__name__}",
            where=where,
        )
    if column.kind is int and not column.low <= value <= column.high:
        raise ProjectionError(f"{value} is out of the column's range", where=where)
    if column.kind is str and column.high and len(value) > column.high:
        raise ProjectionError(f"{value!r} is longer than {column.high} characters", where=where)


def _check_row(table: str, spec: _Table, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        _check_value(table, name, spec.columns.get(name), value)


def _check_key(table: str, spec: _Table, key: Mapping[str, Any]) -> None:
    if set(key) != spec.primary_key:
        primary = ", ".join(sorted(spec.primary_key))
        raise ProjectionError(
            f"key ({', '.join(key)}) is not the primary key ({primary})",
            where=table,
        )
    _check_row(table, spec, key)


def _check_insertable(table: str, spec: _Table, row: Mapping[str, Any]) -> None:
    missing = spec.required - set(row)
    if missing:
        raise ProjectionError(f"row lacks {', '.join(sorted(missing))}", where=table)


def _check_change(change: RowChange) -> None:
    """The full check of one change, in the order that names the first problem."""
    spec = TABLES.get(change.table)
    if spec is None:
        raise ProjectionError("not a projected table", where=change.table)
    if isinstance(change, Insert):
        _check_row(change.table, spec, change.values)
        _check_insertable(change.table, spec, change.values)
    elif isinstance(change, Upsert):
        _check_key(change.table, spec, change.key)
        _check_row(change.table, spec, change.values)
        _check_insertable(change.table, spec, {**change.key, **change.values})
    elif isinstance(change, Update):
        _check_key(change.table, spec, change.key)
        _check_row(change.table, spec, change.values)
    elif isinstance(change, Increment):
        _check_key(change.table, spec, change.key)
        _check_row(change.table, spec, change.amounts)


#: (kind, low, high, nullable) of each column a change names, in the order it names them.
_Columns = tuple[tuple[type[Any], int, int, bool], ...]

#: Per change shape (type, table, key columns, value columns): the columns its values go to,
#: once the shape itself (table, columns, key, required columns) passed the full check.
_SHAPES: dict[tuple[type[Any], str, tuple[str, ...], tuple[str, ...]], _Columns] = {}


def _names(change: RowChange) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if isinstance(change, Insert):
        return (), tuple(change.values)
    if isinstance(change, Increment):
        return tuple(change.key), tuple(change.amounts)
    return tuple(change.key), tuple(change.values)


def _values(change: RowChange) -> list[Any]:
    if isinstance(change, Insert):
        return list(change.values.values())
    if isinstance(change, Increment):
        return [*change.key.values(), *change.amounts.values()]
    return [*change.key.values(), *change.values.values()]


def _fits(columns: _Columns, values: list[Any]) -> bool:
    for (kind, low, high, nullable), value in zip(columns, values, strict=True):
        if value is None:
            if not nullable:
                return False
        elif type(value) is not kind:
            return False
        elif kind is int:
            if not low <= value <= high:
                return False
        elif high and kind is str and len(value) > high:
            return False
    return True


def _shape_columns(change: RowChange, key: tuple[str, ...], names: tuple[str, ...]) -> _Columns:
    """The columns of a change whose shape is known to be right (the table exists, its key is
    the primary key, every column exists and an insert carries the required ones)."""
    spec = TABLES[change.table]
    return tuple(
        (column.kind, column.low, column.high, column.nullable)
        for column in (spec.columns[name] for name in (*key, *names))
    )


def _shape_is_right(change: RowChange, key: tuple[str, ...], names: tuple[str, ...]) -> bool:
    spec = TABLES.get(change.table)
    if spec is None or any(name not in spec.columns for name in (*key, *names)):
        return False
    if not isinstance(change, Insert) and set(key) != spec.primary_key:
        return False
    return not isinstance(change, Insert | Upsert) or spec.required <= {*key, *names}


def check_changes(changes: Iterable[RowChange]) -> None:
    """Raise :class:`ProjectionError` naming the first value that does not fit its column.

    The indexer checks every row change of every event, so the checks that depend only on a
    change's shape (its table, key and columns) run once per shape; each value is then held
    against its column's type and range. A change that fails either is checked again in full,
    so that the error names the same first problem.
    """
    for change in changes:
        key, names = _names(change)
        signature = (type(change), change.table, key, names)
        columns = _SHAPES.get(signature)
        if columns is None:
            if not _shape_is_right(change, key, names):
                _check_change(change)  # raises, naming the problem
                continue  # pragma: no cover - a wrong shape always raises
            columns = _SHAPES[signature] = _shape_columns(change, key, names)
        if not _fits(columns, _values(change)):
            _check_change(change)
