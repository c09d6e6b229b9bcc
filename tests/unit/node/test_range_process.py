"""node.indexer.range_process.prepare_range: what the range process makes of a range's logs
(pure: decoded, projected, checked and planned, no chain and no database)."""

from __future__ import annotations

import dataclasses
import pickle

from sqlalchemy.dialects import postgresql, sqlite

from node.events import DecodedEvent, RawLog, RowChange, Update
from node.indexer.range_process import PreparedRange, prepare_range
from node.projections import project
from node.store.statements import Statements
from node.store.writer import EVENT_COLUMNS, _event_row
from tests.unit.node.test_decode import BLOCK_TIME, CASES, CATALOG, CHAIN_ID, raw_log

SQLITE = Statements(sqlite.dialect())


def _values(name: str) -> dict[str, object]:
    """The encoded values of the first of test_decode's cases of event ``name``."""
    return next(case.values[2] for case in CASES if case.values[1] == name)  # type: ignore[no-any-return]


def _logs() -> list[RawLog]:
    """Three logs of one range: an admission, an operator, and a log of no known event."""
    admitted = raw_log("Consortium", "ExchangeAdmitted", _values("ExchangeAdmitted"), log_index=0)
    operator = raw_log("Consortium", "OperatorAdded", _values("OperatorAdded"), log_index=1)
    unknown = dataclasses.replace(operator, topics=(b"\x01" * 32,), log_index=2)
    return [admitted, operator, unknown]


def _prepared(dialect: Statements = SQLITE, projection: object = project) -> PreparedRange:
    return prepare_range(
        _logs(),
        {7: BLOCK_TIME},
        CATALOG,
        CHAIN_ID,
        projection,  # type: ignore[arg-type]
        dialect,
    )


def test_a_range_becomes_event_rows_and_statements_and_its_undecodable_log_a_dead_letter() -> None:
    prepared = _prepared()
    assert prepared.events == 2
    (rejected,) = prepared.rejected
    assert rejected.stage == "decode" and rejected.log.log_index == 2
    assert prepared.batch is not None and prepared.batch.dialect == "sqlite"
    rows = prepared.batch.event_rows
    assert [row[EVENT_COLUMNS.index("name")] for row in rows] == [
        "ExchangeAdmitted",
        "OperatorAdded",
    ]
    assert [row[EVENT_COLUMNS.index("log_index")] for row in rows] == [0, 1]
    tables = {shape[1] for shape, _ in prepared.batch.steps}
    assert {"exchanges", "operators"} <= tables
    assert all(rows for _, rows in prepared.batch.steps)


def test_the_event_rows_are_what_the_store_writes_of_each_event() -> None:
    from node.decode import decode_log

    prepared = _prepared()
    assert prepared.batch is not None
    decoded = [decode_log(log, CATALOG, CHAIN_ID, BLOCK_TIME) for log in _logs()[:2]]
    assert prepared.batch.event_rows == [_event_row(event) for event in decoded]


def test_a_prepared_range_crosses_to_another_process_unchanged() -> None:
    prepared = _prepared(Statements(postgresql.psycopg.dialect()))
    assert prepared.batch is not None and prepared.batch.dialect == "postgresql"
    assert pickle.loads(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)) == prepared


def _unknown_column(event: DecodedEvent) -> list[RowChange]:
    return [*project(event), Update("exchanges", {"code": "SH"}, {"no_such_column": 1})]


def test_a_change_no_database_could_apply_leaves_the_range_to_the_indexer() -> None:
    prepared = _prepared(projection=_unknown_column)
    # None: the indexer builds the range itself, where the store names the change.
    assert prepared.batch is None
    assert prepared.events == 2 and len(prepared.rejected) == 1
