"""Turn a batch's row changes into few statements with the same effect as applying them one by
one, in order. Pure: no SQL here.

Two steps:

1. :func:`coalesce` folds a run of Updates and Increments of one row into one *modify*
   operation (later values win, amounts add up, an amount added to a value just set is added
   to that value), so a listing with a thousand grants in a batch costs one UPDATE, not two
   thousand. A run ends at an Upsert or Insert of the row, or at any change to the table whose
   row cannot be told (see below).
2. :func:`plan` puts the operations into groups of one *shape* (kind, table, key columns,
   value columns), each executed as one statement with many parameter sets.

Why reordering is safe: two changes may swap places unless they touch the same table and the
same row. A row is told by its primary key; a change whose key is not the primary key, and
every change to a table with another unique constraint, keeps its place against every change
to its table (a *barrier*). The state tables have no triggers and no foreign keys between
them, so changes to different tables commute. A group never holds one row twice, so a
group can also run as a single set-based statement (COPY, multi-row INSERT).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from node.events import Increment, Insert, RowChange, Update, Upsert

__all__ = ["Group", "Op", "Shape", "coalesce", "plan"]

Shape = tuple[str, str, tuple[str, ...], tuple[str, ...]]
"""(kind, table, key columns, value columns): kind is insert | upsert | modify; a modify's
value columns are the columns it sets, then ``+column`` for each column it adds to."""

Identity = Callable[[str], tuple[str, ...] | None]


@dataclass(slots=True)
class Op:
    """One statement's worth of change to one row, made of one or more row changes."""

    kind: str  # insert | upsert | modify
    table: str
    key: Mapping[str, Any]  # upsert, modify: the row's key
    values: Mapping[str, Any]  # insert, upsert: the row's values; modify: the columns set
    adds: dict[str, int]  # modify: the amounts added
    row: Hashable | None  # the primary key values; None when the row cannot be told
    origins: list[int]  # the positions of the changes it applies, in order

    def shape(self) -> Shape:
        if self.kind == "modify":
            columns = (*sorted(self.values), *(f"+{name}" for name in sorted(self.adds)))
            return ("modify", self.table, tuple(self.key), columns)
        return (self.kind, self.table, tuple(self.key), tuple(self.values))


class Group:
    """Operations of one shape on distinct rows (or barriers, in their order).

    :meth:`of_inserts` makes the group of a table a batch only inserts into, one shape, whose
    operations are made only when asked for (the store draws its rows straight from the
    changes; only a failing group's culprit search reads ``ops``)."""

    __slots__ = ("_inserts", "_ops", "shape")

    def __init__(self, shape: Shape, ops: list[Op] | None = None) -> None:
        self.shape = shape
        self._ops: list[Op] | None = [] if ops is None else ops
        self._inserts: tuple[Sequence[RowChange], Sequence[int]] | None = None

    @classmethod
    def of_inserts(
        cls, shape: Shape, changes: Sequence[RowChange], positions: Sequence[int]
    ) -> Group:
        """The group of the Inserts at ``positions`` of ``changes``, in order, as one insert
        operation each (``shape`` is theirs)."""
        group = cls(shape)
        group._ops = None
        group._inserts = (changes, positions)
        return group

    @property
    def ops(self) -> list[Op]:
        if self._ops is None:
            assert self._inserts is not None
            changes, positions = self._inserts
            table = self.shape[1]
            self._ops = [
                Op("insert", table, {}, changes[index].values, {}, None, [index])  # type: ignore[union-attr]
                for index in positions
            ]
        return self._ops

    def __repr__(self) -> str:
        return f"Group({self.shape!r}, {self.ops!r})"


def _row(columns: Mapping[str, Any], identity: tuple[str, ...] | None, exact: bool) -> Hashable:
    """The row's primary key values (the value itself for a one-column key), or None."""
    if identity is None or (exact and len(columns) != len(identity)):
        return None
    try:
        if len(identity) == 1:
            row = columns[identity[0]]
        else:
            row = tuple(columns[name] for name in identity)
        hash(row)
    except (KeyError, TypeError):
        return None
    return row  # type: ignore[no-any-return]


def op_of(change: RowChange, index: int, identity: tuple[str, ...] | None) -> Op:
    """The operation that applies ``change`` alone (a modify gets its own copies of the
    values, as folding changes them)."""
    kind = type(change)
    if kind is Insert:
        values = change.values  # type: ignore[union-attr]
        return Op("insert", change.table, {}, values, {}, _row(values, identity, False), [index])
    key = change.key  # type: ignore[union-attr]
    row = _row(key, identity, True)
    if kind is Upsert:
        return Op("upsert", change.table, key, change.values, {}, row, [index])  # type: ignore[union-attr]
    if kind is Update:
        return Op("modify", change.table, key, dict(change.values), {}, row, [index])  # type: ignore[union-attr]
    amounts = {name: int(amount) for name, amount in change.amounts.items()}  # type: ignore[union-attr]
    return Op("modify", change.table, key, {}, amounts, row, [index])


def _fold(op: Op, change: Update | Increment) -> bool:
    """Add ``change`` (to the same row) to the modify ``op``; False when it cannot be."""
    values = op.values
    assert isinstance(values, dict)
    if type(change) is Update:
        for name, value in change.values.items():
            op.adds.pop(name, None)
            values[name] = value
        return True
    amounts = change.amounts  # type: ignore[union-attr]
    if any(name in values and type(values[name]) is not int for name in amounts):
        return False  # an amount added to a value that is not an integer: keep the order
    for name, amount in amounts.items():
        if name in values:
            values[name] += int(amount)
        else:
            op.adds[name] = op.adds.get(name, 0) + int(amount)
    return True


def coalesce(changes: Sequence[RowChange], identity: Identity) -> list[Op]:
    """The changes as operations, each Update/Increment run of a row folded into one."""
    ops: list[Op] = []
    open_runs: dict[str, dict[Hashable, Op]] = {}  # table → row → its open modify
    identities: dict[str, tuple[str, ...] | None] = {}
    for index, change in enumerate(changes):
        table = change.table
        runs = open_runs.get(table)
        if runs is None:
            runs = open_runs[table] = {}
            identities[table] = identity(table)
        columns = identities[table]
        kind = type(change)
        if kind is Update or kind is Increment:
            row = _row(change.key, columns, True)  # type: ignore[union-attr]
            current = runs.get(row) if row is not None else None
            if current is not None and _fold(current, change):  # type: ignore[arg-type]
                current.origins.append(index)
                continue
            op = op_of(change, index, columns)
            ops.append(op)
            if row is None:
                runs.clear()
            else:
                runs[row] = op
            continue
        op = op_of(change, index, columns)
        ops.append(op)
        if runs:
            if op.row is None:
                runs.clear()
            else:
                runs.pop(op.row, None)
    return ops


@dataclass(slots=True)
class _Table:
    groups: list[Group] = field(default_factory=list)
    last_group: dict[Hashable, int] = field(default_factory=dict)  # row → its latest group
    latest_of_shape: dict[Shape, int] = field(default_factory=dict)
    barrier: int = -1  # the latest group holding a barrier


def plan(ops: Sequence[Op]) -> list[Group]:
    """The groups to execute, in order: each table's groups in order, tables in the order the
    batch first touches them."""
    tables: dict[str, _Table] = {}
    for op in ops:
        shape = op.shape()
        state = tables.setdefault(op.table, _Table())
        last = len(state.groups) - 1
        if op.row is None:
            # After every change to the table so far: at the end of the last group if it has
            # this shape (its statements run in order), else in a new group.
            chosen = last if last >= 0 and state.groups[last].shape == shape else last + 1
        else:
            earliest = max(state.last_group.get(op.row, -1), state.barrier)
            candidate = state.latest_of_shape.get(shape, -1)
            chosen = candidate if candidate > earliest else last + 1
        if chosen == len(state.groups):
            state.groups.append(Group(shape))
        if op.row is None:
            state.barrier = chosen
        else:
            state.last_group[op.row] = chosen
        state.latest_of_shape[shape] = max(chosen, state.latest_of_shape.get(shape, -1))
        state.groups[chosen].ops.append(op)
    return [group for state in tables.values() for group in state.groups]
