"""Propagation between exchanges: a listing approved at SH, seen through ZJ's public API.

    .venv/bin/python benchmarks/propagation.py [--listings 1000] [--chain ganache|anvil]
        [--in-flight 64] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--poll-interval 0.5] [--no-ws] [--block-time SECONDS] [--warmup 3]

Starts a local chain (ganache by default; ``--block-time`` seals a block every few seconds, as
QBFT does, instead of one per transaction), deploys the founding consortium of
``config/consortium.example.toml``, and runs SH's and ZJ's nodes as ``onelist node run
--config …`` processes, their files, keystores and staff made as ``onelist up`` makes them
(:mod:`onelist.network`), their configs with this run's settings: each node its own index (a
SQLite file, or with ``--postgres`` a PostgreSQL database created and dropped here), the chain's
websocket for new heads as a deployment on Besu uses (``--no-ws``: polling only),
``poll_interval`` 0.5 s (the default). SH's admin registers a provider. Then, twice
``--listings`` listings, the way real users make them (:class:`onelist.network.demo.Actors`):
the provider signs its manifest and submits it to SH's node (``POST /submissions``, a signed
request), and SH's reviewer approves it (``POST /staff/submissions/{id}/approve``: SH's node
sends ``ListingRegistry.list`` with its operator key and answers once it has the receipt):

- sequential: one listing at a time;
- pipelined: up to ``--in-flight`` listings submitted and approved at once.

A listing's "receipt" is the moment SH's approval answers; it is "visible" when ``GET
/listings/{id}`` on ZJ's node first answers 200 (a watcher asks for the oldest listing not yet
seen, about every 2 ms, and checks the next ones at once when it appears).

Prints one JSON object: ``listings`` (per phase), ``p50_ms`` and ``p99_ms`` (receipt to
visibility at ZJ, sequential phase), ``pipelined_per_s`` and ``sequential_per_s`` (listings
per second from the first submission to the last listing visible at ZJ), and a ``context``
object (the pipelined phase's latencies, receipt-only rates, settings, targets). Progress goes
to stderr, with rich on a terminal only. Targets (issue #6, ganache): p50 ≤ 100 ms, p99 ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from listing.accounts import list_accounts
from listing.manifest import Manifest, manifest_from_data
from node.api.staff_auth import add_staff_user
from node.service import open_store
from onelist.build.compiler import repo_root
from onelist.chain.connection import address_of, connect, dev_private_keys
from onelist.chain.deployment import Deployment, deploy, save_deployment
from onelist.chain.founding import load_founding
from onelist.chain.launcher import BACKENDS, Backend, LocalChain, free_port
from onelist.network.demo import Actors
from onelist.network.plan import NetworkPlan, NodePlan, plan_network
from onelist.network.provision import provision, read_staff_passwords
from onelist.network.scenario import as_local_manifest
from onelist.network.supervisor import NodeProcess

FOUNDING = repo_root() / "config" / "consortium.example.toml"
EXAMPLE = repo_root() / "examples" / "manifests" / "traffic-od.json"
TARGET_P50_MS = 100
TARGET_P99_MS = 500
#: Seconds between two asks of ZJ's API for the oldest listing it has not shown yet.
WATCH_SECONDS = 0.002
NODE_START_TIMEOUT = 120.0
VISIBLE_TIMEOUT = 120.0


# ----------------------------------------------------------------------------- pure


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def node_toml(values: dict[str, Any]) -> str:
    """A ``[node]`` table for ``onelist node run --config`` (strings, numbers)."""
    lines = ["[node]"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@dataclass
class Phase:
    """One phase's timings (``time.perf_counter`` seconds)."""

    name: str
    started: float = 0.0
    receipts: dict[str, float] = field(default_factory=dict)  # listing id -> receipt returned
    visible: dict[str, float] = field(default_factory=dict)  # listing id -> first 200 at ZJ

    def latencies_ms(self) -> list[float]:
        return [(self.visible[lid] - t) * 1000 for lid, t in self.receipts.items()]

    def summary(self) -> dict[str, Any]:
        latencies = self.latencies_ms()
        count = len(self.receipts)
        last_receipt = max(self.receipts.values()) - self.started
        last_visible = max(self.visible.values()) - self.started
        return {
            "listings": count,
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "max_ms": round(max(latencies), 1),
            "mean_ms": round(statistics.fmean(latencies), 1),
            "per_s": round(count / last_visible, 1),
            "receipts_per_s": round(count / last_receipt, 1),
            "seconds": round(last_visible, 2),
        }


# ----------------------------------------------------------------------------- progress


class Progress:
    """A rich progress bar on a terminal's stderr; nothing otherwise (stdout is the JSON)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()

    def say(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(message)

    def phase(self, description: str, total: int) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task(description, total=total)

    def advance(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


# ----------------------------------------------------------------------------- the consortium


@dataclass
class Consortium:
    chain: LocalChain
    deployment: Deployment
    plan: NetworkPlan  # SH's and ZJ's nodes
    nodes: list[NodeProcess]
    actors: Actors
    provider_key: str


def start_chain(
    backend: Backend, folder: Path, block_time: int | None
) -> tuple[LocalChain, Deployment]:
    chain = LocalChain(backend, block_time=block_time).start()
    try:
        w3 = connect(chain.url, chain.chain_id)
        deployment = deploy(w3, load_founding(FOUNDING), dev_private_keys()[0])
        save_deployment(deployment, folder / "deployment.json")
    except BaseException:
        chain.stop()
        raise
    return chain, deployment


def write_config(node: NodePlan, settings: dict[str, Any], database_url: str) -> None:
    """The node's ``node.toml`` with this run's settings (``onelist up``'s own has fixed ones),
    naming the keystore :func:`provision` made for it."""
    values = {
        "organisation": node.organisation,
        "http_port": node.port,
        "database_url": database_url,
        **settings,
    }
    keystores = list_accounts(node.keystore_dir)
    if keystores:
        values["operator_keystore"] = str(keystores[0].path)
        values["operator_passphrase_file"] = str(node.passphrase_path)
    node.config_path.write_text(node_toml(values), encoding="utf-8")


def add_staff(node: NodePlan, database_url: str) -> None:
    """The staff :func:`provision` made in the node's SQLite file, in its PostgreSQL index too."""
    passwords = read_staff_passwords(node.staff_passwords_path)
    store = open_store(database_url)
    try:
        for account in node.staff:
            add_staff_user(
                store.engine, account.username, passwords[account.username], account.roles
            )
    finally:
        store.close()


def wait_ready(nodes: list[NodeProcess], timeout: float = NODE_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    for node in nodes:
        while not node.is_ready():
            if not node.running or time.monotonic() > deadline:
                raise RuntimeError(node.failure())
            time.sleep(0.1)


@contextlib.contextmanager
def consortium(args: argparse.Namespace, folder: Path) -> Iterator[Consortium]:
    """The chain with the consortium, and SH's and ZJ's nodes as ``onelist node run`` processes
    (files and staff as ``onelist up`` makes them), a provider registered by SH's admin."""
    backend = next(b for b in BACKENDS if b == args.chain)
    chain, deployment = start_chain(backend, folder, args.block_time)
    nodes: list[NodeProcess] = []
    try:
        full = plan_network(
            load_founding(FOUNDING), folder, chain.url, [free_port() for _ in range(4)]
        )
        plan = replace(full, nodes=tuple(n for n in full.nodes if n.organisation in ("SH", "ZJ")))
        provision(plan, dev_private_keys())
        settings: dict[str, Any] = {
            "rpc_url": chain.url,
            "deployment": str(plan.deployment_path),
            "poll_interval": args.poll_interval,
        }
        if not args.no_ws:
            settings["ws_url"] = "ws" + chain.url.removeprefix("http")
        with databases(args.postgres, [n.organisation.lower() for n in plan.nodes]) as urls:
            for node, url in zip(plan.nodes, urls, strict=True):
                if url is None:
                    url = f"sqlite:///{node.database_path}"
                else:
                    add_staff(node, url)
                write_config(node, settings, url)
                nodes.append(NodeProcess(node))
            for process in nodes:
                process.start()
            wait_ready(nodes)
            actors = Actors(plan, deployment)
            provider_key = dev_private_keys()[5]
            actors.register("SH", address_of(provider_key), ["provider"], "propagation benchmark")
            actors.wait_indexed()
            yield Consortium(chain, deployment, plan, nodes, actors, provider_key)
    finally:
        for process in nodes:
            process.terminate()
        for process in nodes:
            process.stop()
        chain.stop()


@contextlib.contextmanager
def databases(postgres: str | None, names: list[str]) -> Iterator[list[str | None]]:
    """A new PostgreSQL database per name on the ``postgres`` server (dropped afterwards), or
    None each: the nodes' SQLite files."""
    if postgres is None:
        yield [None for _ in names]
        return
    server = make_url(postgres)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    created = [f"onelist_propagation_{name}_{secrets.token_hex(4)}" for name in names]
    try:
        with admin.connect() as connection:
            for database in created:
                connection.execute(text(f'CREATE DATABASE "{database}"'))
        yield [server.set(database=d).render_as_string(hide_password=False) for d in created]
    finally:
        with admin.connect() as connection:
            for database in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


# ----------------------------------------------------------------------------- the phases


def new_manifest(provider: str, seed: str) -> Manifest:
    """The traffic example as this provider's product at SH, with a dataset of its own."""
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    local = as_local_manifest(document, provider, "SH", ["SH", "ZJ", "SD"])
    local["product_ref"] = f"propagation-{seed}"
    local["fingerprint"] = "0x" + hashlib.sha256(seed.encode()).hexdigest()
    return manifest_from_data(local, where=str(EXAMPLE))


class Watcher:
    """Asks ZJ's API for each listing, oldest approval first, until it is there."""

    def __init__(self, session: aiohttp.ClientSession, base: str, progress: Progress) -> None:
        self._session = session
        self._base = base
        self._progress = progress
        self._queue: asyncio.Queue[tuple[Phase, str]] = asyncio.Queue()

    def expect(self, phase: Phase, listing_id: str) -> None:
        self._queue.put_nowait((phase, listing_id))

    async def _visible(self, listing_id: str) -> bool:
        async with self._session.get(f"{self._base}/listings/{listing_id}") as answer:
            await answer.read()
            if answer.status not in (200, 404):
                raise RuntimeError(f"ZJ answered {answer.status} for {listing_id}")
            return answer.status == 200

    async def run(self) -> None:
        while True:
            phase, listing_id = await self._queue.get()
            deadline = time.perf_counter() + VISIBLE_TIMEOUT
            while not await self._visible(listing_id):
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{listing_id} did not reach ZJ in {VISIBLE_TIMEOUT:.0f}s")
                await asyncio.sleep(WATCH_SECONDS)
            phase.visible[listing_id] = time.perf_counter()
            self._progress.advance()
            self._queue.task_done()

    async def drained(self) -> None:
        await self._queue.join()


async def run_phase(
    name: str,
    c: Consortium,
    watcher: Watcher,
    count: int,
    in_flight: int,
    progress: Progress,
) -> Phase:
    """``count`` listings submitted and approved at SH, ``in_flight`` at a time (1: sequential)."""
    run = secrets.token_hex(4)
    provider = address_of(c.provider_key)
    manifests = [new_manifest(provider, f"{name}-{run}-{i}") for i in range(count)]
    phase = Phase(name)
    progress.phase(f"{name}: visible at ZJ", count)
    slots = asyncio.Semaphore(in_flight)

    async def one(manifest: Manifest) -> None:
        async with slots:
            listed = await asyncio.to_thread(
                c.actors.submit_and_approve, "SH", c.provider_key, manifest
            )
            phase.receipts[listed.listing_id] = time.perf_counter()
            watcher.expect(phase, listed.listing_id)

    phase.started = time.perf_counter()
    await asyncio.gather(*(one(m) for m in manifests))
    await watcher.drained()
    return phase


@contextlib.asynccontextmanager
async def watching(
    session: aiohttp.ClientSession, base: str, progress: Progress
) -> AsyncIterator[Watcher]:
    watcher = Watcher(session, base, progress)
    task = asyncio.create_task(watcher.run())
    try:
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def measure(c: Consortium, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    # One worker thread per listing in flight: each waits for its submission and approval.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.in_flight + 4))
    zj = c.plan.node("ZJ").url
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4)) as session,
        watching(session, zj, progress) as watcher,
    ):
        # Warm-up, not measured: a node's first listing fills its caches (jieba's dictionary
        # is loaded at the node's start); a long-running node has done so.
        await run_phase("warm-up", c, watcher, args.warmup, 1, progress)
        sequential = await run_phase("sequential", c, watcher, args.listings, 1, progress)
        pipelined = await run_phase(
            "pipelined", c, watcher, args.listings, args.in_flight, progress
        )
    seq, pipe = sequential.summary(), pipelined.summary()
    return {
        "listings": args.listings,
        "p50_ms": seq["p50_ms"],
        "p99_ms": seq["p99_ms"],
        "pipelined_per_s": pipe["per_s"],
        "sequential_per_s": seq["per_s"],
        "context": {
            "chain": args.chain,
            "block_time_s": args.block_time,
            "index": "postgresql" if args.postgres else "sqlite",
            "new_heads": "none (polling)" if args.no_ws else "websocket",
            "poll_interval_s": args.poll_interval,
            "in_flight": args.in_flight,
            "warmup_listings": args.warmup,
            "sequential": seq,
            "pipelined": pipe,
            "targets": {"p50_ms": TARGET_P50_MS, "p99_ms": TARGET_P99_MS},
            "met": seq["p50_ms"] <= TARGET_P50_MS and seq["p99_ms"] <= TARGET_P99_MS,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=1000, help="listings per phase")
    parser.add_argument("--chain", choices=BACKENDS, default="ganache")
    parser.add_argument("--in-flight", type=int, default=64, help="pipelined phase's window")
    parser.add_argument("--postgres", help="a PostgreSQL server URL: the nodes' indexes there")
    parser.add_argument(
        "--poll-interval", type=float, default=0.5, help="the nodes' poll_interval (seconds)"
    )
    parser.add_argument(
        "--warmup", type=int, default=3, help="listings made first and not measured"
    )
    parser.add_argument(
        "--block-time",
        type=int,
        help="seconds between blocks, as QBFT seals them (default: a block per transaction)",
    )
    parser.add_argument("--no-ws", action="store_true", help="no websocket: the nodes poll")
    args = parser.parse_args(argv)
    if args.listings < 1 or args.in_flight < 1 or args.warmup < 1:
        parser.error("--listings, --in-flight and --warmup must be at least 1")
    progress = Progress()
    try:
        with tempfile.TemporaryDirectory(prefix="onelist-propagation-") as tmp:
            progress.say(f"starting {args.chain}, the consortium, SH's and ZJ's nodes")
            with consortium(args, Path(tmp)) as c:
                result = asyncio.run(measure(c, args, progress))
    finally:
        progress.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
