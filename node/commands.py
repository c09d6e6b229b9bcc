"""``onelist node run|sync|status|rebuild|verify``: an exchange's or regulator's node."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.config import (
    DEFAULT_DATA_DIR,
    RANGE_PROCESS_MIN_LOGS,
    NodeConfig,
    default_config,
    load_config,
)

if TYPE_CHECKING:
    from node.indexer.indexer import IndexerState

# The node's libraries (SQLAlchemy, aiohttp, web3, the projections) are imported by the handlers
# that use them: `onelist node …` then refuses a held index or a bad flag at once.

log = logging.getLogger("onelist.node")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    node = subparsers.add_parser(
        "node",
        help="run an exchange's or regulator's node: index the chain into SQL",
        description="Mirror the consortium's events into this node's SQL index.",
    )
    sub = node.add_subparsers(dest="node_command", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, help="node TOML file ([node] table)")
        p.add_argument("--organisation", help="exchange code or 'regulator' (default SH)")
        p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
        p.add_argument("--rpc", dest="rpc_url", help="chain JSON-RPC URL")
        p.add_argument("--ws", dest="ws_url", help="websocket URL for new-head notifications")
        p.add_argument("--db", dest="database_url", help="SQLAlchemy URL of the index")
        p.add_argument("--deployment", type=Path, help="deployment record")
        p.add_argument("--confirmations", type=int)
        p.add_argument("--max-range", type=int, help="blocks per eth_getLogs query at most")
        p.add_argument(
            "--range-process",
            action="store_true",
            help="while far behind the head, decode in a second process (faster, ~215 MB more)",
        )
        p.add_argument("--port", dest="http_port", type=int, help="HTTP port (default 8600)")
        p.add_argument("--host", dest="http_host", help="HTTP address (default 127.0.0.1)")

    run = sub.add_parser("run", help="index and follow the chain until Ctrl-C")
    common(run)
    run.set_defaults(func=cmd_run)
    sync = sub.add_parser("sync", help="index up to the head (or --until), then exit")
    common(sync)
    sync.add_argument("--until", type=int, help="stop at this block")
    sync.set_defaults(func=cmd_sync)
    status = sub.add_parser("status", help="head, indexed block, lag, dead letters")
    common(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    rebuild = sub.add_parser("rebuild", help="drop the index and re-index from the deployment")
    common(rebuild)
    rebuild.set_defaults(func=cmd_rebuild)
    verify = sub.add_parser(
        "verify", help="re-derive the index from the chain and compare (exit 1 on a difference)"
    )
    common(verify)
    verify.set_defaults(func=cmd_verify)


def config_from(args: argparse.Namespace) -> NodeConfig:
    if args.config is not None:
        config = load_config(args.config)
    else:
        config = default_config(args.organisation or "SH", args.data_dir)
        if args.database_url is None:
            # The embedded default keeps each node's SQLite file in the data folder.
            (args.data_dir / "nodes" / config.organisation.lower()).mkdir(
                parents=True, exist_ok=True
            )
        if args.rpc_url and not args.ws_url:
            # The default websocket is the local chain's; another RPC brings its own.
            args.ws_url = "ws" + args.rpc_url.removeprefix("http")
    return config.with_overrides(
        organisation=args.organisation,
        rpc_url=args.rpc_url,
        ws_url=args.ws_url,
        database_url=args.database_url,
        deployment=args.deployment,
        confirmations=args.confirmations,
        max_range=args.max_range,
        range_process_min_logs=RANGE_PROCESS_MIN_LOGS if args.range_process else None,
        http_port=args.http_port,
        http_host=args.http_host,
    )


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from node.store.index_lock import hold_index

    _setup_logging()
    config = config_from(args)
    # Before anything else: a second indexer on this index refuses at once, naming the first.
    with hold_index(config.database_url, config.organisation):
        return _run(config)


def _run(config: NodeConfig) -> int:
    from aiohttp import web

    from node.api.app import create_app
    from node.api.server import NodeRunner, run_event_loop

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _stopping, sig, stop)
        runner = NodeRunner(create_app(config), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, config.http_host, config.http_port)
            await site.start()
            log.info(
                "node %s serving http://%s:%d (chain %s, index %s)",
                config.organisation,
                config.http_host,
                config.http_port,
                config.rpc_url,
                config.database_url,
            )
            await stop.wait()
        finally:
            await runner.cleanup()
            log.info("node %s stopped", config.organisation)

    run_event_loop(main())
    return 0


def _stopping(sig: signal.Signals, stop: asyncio.Event) -> None:
    # SIGTERM comes from `onelist down`, from `up` stopping its nodes, or from the kernel when
    # the `up` that started this node died: each stops the server and closes the index in order.
    log.info("%s: stopping", sig.name)
    stop.set()


def cmd_sync(args: argparse.Namespace) -> int:
    from node.store.index_lock import hold_index

    _setup_logging()
    config = config_from(args)
    with hold_index(config.database_url, config.organisation):
        return _sync(config, args.until)


def _sync(config: NodeConfig, until: int | None) -> int:
    from node.indexer.progress import ProgressReporter
    from node.service import open_node

    async def main() -> IndexerState:
        progress = ProgressReporter()
        try:
            async with open_node(config, on_progress=progress) as node:
                await node.indexer.sync(until)
                return node.indexer.state
        finally:
            progress.close()

    state = asyncio.run(main())
    print(
        f"indexed to block {state.indexed}: {state.events_indexed} events, "
        f"{state.dead_letters} dead letters"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from node.service import open_store

    config = config_from(args)
    store = open_store(config.database_url)
    try:
        status = store.status()
    finally:
        store.close()

    async def head() -> int | None:
        from node.chain.rpc import RpcClient
        from node.errors import NodeError

        try:
            async with RpcClient(config.rpc_url, timeout=3, retries=0) as rpc:
                return await rpc.head()
        except NodeError:
            return None

    chain_head = asyncio.run(head())
    indexed = status.get("cursor", {}).get("block_number") if status.get("cursor") else None
    status["head"] = chain_head
    status["lag"] = None if chain_head is None or indexed is None else max(0, chain_head - indexed)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"organisation  {config.organisation}")
    print(
        f"chain head    {chain_head if chain_head is not None else 'unreachable'} "
        f"({config.rpc_url})"
    )
    print(f"indexed block {indexed if indexed is not None else 'none yet'}")
    print(f"lag           {status['lag'] if status['lag'] is not None else '-'}")
    print(f"events        {status.get('events', 0)}")
    print(f"dead letters  {status.get('dead_letters', 0)}")
    for letter in status.get("recent_dead_letters", []):
        print(
            f"  block {letter['block_number']} tx {letter['tx_hash']} "
            f"log {letter['log_index']}: {letter['reason']}"
        )
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from node.store.index_lock import hold_index

    _setup_logging()
    config = config_from(args)
    # One lock over the reset and the sync: no other indexer may write in between.
    with hold_index(config.database_url, config.organisation):
        from node.service import open_store

        store = open_store(config.database_url)
        try:
            store.reset()
        finally:
            store.close()
        return _sync(config, None)


def cmd_verify(args: argparse.Namespace) -> int:
    from node.service import open_node, open_store

    _setup_logging()
    config = config_from(args)
    store = open_store(config.database_url)
    try:
        cursor = store.cursor()
        if cursor is None:
            print("onelist: the index is empty; nothing to verify", file=sys.stderr)
            return 1
        mine = store.digest()
    finally:
        store.close()
    with tempfile.TemporaryDirectory(prefix="onelist-verify-") as tmp:
        fresh_url = f"sqlite:///{Path(tmp) / 'fresh.db'}"
        fresh_config = config.with_overrides(database_url=fresh_url)

        async def rebuild() -> None:
            async with open_node(fresh_config) as node:
                await node.indexer.sync(cursor.block_number)

        asyncio.run(rebuild())
        fresh = open_store(fresh_url)
        try:
            theirs = fresh.digest()
        finally:
            fresh.close()
    difference = mine.first_difference(theirs)
    if difference is None:
        print(
            f"verified: the index up to block {cursor.block_number} equals the chain "
            f"({mine.hexdigest})"
        )
        return 0
    print(f"onelist: the index differs from the chain: {difference}", file=sys.stderr)
    return 1
