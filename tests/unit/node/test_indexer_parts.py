"""Pure parts of the indexer: range sizing, RPC result parsing, the node's configuration."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from node.chain.ranges import RangeSizer
from node.chain.rpc import parse_header, parse_log
from node.config import parse_config
from onelist.errors import ConfigError


def test_the_range_grows_while_queries_come_back_small() -> None:
    sizer = RangeSizer(size=100, maximum=1_000, target_logs=1_000)
    sizer.succeeded(blocks=100, logs=10)
    assert sizer.size == 200
    for _ in range(10):
        sizer.succeeded(blocks=sizer.size, logs=10)
    assert sizer.size == 1_000


def test_the_range_halves_when_refused_and_stops_at_one_block() -> None:
    sizer = RangeSizer(size=8)
    assert sizer.refused(8) and sizer.size == 4
    assert sizer.refused(4) and sizer.size == 2
    assert sizer.refused(2) and sizer.size == 1
    assert not sizer.refused(1)  # the caller gets the error: no endless loop


def test_the_range_shrinks_when_a_query_returns_too_many_logs() -> None:
    sizer = RangeSizer(size=1_000, target_logs=100)
    sizer.succeeded(blocks=1_000, logs=500)
    assert sizer.size == 500


@pytest.mark.parametrize(
    ("size", "maximum", "expected"),
    [(1_000, 2, 2), (1, 50, 1), (0, 50, 1)],
    ids=["the first range respects the maximum", "a small start stays", "zero becomes one"],
)
def test_the_first_range_is_within_bounds(size: int, maximum: int, expected: int) -> None:
    assert RangeSizer(size=size, maximum=maximum).size == expected


def test_a_range_never_passes_the_last_block() -> None:
    assert RangeSizer(size=100).next_range(95, 120) == (95, 120)
    assert RangeSizer(size=10).next_range(95, 120) == (95, 104)


def test_logs_and_headers_parse_from_json_rpc() -> None:
    log = parse_log(
        {
            "blockNumber": "0x10",
            "blockHash": "0x" + "aa" * 32,
            "transactionHash": "0x" + "bb" * 32,
            "logIndex": "0x2",
            "address": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "topics": ["0x" + "cc" * 32],
            "data": "0x0102",
        }
    )
    assert (log.block_number, log.log_index, log.data, log.removed) == (16, 2, b"\x01\x02", False)
    assert log.address == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    header = parse_header(
        {
            "number": "0x10",
            "hash": "0x" + "aa" * 32,
            "parentHash": "0x" + "99" * 32,
            "timestamp": "0x5",
        }
    )
    assert (header.number, header.timestamp, header.parent_hash) == (16, 5, b"\x99" * 32)


VALID = """
[node]
organisation = "ZJ"
rpc_url = "http://127.0.0.1:8545"
deployment = ".onelist/deployment.json"
database_url = "postgresql+psycopg://onelist@127.0.0.1/zj"
confirmations = 0
poll_interval = 1
"""


def test_a_node_config_loads() -> None:
    config = parse_config(VALID)
    assert config.organisation == "ZJ"
    assert config.deployment == Path(".onelist/deployment.json")
    assert config.poll_interval == 1.0
    assert config.kept_answers_mb == 128.0  # the default
    assert parse_config(VALID + "kept_answers_mb = 0\n").kept_answers_mb == 0.0  # keep none
    assert config.range_process_min_logs == 0  # one process, unless asked
    with_process = parse_config(VALID + "range_process_min_logs = 1000\n")
    assert with_process.range_process_min_logs == 1000


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('organisation = "ZJ"\n', "", "missing keys: organisation"),
        ("confirmations = 0", "confirmations = -1", "node.confirmations: must not be negative"),
        ("confirmations = 0", 'confirmations = "0"', "node.confirmations: a int is required"),
        ("poll_interval = 1", "poll_interval = 0", "node.poll_interval: must be positive"),
        ("poll_interval = 1", "pol_interval = 1", "node.pol_interval: unknown key"),
        ("[node]", "[nodes]", "a [node] table is required"),
        ("[node]", "[node", "not valid TOML"),
        ("poll_interval = 1", "kept_answers_mb = -1", "node.kept_answers_mb: must not be negative"),
        (
            "poll_interval = 1",
            "range_process_min_logs = -1",
            "node.range_process_min_logs: must not be negative",
        ),
    ],
    ids=[
        "a missing organisation is named",
        "negative confirmations are refused",
        "a quoted number is refused",
        "a zero poll interval is refused",
        "a misspelt key is named",
        "a file without [node] is refused",
        "malformed TOML is refused",
        "a negative bound of kept answers is refused",
        "a negative least range for the range process is refused",
    ],
)
def test_node_config_errors_name_the_key(old: str, new: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[")):
        parse_config(VALID.replace(old, new))


def test_a_range_process_spec_needs_a_projection_that_crosses_to_another_process() -> None:
    from node.indexer.range_process import RangeProcessSpec
    from node.projections import project
    from onelist.chain.deployment import Deployment

    deployment = Deployment(1337, "0x" + "11" * 20, 1, "0x" + "22" * 32, "33" * 32, 0)
    spec = RangeProcessSpec.of(deployment, 1337, "sqlite", project, 1)
    assert spec is not None and spec.min_logs == 1
    assert spec.deployment_json == deployment.to_json()  # the record, as the worker reads it
    assert pickle.loads(pickle.dumps(spec)) == spec  # what spawning the worker does with it

    def closure(event: object) -> list[object]:
        return []

    assert RangeProcessSpec.of(deployment, 1337, "sqlite", closure) is None  # type: ignore[arg-type]
    assert RangeProcessSpec.of(deployment, 1337, "oracle", project) is None
    # Off: the config's 0, run_backfill's None.
    assert RangeProcessSpec.of(deployment, 1337, "sqlite", project, 0) is None
    assert RangeProcessSpec.of(deployment, 1337, "sqlite", project, None) is None
