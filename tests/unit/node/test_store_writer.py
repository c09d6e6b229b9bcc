"""The store writer's pure parts: the audit trail's JSON and the plan of a batch's changes."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from node.events import Increment, Insert, RowChange, Update, Upsert
from node.store import Store
from node.store.plan import coalesce, plan
from node.store.writer import _identity, args_json, dumps

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(1 << 260), max_value=1 << 260) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=12), _json_values, max_size=8))
def test_args_json_writes_what_dumps_writes(args: dict[str, Any]) -> None:
    assert args_json(args) == dumps(args)


@pytest.mark.parametrize(
    "args",
    [
        {"split": (1 << 200) + 7, "shares": [7, 0, 1, 0]},
        {"record": {"policy": {"grantingExchanges": 1 << 255}}, "seq": 1},
        {"deep": [[-(1 << 70)]], "name": "上海数据交易所\u2028\x00\x7f"},
        {"lone": "\ud800", "n": 1 << 64},
    ],
    ids=[
        "a 256-bit argument is written as its digits",
        "a 256-bit value inside a struct is written as its digits",
        "a nested negative big integer and escapes",
        "a lone surrogate falls back to json",
    ],
)
def test_args_json_handles_what_orjson_cannot(args: dict[str, Any]) -> None:
    assert args_json(args) == dumps(args)


def _random_changes(seed: int) -> list[RowChange]:
    """Changes to the real tables: term inserts (insert-only), listings touched in every way,
    licences inserted and updated."""
    rng = random.Random(seed)
    changes: list[RowChange] = []
    listings: list[str] = []
    for step in range(200):
        roll = rng.random()
        if roll < 0.4 or not listings:
            listing = f"0x{step:064x}"
            listings.append(listing)
            changes.append(Upsert("listings", {"listing_id": listing}, {"seq": 1}))
            # An insert-only table whose rows get defaults and a value turned into JSON.
            changes.append(Insert("proposals", {"proposal_id": step, "data": {"n": step}}))
            for term in ("交通", "出行", "data"):
                changes.append(
                    Insert(
                        "listing_terms",
                        {
                            "listing_id": listing,
                            "version": 1,
                            "term": term,
                            "weight": 3,
                            "block": 1,
                        },
                    )
                )
        elif roll < 0.7:
            listing = rng.choice(listings)
            changes.append(Update("listings", {"listing_id": listing}, {"seq": step}))
            changes.append(Increment("listings", {"listing_id": listing}, {"licence_count": 1}))
            changes.append(Insert("licences", {"licence_id": f"0x{step:064x}", "status": "a"}))
        else:
            listing = rng.choice(listings)
            changes.append(
                Update("licences", {"licence_id": f"0x{step - 1:064x}"}, {"status": "r"})
            )
    return changes


@pytest.mark.parametrize("seed", range(10))
def test_a_prepared_batch_runs_the_groups_plan_makes(seed: int) -> None:
    """Insert-only tables skip coalesce and plan, and come out as plan would make them: the
    same statements with the same parameters, each change applied once, in a table's order."""
    changes = _random_changes(seed)
    store = Store(create_engine("sqlite://"))
    prepared = store._prepare(changes, [], [])
    planned = plan(coalesce(changes, _identity))

    def summary(groups: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
        by_table: dict[str, list[tuple[Any, ...]]] = {}
        for group in groups:
            compiled = store._statements.compiled(group.shape)
            by_table.setdefault(group.shape[1], []).extend(
                (group.shape, compiled.params(op), tuple(op.origins)) for op in group.ops
            )
        return by_table

    assert summary([group for group, _, _ in prepared.steps]) == summary(planned)
    for group, compiled, rows in prepared.steps:
        assert rows == [compiled.params(op) for op in group.ops]
    origins = sorted(i for group, _, _ in prepared.steps for op in group.ops for i in op.origins)
    assert origins == list(range(len(changes)))
    tables = [group.shape[1] for group, _, _ in prepared.steps]
    assert tables == sorted(tables, key=[change.table for change in changes].index)
