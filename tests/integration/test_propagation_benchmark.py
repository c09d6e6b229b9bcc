"""benchmarks/propagation.py: its pure parts, and a small run as the process people start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.propagation import node_toml, percentile
from node.config import parse_config
from tests.integration.benchmark_runs import one_json_object

KEYS = {"listings", "p50_ms", "p99_ms", "pipelined_per_s", "sequential_per_s"}


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 0.99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0.0, 1.0),
        ([float(v) for v in range(101)], 0.99, 99.0),
    ],
    ids=[
        "one value is every quantile",
        "the median of an even count lies between the middle two",
        "values need not come sorted",
        "p99 of 0..100 is 99",
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_the_generated_node_config_is_one_the_node_loads() -> None:
    text = node_toml(
        {
            "organisation": "ZJ",
            "rpc_url": "http://127.0.0.1:8545",
            "ws_url": "ws://127.0.0.1:8545",
            "deployment": "/tmp/deployment.json",
            "database_url": "sqlite:////tmp/zj.db",
            "poll_interval": 0.5,
            "http_port": 8601,
        }
    )
    config = parse_config(text)
    assert (config.organisation, config.http_port, config.poll_interval) == ("ZJ", 8601, 0.5)
    assert config.deployment == Path("/tmp/deployment.json")


@pytest.mark.chain
def test_a_small_run_prints_one_json_object_with_the_figures(repo_root: Path) -> None:
    chain = os.environ.get("ONELIST_TEST_CHAIN", "ganache")
    result = one_json_object(
        repo_root,
        "propagation.py",
        "--listings",
        "5",
        "--warmup",
        "1",
        "--chain",
        chain,
        timeout=120,
    )
    assert set(result) - {"context"} == KEYS
    assert result["listings"] == 5
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["pipelined_per_s"] > 0 and result["sequential_per_s"] > 0
    assert result["context"]["sequential"]["listings"] == 5
