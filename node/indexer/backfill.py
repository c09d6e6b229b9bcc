"""A one-off backfill: index a deployment's events up to a block, then return (benchmarks,
tests and ``onelist node sync`` use the same loop as a running node)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from node.chain.rpc import RpcClient
from node.indexer.batch import Project
from node.indexer.indexer import Indexer, IndexerState, few_collections
from node.indexer.progress import ProgressReporter
from node.indexer.range_process import RangeProcessSpec
from node.projections import project
from node.service import catalog_for, open_store
from onelist.chain.deployment import CONTRACTS, Deployment

__all__ = ["BACKFILL_SQLITE_CACHE_KIB", "BackfillStats", "few_collections", "run_backfill"]

#: SQLite page cache of a backfill (KiB): a quarter of the node's 64 MiB costs about 5% more
#: CPU per event at 100,000 events and keeps the process under issue #4's 300 MB.
BACKFILL_SQLITE_CACHE_KIB = 32 * 1024


@dataclass(frozen=True)
class BackfillStats:
    events: int
    blocks: int
    seconds: float
    ranges_in_process: int = 0  # of them decoded and projected by the range process


async def run_backfill(
    rpc_url: str,
    deployment: Deployment,
    database_url: str,
    *,
    until: int | None = None,
    progress: bool = False,
    max_range: int = 50_000,
    rollback_window: int = 128,
    project_event: Project = project,
    range_process: int | None = None,
    on_progress: Callable[[IndexerState], None] | None = None,
) -> BackfillStats:
    """Index ``deployment``'s events from its first block to ``until`` (default: the head).

    ``progress`` shows a progress bar (or log lines); ``project_event`` replaces the projection
    (tests inject faults through it). With ``range_process``, a range of at least that many
    logs starts a second process that decodes and projects while this one writes
    (:mod:`node.indexer.range_process`); None (the default) keeps the backfill in one
    process, as does a ``project_event`` that cannot cross to another process.
    """
    reporter = ProgressReporter() if progress and on_progress is None else None
    catalog = catalog_for(deployment)
    store = open_store(database_url)
    try:
        store.cap_sqlite_cache(BACKFILL_SQLITE_CACHE_KIB)
        async with RpcClient(rpc_url) as rpc:
            indexer = Indexer(
                rpc,
                store,
                catalog,
                chain_id=deployment.chain_id,
                addresses=[deployment.address(name) for name in CONTRACTS],
                start_block=deployment.block,
                project=project_event,
                max_range=max_range,
                rollback_window=rollback_window,
                on_progress=on_progress or reporter,
                range_process=RangeProcessSpec.of(
                    deployment, deployment.chain_id, store.dialect, project_event, range_process
                ),
            )
            started = time.perf_counter()
            await indexer.sync(until)
            seconds = time.perf_counter() - started
            state = indexer.state
            blocks = (state.indexed or deployment.block) - deployment.block + 1
            return BackfillStats(state.events_indexed, blocks, seconds, state.ranges_in_process)
    finally:
        if reporter is not None:
            reporter.close()
        store.close()
