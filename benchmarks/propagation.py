"""Propagation between exchanges: a listing made at SH, seen through ZJ's public API.

    .venv/bin/python benchmarks/propagation.py [--listings 1000] [--chain ganache|anvil]
        [--in-flight 64] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--poll-interval 0.5] [--no-ws] [--block-time SECONDS] [--warmup 3] [--threads N]

Starts a local chain (ganache by default), deploys the founding consortium of
``config/consortium.example.toml``, registers a provider, and runs SH's and ZJ's nodes as two
``onelist node run --config …`` processes with generated configs (each its own index: a SQLite
file, or with ``--postgres`` a PostgreSQL database created and dropped here; the chain's
websocket for new heads, as a deployment on Besu would use; ``poll_interval`` 0.5 s, the
default; ``--block-time`` makes the chain seal a block every few seconds, as QBFT does, instead
of one per transaction). Then, twice ``--listings`` listings:

- sequential: SH's operator lists one product at a time, each waiting for its receipt;
- pipelined: up to ``--in-flight`` listing transactions in flight at once.

Both go through :class:`node.chain.sender.TransactionSender`, the code SH's node approves a
submission with (nonce management, signed transaction kept before broadcast), with the
provider's EIP-712 authorisation made by :class:`onelist.chain.client.ConsortiumClient`. Each
listing's "receipt" is the moment the sender returns its mined receipt; it is then "visible"
when ``GET /listings/{id}`` on ZJ's node first answers 200 (a watcher asks for the oldest
listing not yet seen, about every 2 ms, and checks the next ones at once when it appears).

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
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from eth_account import Account
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from node.chain.sender import TransactionSender
from node.store import open_engine, upgrade
from onelist.build.compiler import repo_root
from onelist.catalogue import encode_catalogue
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import Transactable, address_of, connect, dev_private_keys
from onelist.chain.deployment import Deployment, deploy, save_deployment
from onelist.chain.founding import load_founding
from onelist.chain.launcher import BACKENDS, Backend, LocalChain, free_port
from onelist.chain.samples import sample_catalogue, sample_record
from onelist.codes import ParticipantRole
from onelist.records import record_tuple

TARGET_P50_MS = 100
TARGET_P99_MS = 500
#: Seconds between two asks of ZJ's API for the oldest listing it has not shown yet.
WATCH_SECONDS = 0.002
NODE_START_TIMEOUT = 120.0
VISIBLE_TIMEOUT = 120.0
CATALOGUE = encode_catalogue(sample_catalogue())


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
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
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
class Setup:
    chain: LocalChain
    deployment: Deployment
    deployment_path: Path
    client: ConsortiumClient
    operator_key: str  # SH's
    provider_key: str


def start_consortium(backend: Backend, folder: Path, block_time: int | None = None) -> Setup:
    chain = LocalChain(backend, block_time=block_time).start()
    try:
        w3 = connect(chain.url, chain.chain_id)
        keys = dev_private_keys()
        founding = load_founding(repo_root() / "config" / "consortium.example.toml")
        deployment = deploy(w3, founding, keys[0])
        path = folder / "deployment.json"
        save_deployment(deployment, path)
        client = ConsortiumClient(w3, deployment)
        operator, provider = keys[1], keys[5]  # SH's operator (founding file), a provider
        client.register_participant(operator, address_of(provider), ParticipantRole.provider)
    except BaseException:
        chain.stop()
        raise
    return Setup(chain, deployment, path, client, operator, provider)


@contextlib.contextmanager
def databases(postgres: str | None, folder: Path, names: list[str]) -> Iterator[list[str]]:
    """An index URL per name: SQLite files in ``folder``, or new PostgreSQL databases."""
    if postgres is None:
        yield [f"sqlite:///{folder / f'{name}.db'}" for name in names]
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


@contextlib.contextmanager
def node_process(
    organisation: str, folder: Path, settings: dict[str, Any]
) -> Iterator[tuple[str, Path]]:
    """``onelist node run --config`` for ``organisation`` in a process of its own: (URL, log)."""
    port = free_port()
    config = folder / f"node.{organisation.lower()}.toml"
    config.write_text(
        node_toml({"organisation": organisation, "http_port": port, **settings}), encoding="utf-8"
    )
    log = folder / f"node.{organisation.lower()}.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "onelist.cli", "node", "run", "--config", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=repo_root(),
        )
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def wait_ready(session: aiohttp.ClientSession, base: str, log: Path) -> None:
    """Until the node answers ``/ready`` with 200 (its index caught up with the chain)."""
    deadline = time.monotonic() + NODE_START_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{base}/ready") as answer:
                if answer.status == 200:
                    return
        await asyncio.sleep(0.1)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"the node at {base} was not ready in time:\n{tail}")


# ----------------------------------------------------------------------------- the phases


def listing_call(
    setup: Setup, seed: str, deadline: int
) -> tuple[str, Callable[[ConsortiumClient], Transactable]]:
    """A new listing at SH, signed by the provider: its id and the call the sender sends."""
    client = setup.client
    record = sample_record(address_of(setup.provider_key), seed)
    listing_id = bytes(record["fingerprint"])
    signature = client.sign_listing(
        setup.provider_key, listing_id, "SH", record, CATALOGUE, deadline
    )

    def build(contracts: ConsortiumClient) -> Transactable:
        call: Transactable = contracts.listings.functions.list(
            record_tuple(record), CATALOGUE, deadline, signature
        )
        return call

    return "0x" + listing_id.hex(), build


class Watcher:
    """Asks ZJ's API for each listing, oldest receipt first, until it is there."""

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
    setup: Setup,
    sender: TransactionSender,
    watcher: Watcher,
    count: int,
    in_flight: int,
    progress: Progress,
) -> Phase:
    """``count`` listings, at most ``in_flight`` transactions at a time (1: sequential)."""
    deadline = setup.client.deadline()
    run = secrets.token_hex(4)
    calls = [listing_call(setup, f"propagation-{name}-{run}-{i}", deadline) for i in range(count)]
    phase = Phase(name)
    progress.phase(f"{name}: visible at ZJ", count)
    slots = asyncio.Semaphore(in_flight)

    async def one(listing_id: str, build: Callable[[ConsortiumClient], Transactable]) -> None:
        async with slots:
            await sender.send(f"list:{listing_id}", build, requested_by="benchmark")
            phase.receipts[listing_id] = time.perf_counter()
            watcher.expect(phase, listing_id)

    phase.started = time.perf_counter()
    if in_flight == 1:
        for listing_id, build in calls:
            await one(listing_id, build)
    else:
        await asyncio.gather(*(one(listing_id, build) for listing_id, build in calls))
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


async def measure(
    setup: Setup, args: argparse.Namespace, folder: Path, progress: Progress
) -> dict[str, Any]:
    if args.threads is not None:
        # The node's sender waits for each receipt in a worker thread of the default executor
        # (min(32, cores + 4) threads): that caps the transactions awaited at once.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.threads))
    settings: dict[str, Any] = {
        "rpc_url": setup.chain.url,
        "deployment": str(setup.deployment_path),
        "poll_interval": args.poll_interval,
    }
    if not args.no_ws:
        settings["ws_url"] = "ws" + setup.chain.url.removeprefix("http")
    sender_db = folder / "sender.db"
    engine = open_engine(f"sqlite:///{sender_db}")
    upgrade(engine)
    sender = TransactionSender(
        setup.deployment,
        setup.chain.url,
        bytes(Account.from_key(setup.operator_key).key),
        engine,
        client=setup.client,
    )
    with (
        databases(args.postgres, folder, ["sh", "zj"]) as (sh_db, zj_db),
        node_process("SH", folder, {**settings, "database_url": sh_db}) as (sh, sh_log),
        node_process("ZJ", folder, {**settings, "database_url": zj_db}) as (zj, zj_log),
    ):
        connector = aiohttp.TCPConnector(limit=4)
        async with aiohttp.ClientSession(connector=connector) as session:
            progress.say("waiting for SH's and ZJ's nodes")
            await wait_ready(session, sh, sh_log)
            await wait_ready(session, zj, zj_log)
            async with watching(session, zj, progress) as watcher:
                # Warm-up, not measured: a node's first listing also loads jieba's dictionary
                # (about a second) and fills its caches; a long-running node has done both.
                await run_phase("warm-up", setup, sender, watcher, args.warmup, 1, progress)
                sequential = await run_phase(
                    "sequential", setup, sender, watcher, args.listings, 1, progress
                )
                pipelined = await run_phase(
                    "pipelined", setup, sender, watcher, args.listings, args.in_flight, progress
                )
    engine.dispose()
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
            "executor_threads": args.threads or min(32, (os.cpu_count() or 1) + 4),
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
    parser.add_argument(
        "--threads",
        type=int,
        help="worker threads of this process's default executor (default: asyncio's own)",
    )
    parser.add_argument("--no-ws", action="store_true", help="no websocket: the nodes poll")
    args = parser.parse_args(argv)
    if args.listings < 1 or args.in_flight < 1 or args.warmup < 1:
        parser.error("--listings, --in-flight and --warmup must be at least 1")
    if args.block_time is not None and args.chain == "ganache":
        # ganache 7 with a block time counts no pooled transaction in the pending nonce and
        # refuses concurrent sends from the node's sender ("transaction underpriced").
        parser.error("--block-time needs --chain anvil")
    progress = Progress()
    try:
        with tempfile.TemporaryDirectory(prefix="onelist-propagation-") as tmp:
            folder = Path(tmp)
            progress.say(f"starting {args.chain} and deploying the consortium")
            backend = next(b for b in BACKENDS if b == args.chain)
            setup = start_consortium(backend, folder, args.block_time)
            try:
                result = asyncio.run(measure(setup, args, folder, progress))
            finally:
                setup.chain.stop()
    finally:
        progress.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
