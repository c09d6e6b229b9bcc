"""Putting a node together from its configuration: deployment, catalog, store, RPC, indexer.

The command line (``onelist node …``), the benchmarks and the tests all build a node here, so
there is one way to open it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from node.chain.rpc import RpcClient
from node.config import NodeConfig
from node.decode import EventCatalog
from node.errors import NodeError, RpcUnavailable
from node.indexer.indexer import Indexer, IndexerState
from node.indexer.range_process import RangeProcessSpec
from node.projections import project
from node.store import Store, open_engine, upgrade
from node.store.search_terms import search_terms
from onelist.build.compiler import load_artifacts
from onelist.chain.deployment import CONTRACTS, Deployment, load_deployment

log = logging.getLogger("onelist.node")


def catalog_for(deployment: Deployment) -> EventCatalog:
    artifacts = load_artifacts()
    deployment.check_abis({name: artifacts[name] for name in CONTRACTS})
    return EventCatalog.from_abis(
        {name: artifacts[name].abi for name in CONTRACTS},
        {name: deployment.address(name) for name in CONTRACTS},
    )


def warm_up_search_terms() -> None:
    """Load jieba's dictionary now (1–3 s) rather than while the first listing is indexed."""
    search_terms("数据产品", None, None, None)


def open_store(database_url: str) -> Store:
    """The node's index, migrated to the current schema."""
    engine = open_engine(database_url)
    upgrade(engine)
    return Store(engine)


@dataclass
class Node:
    config: NodeConfig
    deployment: Deployment
    store: Store
    rpc: RpcClient
    indexer: Indexer


@contextlib.asynccontextmanager
async def open_node(
    config: NodeConfig, on_progress: Callable[[IndexerState], None] | None = None
) -> AsyncIterator[Node]:
    deployment = load_deployment(config.deployment)
    catalog = catalog_for(deployment)
    store = open_store(config.database_url)
    await asyncio.to_thread(warm_up_search_terms)
    try:
        async with RpcClient(
            config.rpc_url, timeout=config.rpc_timeout, retries=config.rpc_retries
        ) as rpc:
            try:
                chain_id = await rpc.chain_id()
            except RpcUnavailable as exc:
                # Serve the index anyway; the indexer keeps retrying and reports not ready.
                log.warning("the chain is unreachable (%s); starting without it", exc)
                chain_id = deployment.chain_id
            if chain_id != deployment.chain_id:
                raise NodeError(
                    f"the chain's id is {chain_id}, the deployment record's {deployment.chain_id}",
                    where=config.rpc_url,
                )
            indexer = Indexer(
                rpc,
                store,
                catalog,
                chain_id=chain_id,
                addresses=[deployment.address(name) for name in CONTRACTS],
                start_block=deployment.block,
                project=project,
                confirmations=config.confirmations,
                rollback_window=config.rollback_window,
                poll_interval=config.poll_interval,
                max_range=config.max_range,
                on_progress=on_progress,
                ws_url=config.ws_url,
                range_process=RangeProcessSpec.of(
                    deployment, chain_id, store.dialect, project, config.range_process_min_logs
                ),
            )
            yield Node(config, deployment, store, rpc, indexer)
    finally:
        store.close()
