"""The only writer of the node's index: batches of events, their row changes and the cursor,
each in one transaction; rollbacks that re-derive the state tables from the stored events.

Exactly once: a batch commits its events, row changes, block headers, dead letters and the new
cursor together, or nothing. A batch whose end the cursor has already reached is skipped, so
replaying a range changes nothing and an Increment is never applied twice; a batch that starts
at or before the cursor but ends after it is refused (it would apply some events twice).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, Protocol

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    UniqueConstraint,
    delete,
    exc,
    func,
    select,
    text,
)
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from node.events import BlockHeader, DecodedEvent, Increment, Insert, RawLog, RowChange, Update
from node.store import schema
from node.store.database import (
    is_unavailable,
    open_engine,
    read_connection,
    write_transaction,
)
from node.store.digest import IndexDigest, compute_digest
from node.store.errors import RowChangeError, StoreError
from node.store.plan import Group, Op, Shape, coalesce, op_of, plan
from node.store.statements import Compiled, Statements, check_columns
from onelist.catalogue import CatalogueError, decode_catalogue

__all__ = [
    "Cursor",
    "DeadLetter",
    "PreparedBatch",
    "PreparedBatchFailed",
    "Rejection",
    "Store",
    "WriteBatch",
    "dumps",
    "event_from_row",
    "prepare_batch",
    "prepare_changes",
    "split_projected",
]

#: Events with a public catalogue in ``args["catalogue"]`` (0x-hex of the on-chain bytes).
CATALOGUE_EVENTS = frozenset({"Listed", "VersionPublished"})
#: Events read back per round trip when a rollback replays the ``events`` table.
REPLAY_CHUNK = 5000
#: Batches with at least this many row changes plan them in a worker thread while the events
#: are inserted.
OVERLAP_MIN_CHANGES = 2000
_LATEST_DEAD_LETTERS = 5


def dumps(value: object) -> str:
    """The JSON text the store writes: sorted keys, UTF-8 as it is, no spaces."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


_INT64_MIN = -(1 << 63)
_UINT64_MAX = (1 << 64) - 1


def _fragments(value: Any) -> Any:
    """``value`` with each integer orjson cannot hold (beyond 64 bits) as a JSON fragment of
    its decimal digits, which is how :mod:`json` writes it."""
    if type(value) is int and not _INT64_MIN <= value <= _UINT64_MAX:
        return orjson.Fragment(str(value))
    if isinstance(value, Mapping):
        return {key: _fragments(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fragments(item) for item in value]
    return value


def args_json(args: Mapping[str, Any]) -> str:
    """:func:`dumps` of an event's args, through orjson (several times faster; the audit trail
    writes one per event). For the values args hold (str, int, bool, None, lists and dicts:
    ABI values have no floats) orjson writes exactly what :func:`dumps` does: sorted keys,
    UTF-8 as it is, the same escapes (tests compare the two). Integers beyond 64 bits (a
    licence's packed ``split``) go in as fragments; anything else orjson refuses (a lone
    surrogate) is left to :func:`dumps`."""
    try:
        return orjson.dumps(args, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        pass
    # First the arguments themselves (a licence's split), then every nested value.
    shallow = {
        name: orjson.Fragment(str(value))
        if type(value) is int and not _INT64_MIN <= value <= _UINT64_MAX
        else value
        for name, value in args.items()
    }
    for attempt in (lambda: shallow, lambda: _fragments(args)):
        try:
            return orjson.dumps(attempt(), option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            continue
    return dumps(args)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


class Cursor(NamedTuple):
    """The last block fully indexed: every event up to it is stored, none after it."""

    chain_id: int
    block_number: int
    block_hash: bytes


class Rejection(Protocol):
    """A log the pipeline could not take (decode, project or store), and why."""

    @property
    def log(self) -> RawLog: ...

    @property
    def stage(self) -> str: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A :class:`Rejection`: the log, the stage that refused it (decode | project | store) and
    the reason."""

    log: RawLog
    stage: str
    reason: str


def split_projected(
    projected: Iterable[tuple[DecodedEvent, Sequence[RowChange]]],
) -> tuple[list[DecodedEvent], list[RowChange], list[int]]:
    """(event, its row changes) pairs as a batch holds them: the events, all their changes in
    order, and each change's owner (its event's position)."""
    events: list[DecodedEvent] = []
    changes: list[RowChange] = []
    owners: list[int] = []
    for event, event_changes in projected:
        owners.extend([len(events)] * len(event_changes))
        changes.extend(event_changes)
        events.append(event)
    return events, changes, owners


@dataclass(frozen=True, slots=True)
class WriteBatch:
    """What one transaction commits: a block range's events (in chain order), their row changes
    (in event order), the range's block headers, the logs rejected in it (dead letters), and the
    new cursor (``chain_id``, ``block_number``, ``block_hash``).

    ``first_block`` is the range's first block (default: the lowest block the batch mentions);
    ``owners``, when given, holds for each change the position of its event in ``events``, so
    that a :class:`RowChangeError` names the event (:meth:`projected` fills it in).
    """

    chain_id: int
    block_number: int
    block_hash: bytes
    events: Sequence[DecodedEvent] = ()
    changes: Sequence[RowChange] = ()
    blocks: Sequence[BlockHeader] = ()
    rejected: Sequence[Rejection] = ()
    first_block: int | None = None
    owners: Sequence[int] = ()

    @classmethod
    def projected(
        cls,
        cursor: Cursor,
        projected: Iterable[tuple[DecodedEvent, Sequence[RowChange]]],
        *,
        blocks: Sequence[BlockHeader] = (),
        rejected: Sequence[Rejection] = (),
        first_block: int | None = None,
    ) -> WriteBatch:
        """A batch from (event, its row changes) pairs, with ``owners`` filled in."""
        events, changes, owners = split_projected(projected)
        return cls(
            *cursor,
            events=events,
            changes=changes,
            blocks=blocks,
            rejected=rejected,
            first_block=first_block,
            owners=owners,
        )

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.chain_id, self.block_number, self.block_hash)

    def start(self) -> int | None:
        """The range's first block, when the batch says or mentions one."""
        if self.first_block is not None:
            return self.first_block
        numbers = [event.block_number for event in self.events]
        numbers += [header.number for header in self.blocks]
        numbers += [rejection.log.block_number for rejection in self.rejected]
        return min(numbers, default=None)


def _check_bounds(
    target: Cursor, chain_id: int, block_number: int, tx_hash: str, log_index: int
) -> None:
    """Refuse an event of another chain, or after the block the batch ends at."""
    if chain_id != target.chain_id or block_number > target.block_number:
        raise StoreError(
            f"event {tx_hash}#{log_index} (chain {chain_id}, block {block_number}) lies outside "
            f"the batch ending at chain {target.chain_id} block {target.block_number}"
        )


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch's events and row changes made ready to run for one SQL dialect (by
    :func:`prepare_batch`, in the process that decoded them): the ``events`` rows, and each
    group's statement shape with its parameter rows, in order. Plain tuples, so that it
    crosses to another process cheaply; :meth:`Store.apply_prepared` runs it."""

    dialect: str
    event_rows: list[tuple[Any, ...]]
    steps: list[tuple[Shape, list[tuple[Any, ...]]]]


def prepare_batch(
    statements: Statements,
    events: Sequence[DecodedEvent],
    changes: Sequence[RowChange],
    owners: Sequence[int],
) -> PreparedBatch:
    """What :meth:`Store.apply_batch` would run for these events and changes, as plain rows;
    :class:`RowChangeError` for a change no database could apply."""
    prepared = prepare_changes(statements, changes, owners, events)
    return PreparedBatch(
        statements.dialect,
        [_event_row(event) for event in events],
        [(compiled.shape, rows) for _, compiled, rows in prepared.steps],
    )


# ----------------------------------------------------------------------------- rows

#: The columns of ``events`` a batch writes, in the order of :func:`_event_row`.
EVENT_COLUMNS = (
    "chain_id",
    "block_number",
    "block_hash",
    "block_time",
    "tx_hash",
    "log_index",
    "contract",
    "name",
    "actor",
    "acting_exchange",
    "acting_regulator",
    "listing_id",
    "seq",
    "args",
)


#: Where an event row holds what :func:`_check_bounds` reads.
_CHAIN_ID, _BLOCK_NUMBER, _TX_HASH, _LOG_INDEX = (
    EVENT_COLUMNS.index(name) for name in ("chain_id", "block_number", "tx_hash", "log_index")
)


def _event_row(event: DecodedEvent) -> tuple[Any, ...]:
    return (
        event.chain_id,
        event.block_number,
        event.block_hash,
        event.block_time,
        event.tx_hash,
        event.log_index,
        event.contract,
        event.name,
        event.actor,
        event.acting_exchange,
        event.acting_regulator,
        event.listing_id,
        event.seq,
        args_json(event.args),
    )


def _catalogue(name: str, args: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    if name not in CATALOGUE_EVENTS:
        return None, None
    raw = args.get("catalogue")
    if not isinstance(raw, str):
        return None, None
    try:
        return decode_catalogue(bytes.fromhex(raw.removeprefix("0x"))), None
    except CatalogueError as error:
        return None, error.message  # as node.decode says it
    except ValueError as error:
        return None, f"catalogue is not hex: {error}"


def event_from_row(row: Mapping[str, Any] | RowMapping) -> DecodedEvent:
    """The :class:`DecodedEvent` a row of ``events`` was written from; the catalogue of
    ``Listed`` and ``VersionPublished`` is decoded again from ``args["catalogue"]``."""
    args = json.loads(row["args"])
    catalogue, catalogue_error = _catalogue(row["name"], args)
    return DecodedEvent(
        chain_id=row["chain_id"],
        block_number=row["block_number"],
        block_hash=row["block_hash"],
        block_time=row["block_time"],
        tx_hash=row["tx_hash"],
        log_index=row["log_index"],
        contract=row["contract"],
        name=row["name"],
        args=args,
        actor=row["actor"],
        acting_exchange=row["acting_exchange"],
        acting_regulator=row["acting_regulator"],
        listing_id=row["listing_id"],
        seq=row["seq"],
        catalogue=catalogue,
        catalogue_error=catalogue_error,
    )


#: Block headers are upserted: after a rollback, a number may come back with another hash.
_BLOCKS_UPSERT = ("upsert", "blocks", ("number",), ("hash", "parent_hash", "timestamp"))


def _dead_letter_row(chain_id: int, rejection: Rejection, now: int) -> dict[str, Any]:
    log = rejection.log
    return {
        "chain_id": chain_id,
        "block_number": log.block_number,
        "block_hash": _hex(log.block_hash),
        "tx_hash": _hex(log.tx_hash),
        "log_index": log.log_index,
        "address": log.address,
        "topics": dumps([_hex(topic) for topic in log.topics]),
        "data": _hex(log.data),
        "stage": rejection.stage,
        "reason": rejection.reason,
        "created_at": now,
    }


# ----------------------------------------------------------------------------- changes


@cache
def _identity(name: str) -> tuple[str, ...] | None:
    """A table's primary key columns, or None when another unique constraint could make the
    order of changes to different rows matter."""
    table = schema.metadata.tables.get(name)
    if table is None:
        return None
    if any(isinstance(constraint, UniqueConstraint) for constraint in table.constraints):
        return None
    if any(index.unique for index in table.indexes):
        return None
    return tuple(column.name for column in table.primary_key.columns)


_Signature = tuple[type, str, tuple[str, ...], tuple[str, ...]]


def _signature(change: RowChange) -> _Signature:
    if isinstance(change, Insert):
        return (Insert, change.table, (), tuple(change.values))
    if isinstance(change, Increment):
        return (Increment, change.table, tuple(change.key), tuple(change.amounts))
    return (type(change), change.table, tuple(change.key), tuple(change.values))


@cache
def _problem(signature: _Signature) -> str | None:
    """Why changes of this signature cannot be applied, before any SQL runs, or None."""
    kind, table, key, values = signature
    if kind is not Insert and not key:
        return "a change of an existing row needs a key"
    if kind is Insert and not values:
        return "nothing to insert"
    if kind in (Update, Increment) and not values:
        return "nothing to change"
    return check_columns(table, (*key, *values))


_PLAIN = frozenset({int, str, bool, type(None)})


def _insert_rows(
    compiled: Compiled, changes: Sequence[RowChange], positions: Sequence[int]
) -> list[tuple[Any, ...]]:
    """The parameters of the plain Inserts at ``positions`` of ``changes``, all of one shape:
    each row's values in the order its dict holds them (the shape's order, as every change
    has the same columns in the same order), then the defaults the statement adds; what
    ``compiled.params`` draws from each one's insert operation, without the operation or a
    lookup per column. A row with a value the driver does not take as it is goes through
    ``params``."""
    if not positions:
        return []
    table = compiled.shape[1]

    def op(index: int) -> Op:
        return Op("insert", table, {}, changes[index].values, {}, None, [index])  # type: ignore[union-attr]

    width = len(changes[positions[0]].values)  # type: ignore[union-attr]
    defaults = compiled.params(op(positions[0]))[width:]
    rows = []
    plain = _PLAIN.issuperset
    for index in positions:
        row = (*changes[index].values.values(), *defaults)  # type: ignore[union-attr]
        rows.append(row if plain(map(type, row)) else compiled.params(op(index)))
    return rows


def prepare_changes(
    statements: Statements,
    changes: Sequence[RowChange],
    owners: Sequence[int],
    events: Sequence[DecodedEvent],
) -> _Prepared:
    """Check, coalesce and group the changes and draw each statement's parameters: pure
    Python, no SQL (so it may run beside a statement). Raises :class:`RowChangeError` for
    a change no database could apply (an unknown table or column, no key)."""
    by_table: dict[str, list[int]] = {}  # table → its changes' positions, in order
    appended: dict[str, _Signature | None] = {}  # table → its one insert shape, or None
    for index, change in enumerate(changes):
        signature = _signature(change)
        problem = _problem(signature)
        if problem is not None:
            raise _row_change_error(changes, owners, events, index, problem)
        table = change.table
        positions = by_table.get(table)
        if positions is None:
            by_table[table] = [index]
            appended[table] = signature if signature[0] is Insert else None
            continue
        positions.append(index)
        shape = appended[table]
        if shape is not None and shape != signature:
            appended[table] = None
    # Tables in the order the batch first touches them, each table's groups in order:
    # changes to different tables commute (see node.store.plan), so planning each table's
    # changes apart makes the groups plan() makes of them all. A table the batch only
    # inserts into, with one shape, is one group of every insert in order: what plan()
    # makes of it (a row inserted twice fails in either, and the culprit search finds the
    # same change), its rows drawn straight from the changes, without an Op per row.
    # listing_terms, about two thirds of a backfill's row changes, is one.
    steps = []
    for table, positions in by_table.items():
        shape = appended[table]
        if shape is not None:
            group = Group.of_inserts(("insert", table, (), shape[3]), changes, positions)
            compiled = statements.compiled(group.shape)
            steps.append((group, compiled, _insert_rows(compiled, changes, positions)))
            continue
        ops = coalesce([changes[index] for index in positions], _identity)
        for op in ops:  # positions in the table's changes → positions in ``changes``
            op.origins = [positions[origin] for origin in op.origins]
        for group in plan(ops):
            compiled = statements.compiled(group.shape)
            steps.append((group, compiled, [compiled.params(op) for op in group.ops]))
    return _Prepared(changes, owners, events, steps)


class PreparedBatchFailed(StoreError):
    """A statement of a :class:`PreparedBatch` failed and its transaction was rolled back;
    the batch it was made of, applied itself, names the change."""


class _GroupFailed(Exception):
    """A group of changes failed outside a savepoint: which change, only an isolated attempt
    can tell."""


class _Failed(Exception):
    """A change failed: its position in the batch and why."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Changes ready to run: each group with its statement and parameter sets, in order."""

    changes: Sequence[RowChange]
    owners: Sequence[int]
    events: Sequence[DecodedEvent]
    steps: list[tuple[Group, Compiled, list[tuple[Any, ...]]]]


def _row_change_error(
    changes: Sequence[RowChange],
    owners: Sequence[int],
    events: Sequence[DecodedEvent],
    index: int,
    reason: str,
) -> RowChangeError:
    change = changes[index]
    owner = owners[index] if index < len(owners) else None
    event = events[owner] if owner is not None and owner < len(events) else None
    where = f" (event {event.name} {event.tx_hash}#{event.log_index})" if event else ""
    return RowChangeError(
        f"{_describe(change)}: {reason}{where}",
        table=change.table,
        change=change,
        change_index=index,
        event=event,
    )


def _describe(change: RowChange) -> str:
    kind = type(change).__name__
    if isinstance(change, Insert):
        return f"{kind} into {change.table}"
    key = ", ".join(f"{name}={value!r}" for name, value in change.key.items())
    return f"{kind} of {change.table}[{key}]"


def _detail(error: BaseException) -> str:
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        error = error.orig
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


# ----------------------------------------------------------------------------- store


class Store:
    """The node's SQL index over a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        if self._dialect not in ("sqlite", "postgresql"):
            raise StoreError(f"unsupported database dialect {self._dialect!r}")
        self._statements = Statements(engine.dialect)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at ``url`` and migrate it to the newest schema."""
        from node.store.migrate import upgrade

        engine = open_engine(url)
        try:
            if migrate:
                upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def dialect(self) -> str:
        """The SQL dialect: ``sqlite`` or ``postgresql``."""
        return self._dialect

    @property
    def engine(self) -> Engine:
        return self._engine

    def cap_sqlite_cache(self, kib: int) -> None:
        """Give each SQLite connection of this store at most ``kib`` KiB of page cache (the
        engine's default is 64 MiB); nothing on PostgreSQL. A backfill process holds jieba's
        dictionary and two ranges of events besides, and issue #4 bounds its peak at 300 MB.
        Pooled connections are closed, so that every connection from now on has the cap."""
        if self._dialect != "sqlite":
            return
        statement = f"PRAGMA cache_size=-{int(kib)}"

        @sqlalchemy_event.listens_for(self._engine, "connect")
        def _cap(dbapi_connection: Any, _record: object) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()

        self._engine.dispose()

    def close(self) -> None:
        """Close the engine's pooled connections (the store can still be used afterwards)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- writing

    def apply_batch(self, batch: WriteBatch) -> bool:
        """Commit the batch in one transaction; False when the index already holds it.

        Raises :class:`RowChangeError` when a row change cannot be applied (nothing of the
        batch is kept), :class:`StoreError` when the batch does not follow the cursor, and
        :class:`StoreUnavailableError` when the database cannot be reached.
        """
        try:
            return self._apply_batch(batch, isolated=False)
        except _GroupFailed:
            # The fast attempt ran its groups without savepoints, so it cannot say which
            # change failed; its transaction is rolled back. Again, each group isolated: the
            # same batch fails the same way and this time names the change.
            return self._apply_batch(batch, isolated=True)

    def _apply_batch(self, batch: WriteBatch, *, isolated: bool) -> bool:
        target = batch.cursor
        for event in batch.events:
            _check_bounds(
                target, event.chain_id, event.block_number, event.tx_hash, event.log_index
            )
        with write_transaction(self._engine) as connection:
            if not self._follows_cursor(connection, target, batch.start()):
                return False
            if len(batch.changes) >= OVERLAP_MIN_CHANGES and batch.events:
                # Plan the changes (pure Python) in a worker while this thread inserts the
                # events (the database works and the driver waits without the GIL).
                with ThreadPoolExecutor(1, thread_name_prefix="onelist-plan") as worker:
                    planning = worker.submit(
                        self._prepare, batch.changes, batch.owners, batch.events
                    )
                    self._insert_events(connection, batch.events)  # on error: waits, raises
                    prepared = planning.result()
            else:
                self._insert_events(connection, batch.events)
                prepared = self._prepare(batch.changes, batch.owners, batch.events)
            self._execute(connection, prepared, isolated=isolated)
            self._finish(connection, target, batch.blocks, batch.rejected)
        return True

    def apply_prepared(
        self,
        cursor: Cursor,
        prepared: PreparedBatch,
        *,
        blocks: Sequence[BlockHeader] = (),
        rejected: Sequence[Rejection] = (),
        first_block: int,
    ) -> bool:
        """Commit a batch :func:`prepare_batch` made (in another process) in one transaction,
        as :meth:`apply_batch` commits the batch it was made of; False when the index already
        holds it.

        Raises :class:`PreparedBatchFailed` when a statement fails (nothing is kept): only the
        batch itself, through :meth:`apply_batch`, can then name the change and its event.
        """
        if prepared.dialect != self._dialect:
            raise StoreError(
                f"the batch was prepared for {prepared.dialect}, the index is {self._dialect}"
            )
        for row in prepared.event_rows:
            _check_bounds(
                cursor, row[_CHAIN_ID], row[_BLOCK_NUMBER], row[_TX_HASH], row[_LOG_INDEX]
            )
        with write_transaction(self._engine) as connection:
            if not self._follows_cursor(connection, cursor, first_block):
                return False
            self._insert_event_rows(connection, prepared.event_rows)
            steps = [(self._statements.compiled(shape), rows) for shape, rows in prepared.steps]
            try:
                self._execute_bare(connection, steps)
            except _GroupFailed:
                raise PreparedBatchFailed(
                    f"a prepared batch ending at block {cursor.block_number} failed; "
                    "apply the batch itself to name the change"
                ) from None
            self._finish(connection, cursor, blocks, rejected)
        return True

    def _follows_cursor(self, connection: Connection, target: Cursor, start: int | None) -> bool:
        """Whether a batch from block ``start`` to ``target`` is new to the index (False: the
        index already holds it); :class:`StoreError` when it belongs to another chain, or
        overlaps what the index holds."""
        stored = self._cursor(connection)
        if stored is None:
            return True
        if stored.chain_id != target.chain_id:
            raise StoreError(
                f"the index holds chain {stored.chain_id}, not chain {target.chain_id}"
            )
        if stored.block_number >= target.block_number:
            known = self._known_hash(connection, stored, target.block_number)
            if known is not None and known != target.block_hash:
                raise StoreError(
                    f"block {target.block_number} is {_hex(known)} in the index but "
                    f"{_hex(target.block_hash)} in the batch: roll back first"
                )
            return False
        if start is not None and start <= stored.block_number:
            raise StoreError(
                f"the batch starts at block {start}, at or before the cursor "
                f"(block {stored.block_number}); it would apply events twice"
            )
        return True

    def _finish(
        self,
        connection: Connection,
        target: Cursor,
        blocks: Sequence[BlockHeader],
        rejected: Sequence[Rejection],
    ) -> None:
        """A batch's block headers, dead letters and new cursor."""
        self._write_blocks(connection, blocks)
        if rejected:
            now = int(time.time())
            statement = self._insert(schema.dead_letters).on_conflict_do_nothing(
                index_elements=["chain_id", "tx_hash", "log_index"]
            )
            rows = [_dead_letter_row(target.chain_id, r, now) for r in rejected]
            connection.execute(statement, rows)
        self._set_cursor(connection, target)

    def rollback_to(
        self,
        block_number: int,
        block_hash: bytes | None,
        project: Callable[[DecodedEvent], Sequence[RowChange]],
    ) -> Cursor | None:
        """Forget every block after ``block_number`` and re-derive the state tables from the
        events that remain, through ``project``; the cursor moves to ``block_number`` with
        ``block_hash`` (None: the hash the ``blocks`` table holds). One transaction: on any
        error nothing changes. Returns the new cursor (None when nothing was indexed)."""
        with write_transaction(self._engine) as connection:
            stored = self._cursor(connection)
            if stored is None:
                return None
            if block_number > stored.block_number:
                raise StoreError(
                    f"cannot roll back to block {block_number}: the index ends at block "
                    f"{stored.block_number}"
                )
            if block_hash is None:
                block_hash = self._known_hash(connection, stored, block_number)
                if block_hash is None:
                    raise StoreError(
                        f"block {block_number} is not in the blocks table; give its hash"
                    )
            events, blocks, letters = schema.events, schema.blocks, schema.dead_letters
            connection.execute(delete(events).where(events.c.block_number > block_number))
            connection.execute(delete(blocks).where(blocks.c.number > block_number))
            connection.execute(delete(letters).where(letters.c.block_number > block_number))
            self._replay(connection, project)
            cursor = Cursor(stored.chain_id, block_number, block_hash)
            self._set_cursor(connection, cursor)
            return cursor

    def rebuild_state(self, project: Callable[[DecodedEvent], Sequence[RowChange]]) -> None:
        """Clear the state tables and fold every stored event into them again (one
        transaction)."""
        with write_transaction(self._engine) as connection:
            self._replay(connection, project)

    def reset(self) -> None:
        """Delete every row of every table (a full rebuild starts from here)."""
        tables = list(reversed(schema.metadata.sorted_tables))
        with write_transaction(self._engine) as connection:
            if self._dialect == "postgresql":
                quote = connection.dialect.identifier_preparer.format_table
                names = ", ".join(quote(table) for table in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            else:
                for table in tables:
                    connection.execute(delete(table))

    # ------------------------------------------------------------------------- reading

    def cursor(self) -> Cursor | None:
        """The last block fully indexed, or None before the first batch."""
        with read_connection(self._engine) as connection:
            return self._cursor(connection)

    def block_hash(self, number: int) -> bytes | None:
        """The stored hash of block ``number``, or None."""
        with read_connection(self._engine) as connection:
            stored = self._cursor(connection)
            if stored is None:
                return None
            return self._known_hash(connection, stored, number)

    def recent_blocks(self, count: int) -> list[BlockHeader]:
        """The ``count`` highest stored block headers, newest first."""
        blocks = schema.blocks
        with read_connection(self._engine) as connection:
            rows = connection.execute(
                select(blocks).order_by(blocks.c.number.desc()).limit(count)
            ).all()
        return [
            BlockHeader(
                number=row.number,
                hash=_bytes(row.hash),
                parent_hash=_bytes(row.parent_hash),
                timestamp=row.timestamp,
            )
            for row in rows
        ]

    def events(self, *, after: int = -1, limit: int = REPLAY_CHUNK) -> list[DecodedEvent]:
        """Up to ``limit`` stored events in chain order, from the block after ``after``."""
        with read_connection(self._engine) as connection:
            return list(self._stored_events(connection, after=after, limit=limit))

    def digest(self) -> IndexDigest:
        """A digest of the index's content (see :mod:`node.store.digest`)."""
        with read_connection(self._engine) as connection:
            return compute_digest(connection)

    def status(self) -> dict[str, Any]:
        """The cursor, event and dead-letter counts, the latest dead letters and every state
        table's row count, as plain JSON values."""
        letters = schema.dead_letters
        with read_connection(self._engine) as connection:
            cursor_row = connection.execute(
                select(schema.cursor).where(schema.cursor.c.id == 1)
            ).first()
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (*schema.PROJECTED_TABLES, schema.events, schema.dead_letters)
            }
            latest = connection.execute(
                select(
                    letters.c.stage,
                    letters.c.reason,
                    letters.c.block_number,
                    letters.c.tx_hash,
                    letters.c.log_index,
                    letters.c.address,
                    letters.c.created_at,
                )
                .order_by(letters.c.id.desc())
                .limit(_LATEST_DEAD_LETTERS)
            ).all()
        cursor = None
        if cursor_row is not None:
            cursor = {
                "chain_id": cursor_row.chain_id,
                "block_number": cursor_row.block_number,
                "block_hash": cursor_row.block_hash,
                "updated_at": cursor_row.updated_at,
            }
        return {
            "cursor": cursor,
            "events": counts.pop("events"),
            "dead_letters": counts.pop("dead_letters"),
            "recent_dead_letters": [dict(row._mapping) for row in latest],
            "tables": counts,
        }

    # ------------------------------------------------------------------------- internals

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    @staticmethod
    def _cursor(connection: Connection) -> Cursor | None:
        table = schema.cursor
        row = connection.execute(
            select(table.c.chain_id, table.c.block_number, table.c.block_hash).where(
                table.c.id == 1
            )
        ).first()
        if row is None:
            return None
        return Cursor(row.chain_id, row.block_number, _bytes(row.block_hash))

    @staticmethod
    def _known_hash(connection: Connection, stored: Cursor, number: int) -> bytes | None:
        if number == stored.block_number:
            return stored.block_hash
        stored_hash: str | None = connection.execute(
            select(schema.blocks.c.hash).where(schema.blocks.c.number == number)
        ).scalar()
        return None if stored_hash is None else _bytes(stored_hash)

    def _set_cursor(self, connection: Connection, cursor: Cursor) -> None:
        statement = self._insert(schema.cursor)
        row = {
            "id": 1,
            "chain_id": cursor.chain_id,
            "block_number": cursor.block_number,
            "block_hash": _hex(cursor.block_hash),
            "updated_at": int(time.time()),
        }
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["id"],
                set_={name: statement.excluded[name] for name in row if name != "id"},
            ),
            row,
        )

    def _write_blocks(self, connection: Connection, headers: Sequence[BlockHeader]) -> None:
        if not headers:
            return
        rows = {  # one row per number, the last header given wins
            header.number: (
                header.number,
                _hex(header.hash),
                _hex(header.parent_hash),
                header.timestamp,
            )
            for header in headers
        }
        compiled = self._statements.compiled(_BLOCKS_UPSERT)
        self._statements.execute(connection, compiled, list(rows.values()))

    def _insert_events(self, connection: Connection, events: Sequence[DecodedEvent]) -> None:
        self._insert_event_rows(connection, [_event_row(event) for event in events])

    def _insert_event_rows(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Rows of ``events`` in :data:`EVENT_COLUMNS` order (:func:`_event_row`'s)."""
        if rows:
            compiled = self._statements.insert_shape(schema.events, EVENT_COLUMNS)
            self._statements.execute(connection, compiled, rows)

    def _prepare(
        self,
        changes: Sequence[RowChange],
        owners: Sequence[int],
        events: Sequence[DecodedEvent],
    ) -> _Prepared:
        return prepare_changes(self._statements, changes, owners, events)

    def _execute(self, connection: Connection, prepared: _Prepared, *, isolated: bool) -> None:
        """Apply prepared changes as if one by one in order. On a failure, ``isolated`` (each
        group in a savepoint) raises :class:`RowChangeError` naming the first change that
        fails; otherwise :class:`_GroupFailed`. The caller rolls back either way.

        Why not always isolated: a savepoint makes SQLite copy every page a group changes to a
        statement journal first (~5 µs per event of a backfill, 13 % of its SQL), and
        PostgreSQL open a subtransaction; a failure is rare and costs the whole batch anyway.
        """
        if not isolated:
            self._execute_bare(
                connection, [(compiled, rows) for _, compiled, rows in prepared.steps]
            )
            return
        for group, compiled, rows in prepared.steps:
            savepoint = connection.begin_nested()
            try:
                count = self._statements.execute(connection, compiled, rows)
                if compiled.counted and count != len(rows):
                    raise _Failed(-1, f"{len(rows) - count} of {len(rows)} rows missing")
            except (_Failed, exc.DBAPIError, OverflowError) as error:
                if isinstance(error, exc.DBAPIError) and is_unavailable(error, self._dialect):
                    raise
                savepoint.rollback()
                try:
                    self._find_culprit(connection, group, prepared.changes)
                except _Failed as failed:
                    raise _row_change_error(
                        prepared.changes,
                        prepared.owners,
                        prepared.events,
                        failed.position,
                        failed.reason,
                    ) from None
                raise StoreError(  # one by one, every change applied: report the group
                    f"{group.shape[0]} of {len(rows)} rows of {group.shape[1]} failed: "
                    f"{_detail(error)}"
                ) from error
            savepoint.commit()

    def _execute_bare(
        self, connection: Connection, steps: Sequence[tuple[Compiled, list[tuple[Any, ...]]]]
    ) -> None:
        """Run the statements in order, without savepoints; :class:`_GroupFailed` when one
        fails or an UPDATE misses a row."""
        for compiled, rows in steps:
            try:
                count = self._statements.execute(connection, compiled, rows)
            except (exc.DBAPIError, OverflowError) as error:
                if isinstance(error, exc.DBAPIError) and is_unavailable(error, self._dialect):
                    raise
                raise _GroupFailed from error
            if compiled.counted and count != len(rows):
                raise _GroupFailed

    def _apply_changes(
        self,
        connection: Connection,
        changes: Sequence[RowChange],
        owners: Sequence[int],
        events: Sequence[DecodedEvent],
    ) -> None:
        self._execute(connection, self._prepare(changes, owners, events), isolated=True)

    def _find_culprit(
        self, connection: Connection, group: Group, changes: Sequence[RowChange]
    ) -> None:
        """Apply the group's changes one by one, in order, from the state before the group,
        and raise :class:`_Failed` at the first that fails."""
        for op in group.ops:
            for index in op.origins:
                single = op_of(changes[index], index, None)
                compiled = self._statements.compiled(single.shape())
                try:
                    count = self._statements.execute(
                        connection, compiled, [compiled.params(single)]
                    )
                except exc.DBAPIError as error:
                    if is_unavailable(error, self._dialect):
                        raise
                    raise _Failed(index, _detail(error)) from None
                except OverflowError as error:
                    raise _Failed(index, f"a value is out of range: {error}") from None
                if compiled.counted and count == 0:
                    raise _Failed(index, "no such row")

    def _stored_events(
        self, connection: Connection, *, after: int = -1, limit: int | None = None
    ) -> Iterator[DecodedEvent]:
        """Stored events in chain order from the block after ``after``, read in pages (each
        page starts after the (block number, log index) that ended the one before)."""
        events = schema.events
        columns = [column for column in events.c if column.name != "id"]
        where = events.c.block_number > after
        remaining = limit
        while remaining is None or remaining > 0:
            size = REPLAY_CHUNK if remaining is None else min(REPLAY_CHUNK, remaining)
            rows = connection.execute(
                select(*columns)
                .where(where)
                .order_by(events.c.block_number, events.c.log_index)
                .limit(size)
            ).all()
            for row in rows:
                yield event_from_row(row._mapping)
            if len(rows) < size:
                return
            block, log_index = rows[-1].block_number, rows[-1].log_index
            where = (events.c.block_number > block) | (
                (events.c.block_number == block) & (events.c.log_index > log_index)
            )
            if remaining is not None:
                remaining -= len(rows)

    def _replay(
        self, connection: Connection, project: Callable[[DecodedEvent], Sequence[RowChange]]
    ) -> None:
        """Clear the state tables and fold the stored events into them through ``project``."""
        for table in reversed(schema.PROJECTED_TABLES):
            connection.execute(delete(table))
        events: list[DecodedEvent] = []
        changes: list[RowChange] = []
        owners: list[int] = []
        for event in self._stored_events(connection):
            event_changes = project(event)
            owners.extend([len(events)] * len(event_changes))
            changes.extend(event_changes)
            events.append(event)
            if len(events) >= REPLAY_CHUNK:
                self._apply_changes(connection, changes, owners, events)
                events, changes, owners = [], [], []
        if events:
            self._apply_changes(connection, changes, owners, events)
