"""The audit trail as the regulator reads it: the ``events`` table, filtered, in chain order, in
pages that start where the one before ended (keyset pagination).

The trail is append-only in chain order: the writer inserts each batch's events in (block,
log index) order after every event already stored, and a rollback deletes a suffix of the
trail before indexing forward again. So the ``id`` column rises with (block number, log index),
and every query here walks ``id`` instead of sorting: each single-column index of ``events``
(actor, name, exchange) ends in the row id on SQLite, so ``actor = ? AND id > ? ORDER BY id``
is one index range scan, and the millionth page of an export costs what the first one did.
Positions that leave the store (a page's cursor) are (block number, log index), which survive a
rebuild of the index; :func:`resolve` turns them, and the block and time bounds, into ids.

A time bound becomes a block bound by binary search over the block index (block times never
decrease along the chain), so a time range needs no index of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Engine, Select, and_, func, select, tuple_

from node.store import schema
from node.store.database import read_connection

__all__ = [
    "AuditFilter",
    "AuditRow",
    "Position",
    "Scan",
    "last_event_id",
    "page",
    "read_page",
    "read_scan",
    "resolve",
    "start_scan",
]

_events = schema.events


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which events to read; every field given must match (``names``: any of them).

    Addresses are EIP-55 checksum strings, the listing id 0x-prefixed lower-case hex, the
    exchange a code ("SH"), times unix seconds; block and time bounds are inclusive.
    """

    actor: str | None = None
    exchange: str | None = None
    regulator: str | None = None
    listing: str | None = None
    names: tuple[str, ...] = ()
    contract: str | None = None
    block_from: int | None = None
    block_to: int | None = None
    time_from: int | None = None
    time_to: int | None = None


class Position(NamedTuple):
    """A place in the trail: the event at (block number, log index)."""

    block_number: int
    log_index: int


class AuditRow(NamedTuple):
    """One event of the trail as stored; ``args`` is its JSON text."""

    id: int
    block_number: int
    block_hash: str
    block_time: int
    tx_hash: str
    log_index: int
    contract: str
    name: str
    actor: str | None
    acting_exchange: str | None
    acting_regulator: str | None
    listing_id: str | None
    seq: int | None
    args: str

    @property
    def position(self) -> Position:
        return Position(self.block_number, self.log_index)


@dataclass(frozen=True, slots=True)
class Scan:
    """A filter resolved to the ids it may match: ``first_id`` to ``last_id`` inclusive
    (``first_id > last_id``: nothing matches)."""

    filter: AuditFilter
    first_id: int
    last_id: int

    @property
    def empty(self) -> bool:
        return self.first_id > self.last_id


_COLUMNS = [_events.c[name] for name in AuditRow._fields]
_ORDER = (_events.c.block_number, _events.c.log_index)


def _first_id_from(connection: Connection, position: Position) -> int | None:
    """The id of the first event at or after ``position`` (None: there is none)."""
    found = connection.execute(
        select(_events.c.id)
        .where(tuple_(*_ORDER) >= tuple_(position.block_number, position.log_index))
        .order_by(*_ORDER)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def _last_id_to(connection: Connection, position: Position) -> int | None:
    """The id of the last event at or before ``position`` (None: there is none)."""
    found = connection.execute(
        select(_events.c.id)
        .where(tuple_(*_ORDER) <= tuple_(position.block_number, position.log_index))
        .order_by(_events.c.block_number.desc(), _events.c.log_index.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def _first_block_at(connection: Connection, time: int, low: int, high: int) -> int | None:
    """The lowest block in ``low``..``high`` holding an event at ``time`` or later, by binary
    search (block times never decrease): about log2(high - low) index seeks."""
    found: int | None = None
    while low <= high:
        middle = (low + high) // 2
        row = connection.execute(
            select(_events.c.block_number, _events.c.block_time)
            .where(_events.c.block_number >= middle)
            .order_by(*_ORDER)
            .limit(1)
        ).first()
        if row is None:
            high = middle - 1
        elif row.block_time >= time:
            found, high = int(row.block_number), middle - 1
        else:
            low = int(row.block_number) + 1
    return found


def last_event_id(connection: Connection) -> int:
    """The id of the newest event in the trail (0 when it is empty)."""
    return int(connection.execute(select(func.max(_events.c.id))).scalar() or 0)


def resolve(connection: Connection, where: AuditFilter, after: Position | None = None) -> Scan:
    """The ids that ``where`` may match after ``after``, up to the newest event stored now (so
    a scan that reads page after page ends where the trail ended when it began)."""
    nothing = Scan(where, 1, 0)
    # Two queries: SQLite answers a lone min() or max() from the index, both at once by a scan.
    low = connection.execute(select(func.min(_events.c.block_number))).scalar()
    high = connection.execute(select(func.max(_events.c.block_number))).scalar()
    if low is None or high is None:
        return nothing
    block_from, block_to = where.block_from, where.block_to
    if where.time_from is not None:
        start = _first_block_at(connection, where.time_from, int(low), int(high))
        if start is None:
            return nothing
        block_from = start if block_from is None else max(block_from, start)
    if where.time_to is not None:
        end = _first_block_at(connection, where.time_to + 1, int(low), int(high))
        if end is not None:
            block_to = end - 1 if block_to is None else min(block_to, end - 1)
    start_at = Position(block_from or 0, 0)
    if after is not None:
        start_at = max(start_at, Position(after.block_number, after.log_index + 1))
    first = _first_id_from(connection, start_at)
    if first is None:
        return nothing
    last = last_event_id(connection)
    if block_to is not None:
        if block_to < 0:
            return nothing
        to = _last_id_to(connection, Position(block_to, 2**31 - 1))
        if to is None:
            return nothing
        last = min(last, to)
    return Scan(where, first, last)


def _conditions(where: AuditFilter) -> list[ColumnElement[bool]]:
    c = _events.c
    conditions: list[ColumnElement[bool]] = []
    if where.actor is not None:
        conditions.append(c.actor == where.actor)
    if where.exchange is not None:
        conditions.append(c.acting_exchange == where.exchange)
    if where.regulator is not None:
        conditions.append(c.acting_regulator == where.regulator)
    if where.listing is not None:
        conditions.append(c.listing_id == where.listing)
    if len(where.names) == 1:
        conditions.append(c.name == where.names[0])
    elif where.names:
        conditions.append(c.name.in_(sorted(set(where.names))))
    if where.contract is not None:
        conditions.append(c.contract == where.contract)
    # The id range already holds the block and time bounds; these keep the answer exact even
    # for a trail whose block times were not monotonic.
    if where.block_from is not None:
        conditions.append(c.block_number >= where.block_from)
    if where.block_to is not None:
        conditions.append(c.block_number <= where.block_to)
    if where.time_from is not None:
        conditions.append(c.block_time >= where.time_from)
    if where.time_to is not None:
        conditions.append(c.block_time <= where.time_to)
    return conditions


def _page_statement(scan: Scan, after_id: int, limit: int) -> Select[Any]:
    ids = _events.c.id
    low = max(scan.first_id, after_id + 1)
    return (
        select(*_COLUMNS)
        .where(and_(ids >= low, ids <= scan.last_id, *_conditions(scan.filter)))
        .order_by(ids)
        .limit(limit)
    )


def page(connection: Connection, scan: Scan, *, after_id: int = 0, limit: int) -> list[AuditRow]:
    """Up to ``limit`` events of ``scan`` with an id above ``after_id``, in chain order."""
    if scan.empty or limit <= 0:
        return []
    statement = _page_statement(scan, after_id, limit)
    return [AuditRow(*row) for row in connection.execute(statement)]


def read_page(
    engine: Engine, where: AuditFilter, *, after: Position | None = None, limit: int
) -> list[AuditRow]:
    """One page of the trail (``limit`` events at most) after ``after``, in one read
    transaction."""
    with read_connection(engine) as connection:
        return page(connection, resolve(connection, where, after), limit=limit)


def start_scan(engine: Engine, where: AuditFilter) -> Scan:
    """A scan of everything ``where`` matches now (events indexed later are not part of it)."""
    with read_connection(engine) as connection:
        return resolve(connection, where)


def read_scan(engine: Engine, scan: Scan, *, after_id: int, limit: int) -> Iterator[AuditRow]:
    """The next page of a long scan, row by row as the database returns them (a page is never
    held whole), in its own short read transaction: a long export never holds one open, so
    SQLite's WAL keeps checkpointing and PostgreSQL keeps vacuuming. Consume it in one go."""
    if scan.empty or limit <= 0:
        return
    with read_connection(engine) as connection:
        for row in connection.execute(_page_statement(scan, after_id, limit)):
            yield AuditRow(*row)
