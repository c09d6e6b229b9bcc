"""benchmarks/api_load.py: a small run as people start it, on SQLite and PostgreSQL.

The benchmark writes the index's rows itself, table by table, so a migration that adds a
column breaks it; this run is what notices (revision 0006 once did)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.integration.benchmark_runs import one_json_object

PHASE_KEYS = {
    f"{phase}_{figure}"
    for phase in ("search", "detail")
    for figure in ("rps", "p50_ms", "p99_ms", "cpu_ms", "kept", "node_p99_ms")
} | {"node_rss_mb"}


@pytest.mark.chain
def test_a_small_run_prints_one_json_object_per_database(repo_root: Path, pg_server: URL) -> None:
    result = one_json_object(
        repo_root,
        "api_load.py",
        *("--listings", "300", "--seconds", "0.5", "--databases", "sqlite,postgres"),
        *("--postgres", pg_server.render_as_string(hide_password=False)),
        timeout=300,
    )
    assert set(result) == {"sqlite", "postgres"}
    for figures in result.values():
        assert set(figures) == PHASE_KEYS
        assert figures["search_rps"] > 0 and figures["detail_rps"] > 0
        assert 0 < figures["detail_p50_ms"] <= figures["detail_p99_ms"]
