"""benchmarks/index_backfill.py: a small run prints the one JSON object issue #4 asks for."""

from __future__ import annotations

from pathlib import Path

from tests.integration.benchmark_runs import one_json_object

KEYS = (
    "events",
    "raw_rpc_events_per_s",
    "web3_events_per_s",
    "sqlite_events_per_s",
    "postgres_events_per_s",
    "peak_rss_mb",
)


def test_a_small_run_measures_every_backfill_side_by_side(repo_root: Path) -> None:
    result = one_json_object(
        repo_root,
        "index_backfill.py",
        *("--events", "600", "--web3-events", "100", "--rounds", "2"),
        timeout=300,
    )
    assert tuple(result)[: len(KEYS)] == KEYS
    assert all(isinstance(result[key], int | float) and result[key] > 0 for key in KEYS), result
    context = result["context"]
    assert context["notes"] == {}
    for figures in (
        context["sqlite"],
        context["postgres"],
        *context["with_range_process"].values(),
    ):
        if isinstance(figures, dict):
            assert figures["all_events_indexed"], figures
    assert set(context["with_range_process"]) == {"what", "sqlite", "postgres"}
    (second,) = context["rounds"]
    assert second["round"] == 2
    assert {name for name in second if name != "round"} == {
        "sqlite_one",
        "postgres_one",
        "sqlite_range_process",
        "postgres_range_process",
    }
    assert all(second[name]["events_per_s"] > 0 for name in second if name != "round"), second
