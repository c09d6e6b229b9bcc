"""Backfill speed of the node's indexer, against raw eth_getLogs and web3.py, in one run.

    .venv/bin/python benchmarks/index_backfill.py [--events 100000] [--chain anvil]
        [--web3-events 20000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]

Starts a local chain, deploys the consortium, makes ``--events`` events through the real
contracts (benchmarks/eventgen.py), then measures over the same blocks:

- ``raw_rpc_events_per_s``: ``eth_getLogs`` over the three contracts' addresses in block ranges
  of about 10,000 logs, parsed as JSON and nothing more (the ceiling for any indexer); best of
  two passes;
- ``web3_events_per_s``: web3.py's ``contract.events.X().get_logs`` for every event type of the
  three contracts (web3's per-log decoder), over the blocks holding the first ``--web3-events``;
- ``sqlite_events_per_s`` and ``postgres_events_per_s``: ``node.indexer.backfill.run_backfill``
  into a new SQLite file and a new PostgreSQL database (created and dropped here), each in a
  process of its own so that its peak memory is its own;
- ``peak_rss_mb``: the largest peak resident set of those backfill processes (their own
  ``RUSAGE_SELF``, plus their range process's when one ran: neither the chain nor this process
  is counted).

``context.with_range_process`` has the same two backfills with the indexer's range process on
(``range_process_min_logs = 1000``; off by default, for its memory), side by side. With
``--rounds N`` the four backfills run N - 1 times more, alternating (``context.rounds``).

Prints one JSON object with those keys and a ``context`` object (sizes, seconds, ratios to the
raw rate, targets, and why a figure is null). Targets (issue #4): each backfill at least 60% of
the raw rate measured in the same run, peak RSS at most 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import platform
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eventgen import BATCH, GeneratedStats, Signer, generate_events
from web3 import Web3

from node.chain.rpc import RpcClient
from node.config import RANGE_PROCESS_MIN_LOGS
from onelist.build.compiler import load_artifacts, repo_root
from onelist.chain.connection import connect, dev_private_keys
from onelist.chain.deployment import CONTRACTS, Deployment, deploy
from onelist.chain.founding import load_founding
from onelist.chain.launcher import BACKENDS, LocalChain

#: Logs per eth_getLogs request in the raw measurement (the node's RangeSizer aims at the same).
RAW_TARGET_LOGS = 10_000
TARGET_RATIO = 0.6
TARGET_RSS_MB = 300
BACKFILL_TIMEOUT_S = 1_800

# Runs in a fresh interpreter, so that its peak RSS is the backfill's and nothing else's.
_BACKFILL_CHILD = """
import asyncio, json, resource, sys, time
from onelist.chain.deployment import Deployment
from node.indexer.backfill import run_backfill

args = json.loads(sys.argv[1])
started = time.perf_counter()
stats = asyncio.run(
    run_backfill(
        rpc_url=args["rpc_url"],
        deployment=Deployment.from_json(args["deployment"]),
        database_url=args["database_url"],
        until=args["until"],
        range_process=args.get("range_process"),
    )
)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
result = {
    "events": stats.events, "blocks": stats.blocks, "seconds": stats.seconds,
    "wall_seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
    "cpu_seconds": usage.ru_utime + usage.ru_stime,
}
if args.get("range_process") is not None:
    # The range process, once it has exited (the largest child: the others, such as a
    # library's probe of the system, are a few MB for a moment).
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.update({
        "ranges_in_process": stats.ranges_in_process,
        "process_peak_rss_mb": usage.ru_maxrss / 1024,
        "worker_peak_rss_mb": worker.ru_maxrss / 1024,
        "peak_rss_mb": (usage.ru_maxrss + worker.ru_maxrss) / 1024,
        "worker_cpu_seconds": worker.ru_utime + worker.ru_stime,
        "cpu_seconds": result["cpu_seconds"] + worker.ru_utime + worker.ru_stime,
    })
print(json.dumps(result))
"""

# The backfill's stages one after the other, each timed in CPU seconds of this process (the
# machine may be shared: CPU time is what a stage costs, wall time also what others took).
_STAGES_CHILD = """
import asyncio, json, sys, time
from node.chain.ranges import RangeSizer
from node.chain.rpc import RpcClient, parse_log
from node.decode import decode_log
from node.indexer.backfill import few_collections
from node.projections.columns import check_changes
from node.projections.project import HANDLERS
from node.service import catalog_for, open_store
from node.store import Cursor, WriteBatch
from node.store.search_terms import weighted_terms
from node.store.writer import _event_row
from onelist.chain.deployment import CONTRACTS, Deployment

args = json.loads(sys.argv[1])
deployment = Deployment.from_json(args["deployment"])
addresses = [deployment.address(name) for name in CONTRACTS]
catalog = catalog_for(deployment)
store = open_store(args["database_url"])
weighted_terms("预热", None, None, None)  # jieba's dictionary, loaded once, not counted
cpu = {name: 0.0 for name in (
    "fetch_logs", "to_raw_log", "fetch_headers", "decode", "project", "schema_check",
    "store_prepare", "store_sql",
)}
events = 0

async def run():
    global events
    size = RangeSizer().target_logs
    span = max(1, round(args["blocks"] * size / max(args["logs"], 1)))
    async with RpcClient(args["rpc_url"], timeout=120) as rpc:
        for first in range(deployment.block, args["until"] + 1, span):
            last = min(args["until"], first + span - 1)
            t = time.process_time()
            raw = await rpc.get_logs_raw(first, last, addresses)
            cpu["fetch_logs"] += time.process_time() - t
            t = time.process_time()
            logs = [parse_log(entry) for entry in raw]
            cpu["to_raw_log"] += time.process_time() - t
            t = time.process_time()
            numbers = sorted({log.block_number for log in logs} | {last})
            headers = {h.number: h for h in await rpc.headers(numbers)}
            cpu["fetch_headers"] += time.process_time() - t
            t = time.process_time()
            decoded = [
                decode_log(log, catalog, deployment.chain_id, headers[log.block_number].timestamp)
                for log in logs
            ]
            cpu["decode"] += time.process_time() - t
            t = time.process_time()
            changes = [HANDLERS[event.name](event) for event in decoded]
            cpu["project"] += time.process_time() - t
            t = time.process_time()
            for each in changes:
                check_changes(each)
            cpu["schema_check"] += time.process_time() - t
            batch = WriteBatch.projected(
                Cursor(deployment.chain_id, last, headers[last].hash),
                list(zip(decoded, changes)),
                blocks=list(headers.values()),
                first_block=first,
            )
            t = time.process_time()
            [_event_row(event) for event in batch.events]
            store._prepare(batch.changes, batch.owners, batch.events)
            prepare = time.process_time() - t
            t = time.process_time()
            store.apply_batch(batch)  # prepares again, then the SQL: counted once
            cpu["store_prepare"] += prepare
            cpu["store_sql"] += time.process_time() - t - prepare
            events += len(logs)

with few_collections():  # as run_backfill runs
    asyncio.run(run())
store.close()
print(json.dumps({
    "events": events,
    "cpu_us_per_event": {name: round(seconds / events * 1e6, 1) for name, seconds in cpu.items()},
}))
"""


# Until run_backfill exists: the indexer's own sync loop, as `onelist node sync` runs it.
_SYNC_CHILD = """
import asyncio, json, resource, sys, time
from pathlib import Path
from node.config import NodeConfig
from node.service import open_node

args = json.loads(sys.argv[1])
config = NodeConfig(
    organisation="SH", rpc_url=args["rpc_url"], deployment=Path(args["deployment_path"]),
    database_url=args["database_url"],
)

async def sync():
    async with open_node(config) as node:
        await node.indexer.sync(args["until"])
        return node.indexer.state

started = time.perf_counter()
state = asyncio.run(sync())
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({
    "events": state.events_indexed, "blocks": state.indexed - args["first"] + 1, "seconds": wall,
    "wall_seconds": wall, "peak_rss_mb": peak, "dead_letters": state.dead_letters,
}))
"""


def _log(message: str) -> None:
    print(f"index_backfill: {message}", file=sys.stderr, flush=True)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- raw RPC


async def _raw_pass(
    url: str, addresses: Sequence[str], first: int, last: int, span: int, mark: int
) -> tuple[int, float, int, int, float]:
    """One pass of eth_getLogs, JSON only: (logs, seconds, requests, block of log ``mark``,
    CPU seconds of this process)."""
    logs = requests = 0
    mark_block = last
    async with RpcClient(url, timeout=120) as rpc:
        started = time.perf_counter()
        cpu = time.process_time()
        for start in range(first, last + 1, span):
            entries = await rpc.get_logs_raw(start, min(last, start + span - 1), addresses)
            requests += 1
            if logs < mark <= logs + len(entries):
                mark_block = int(entries[mark - logs - 1]["blockNumber"], 16)
            logs += len(entries)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return logs, seconds, requests, mark_block, cpu


def measure_raw(
    url: str, deployment: Deployment, last: int, generated: GeneratedStats, web3_events: int
) -> dict[str, Any]:
    addresses = [deployment.address(name) for name in CONTRACTS]
    first = deployment.block
    blocks = last - first + 1
    span = max(1, round(blocks * RAW_TARGET_LOGS / max(generated.events, 1)))
    passes = [
        asyncio.run(_raw_pass(url, addresses, first, last, span, web3_events)) for _ in range(2)
    ]
    logs, seconds, requests, mark_block, cpu = min(passes, key=lambda p: p[1])
    return {
        "logs": logs,
        "seconds": seconds,
        "events_per_s": logs / seconds,
        "requests": requests,
        "range_blocks": span,
        "passes_seconds": [round(p[1], 3) for p in passes],
        "web3_last_block": mark_block,
        "cpu_seconds": cpu,
    }


# --------------------------------------------------------------------------- web3.py


def measure_web3(url: str, deployment: Deployment, last: int) -> dict[str, Any]:
    """web3.py's own way: one get_logs per event type and contract, decoded per log."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 600}))
    artifacts = load_artifacts()
    decoded = 0
    started = time.perf_counter()
    for name in CONTRACTS:
        contract = w3.eth.contract(address=deployment.address(name), abi=artifacts[name].abi)
        for entry in artifacts[name].abi:
            if entry.get("type") != "event":
                continue
            event = contract.events[entry["name"]]()
            decoded += len(event.get_logs(from_block=deployment.block, to_block=last))
    seconds = time.perf_counter() - started
    return {"events": decoded, "seconds": seconds, "events_per_s": decoded / seconds}


# --------------------------------------------------------------------------- the node's backfill


def backfill_available() -> str | None:
    """None when node.indexer.backfill.run_backfill can be imported, else why not."""
    try:
        if importlib.util.find_spec("node.indexer.backfill") is None:
            return "node.indexer.backfill does not exist yet"
    except ImportError as exc:
        return f"node.indexer.backfill cannot be found: {exc}"
    probe = "import node.indexer.backfill as b; assert callable(b.run_backfill)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        return "node.indexer.backfill.run_backfill cannot be imported: " + _tail(done.stderr)
    return None


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def run_backfill_child(
    url: str,
    deployment: Deployment,
    database_url: str,
    until: int,
    *,
    sync: bool = False,
    range_process: int | None = None,
) -> dict[str, Any]:
    """The node's backfill (or, with ``sync``, its indexer's sync loop) in a process of its
    own, with a range process when ``range_process`` gives its least range; its figures, or
    an ``error``."""
    with tempfile.TemporaryDirectory(prefix="onelist-bench-") as tmp:
        deployment_path = Path(tmp) / "deployment.json"
        deployment_path.write_text(deployment.to_json(), encoding="utf-8")
        args = {
            "rpc_url": url,
            "deployment": deployment.to_json(),
            "deployment_path": str(deployment_path),
            "database_url": database_url,
            "first": deployment.block,
            "until": until,
            "range_process": range_process,
        }
        return _child(_SYNC_CHILD if sync else _BACKFILL_CHILD, args)


def _child(code: str, args: dict[str, Any]) -> dict[str, Any]:
    result = _run_child(code, args)
    if "error" not in result:
        result["events_per_s"] = result["events"] / result["wall_seconds"]
    return result


def _run_child(code: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter with ``args`` as JSON; its last stdout line is the
    result, or ``{"error": …}`` when it fails or runs out of time."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps(args)],
            capture_output=True,
            text=True,
            check=False,
            cwd=repo_root(),
            timeout=BACKFILL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {BACKFILL_TIMEOUT_S} s"}
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}: {_tail(done.stderr)}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_stages(
    url: str, deployment: Deployment, database_url: str, until: int, logs: int
) -> dict[str, Any]:
    """CPU microseconds per event of each stage of the backfill, run one after the other in a
    process of its own (what the pipeline overlaps, and where its time goes)."""
    args = {
        "rpc_url": url,
        "deployment": deployment.to_json(),
        "database_url": database_url,
        "until": until,
        "blocks": until - deployment.block + 1,
        "logs": logs,
    }
    result = _run_child(_STAGES_CHILD, args)
    if "error" in result:
        return result
    per_event = result["cpu_us_per_event"]
    result["total_cpu_us_per_event"] = round(sum(per_event.values()), 1)
    return result


@contextlib.contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A new, empty database on ``server`` (a SQLAlchemy URL without a database), dropped after."""
    import psycopg  # only this measurement needs it

    base = server.rstrip("/")
    admin = base.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
    name = f"onelist_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- the run


def _rate(result: dict[str, Any] | None) -> int | None:
    if result is None or "events_per_s" not in result:
        return None
    return round(float(result["events_per_s"]))


def _figures(result: dict[str, Any] | None, raw_rate: float, logs: int) -> dict[str, Any]:
    if result is None:
        return {}
    if "error" in result:
        return {"error": result["error"]}
    cpu = result.get("cpu_seconds")
    per_event = {}
    if cpu and result["events"]:
        per_event = {
            "cpu_seconds": round(cpu, 2),
            "cpu_us_per_event": round(cpu / result["events"] * 1e6, 1),
        }
    return {
        **per_event,
        "indexed_events": result["events"],
        "all_events_indexed": result["events"] == logs,
        "blocks": result["blocks"],
        "seconds": round(result["seconds"], 3),
        "wall_seconds": round(result["wall_seconds"], 3),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "ratio_to_raw": round(result["events_per_s"] / raw_rate, 3),
        **{
            name: round(result[name], 2) if isinstance(result[name], float) else result[name]
            for name in (
                "process_peak_rss_mb",
                "worker_peak_rss_mb",
                "worker_cpu_seconds",
                "ranges_in_process",
            )
            if name in result
        },
    }


def measure_rounds(
    url: str, deployment: Deployment, postgres: str, until: int, rounds: int
) -> list[dict[str, Any]]:
    """``rounds`` more of the four backfills (SQLite and PostgreSQL, each in one process and
    with the range process), alternating on the same chain: the side-by-side comparison that
    the machine's noise calls for."""
    figures: list[dict[str, Any]] = []
    for number in range(rounds):
        row: dict[str, Any] = {"round": number + 2}
        for label, range_process in (("one", None), ("range_process", RANGE_PROCESS_MIN_LOGS)):
            for database in ("sqlite", "postgres"):
                _log(f"round {number + 2}: {database}, {label.replace('_', ' ')}")
                with contextlib.ExitStack() as stack:
                    if database == "sqlite":
                        tmp = stack.enter_context(tempfile.TemporaryDirectory())
                        database_url = f"sqlite:///{Path(tmp) / 'index.db'}"
                    else:
                        database_url = stack.enter_context(postgres_database(postgres))
                    result = run_backfill_child(
                        url, deployment, database_url, until, range_process=range_process
                    )
                row[f"{database}_{label}"] = (
                    {"error": result["error"]}
                    if "error" in result
                    else {
                        "events_per_s": round(result["events_per_s"]),
                        "cpu_seconds": round(result["cpu_seconds"], 2),
                        "peak_rss_mb": round(result["peak_rss_mb"], 1),
                    }
                )
        figures.append(row)
    return figures


def measure(
    events: int,
    backend: str,
    web3_events: int,
    postgres: str,
    seed: int,
    block_size: int,
    rounds: int = 1,
) -> dict[str, Any]:
    with LocalChain(backend) as chain:  # type: ignore[arg-type]
        w3 = connect(chain.url, chain.chain_id, timeout=120)
        founding = load_founding(repo_root() / "config" / "consortium.example.toml")
        deployment = deploy(w3, founding, dev_private_keys()[0])
        _log(f"generating {events} events on {backend}")
        generated = generate_events(
            w3, deployment, events, seed=seed, progress=True, block_size=block_size
        )
        last = int(w3.eth.block_number)
        rss_after_generation = _rss_mb()

        _log("raw eth_getLogs")
        raw = measure_raw(chain.url, deployment, last, generated, web3_events)
        logs, raw_rate = raw["logs"], raw["events_per_s"]
        subset = web3_events < logs
        web3_last = raw["web3_last_block"] if subset else last
        _log(f"web3.py get_logs up to block {web3_last}")
        web3 = measure_web3(chain.url, deployment, web3_last)

        sqlite: dict[str, Any] | None = None
        pg: dict[str, Any] | None = None
        stages: dict[str, Any] | None = None
        interim: dict[str, Any] = {}
        split: dict[str, dict[str, Any]] = {}  # with the range process (not the default)
        notes: dict[str, str] = {}
        missing = backfill_available()
        if missing is not None:
            notes["backfill"] = missing
            _log(f"{missing}; measuring the indexer's sync loop instead (context only)")
        with tempfile.TemporaryDirectory(prefix="onelist-bench-") as tmp:
            _log("backfill into SQLite")
            url = f"sqlite:///{Path(tmp) / 'index.db'}"
            result = run_backfill_child(chain.url, deployment, url, last, sync=bool(missing))
            if missing:
                interim["sqlite"] = result
            else:
                sqlite = result
                _log("stage by stage (CPU time), into SQLite")
                stages = measure_stages(
                    chain.url, deployment, f"sqlite:///{Path(tmp) / 'stages.db'}", last, logs
                )
                _log("backfill into SQLite with the range process")
                split["sqlite"] = run_backfill_child(
                    chain.url,
                    deployment,
                    f"sqlite:///{Path(tmp) / 'split.db'}",
                    last,
                    range_process=RANGE_PROCESS_MIN_LOGS,
                )
        try:
            with postgres_database(postgres) as database_url:
                _log("backfill into PostgreSQL")
                result = run_backfill_child(
                    chain.url, deployment, database_url, last, sync=bool(missing)
                )
                if missing:
                    interim["postgres"] = result
                else:
                    pg = result
            if not missing:
                with postgres_database(postgres) as database_url:
                    _log("backfill into PostgreSQL with the range process")
                    split["postgres"] = run_backfill_child(
                        chain.url,
                        deployment,
                        database_url,
                        last,
                        range_process=RANGE_PROCESS_MIN_LOGS,
                    )
        except Exception as exc:  # psycopg missing or server down: say so, keep the rest
            notes["postgres"] = f"no PostgreSQL database: {type(exc).__name__}: {exc}"
        more_rounds = (
            measure_rounds(chain.url, deployment, postgres, last, rounds - 1)
            if rounds > 1 and not missing and "postgres" not in notes
            else []
        )

    for label, outcome in (("sqlite", sqlite), ("postgres", pg)):
        if outcome is not None and "error" in outcome:
            notes[label] = outcome["error"]
    peaks = [r["peak_rss_mb"] for r in (sqlite, pg) if r is not None and "peak_rss_mb" in r]
    return {
        "events": logs,
        "raw_rpc_events_per_s": round(raw_rate),
        "web3_events_per_s": round(web3["events_per_s"]),
        "sqlite_events_per_s": _rate(sqlite),
        "postgres_events_per_s": _rate(pg),
        "peak_rss_mb": round(max(peaks), 1) if peaks else None,
        "context": {
            "chain": backend,
            "transactions_per_block": block_size if backend == "anvil" else 1,
            "blocks": last - deployment.block + 1,
            "events_per_block": round(logs / (last - deployment.block + 1)),
            "events_generated": generated.events,
            "generation": {
                "transactions": generated.transactions,
                "seconds": round(generated.seconds, 1),
                "events_per_s": round(generated.events_per_s),
            },
            "raw_rpc": {
                "seconds": round(raw["seconds"], 3),
                "requests": raw["requests"],
                "range_blocks": raw["range_blocks"],
                "passes_seconds": raw["passes_seconds"],
                "measures": "eth_getLogs + JSON parsing (orjson), best of two passes",
            },
            "web3": {
                "events_measured": web3["events"],
                "seconds": round(web3["seconds"], 3),
                "subset": (
                    f"the first {web3['events']} events (blocks {deployment.block}-{web3_last}); "
                    "web3's per-log decoder is too slow for all"
                    if subset
                    else "all events"
                ),
            },
            "sqlite": _figures(sqlite, raw_rate, logs),
            "stages_sqlite": stages,
            "raw_rpc_cpu_us_per_event": round(raw["cpu_seconds"] / logs * 1e6, 1),
            "postgres": _figures(pg, raw_rate, logs),
            "rounds": more_rounds,
            "with_range_process": {
                "what": (
                    "the same backfills with `range_process_min_logs = 1000` (off by default): "
                    "a second process decodes and projects; its peak RSS is added"
                ),
                **{name: _figures(result, raw_rate, logs) for name, result in split.items()},
            },
            "peak_rss": (
                "largest peak RSS of the backfill processes, each counted as its own peak plus "
                "its range process's (RUSAGE_CHILDREN), as if both peaked at once; the chain "
                "(anvil) and this benchmark process are not counted"
            ),
            "benchmark_process_peak_rss_mb": round(max(_rss_mb(), rss_after_generation), 1),
            "targets": {"backfill_to_raw_ratio": TARGET_RATIO, "peak_rss_mb": TARGET_RSS_MB},
            "notes": notes,
            **(
                {
                    "interim_indexer_sync": {
                        "what": (
                            "run_backfill is missing, so the indexer's sync loop (the path of "
                            "`onelist node sync`, node.service.open_node + Indexer.sync) was "
                            "measured instead; not the backfill the keys above are for"
                        ),
                        **{
                            name: {**_figures(r, raw_rate, logs), "events_per_s": _rate(r)}
                            for name, r in interim.items()
                        },
                    }
                }
                if interim
                else {}
            ),
            "python": platform.python_version(),
            "fast_signing": Signer(bytes(31) + b"\x01").fast,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chain", choices=BACKENDS, default="anvil")
    parser.add_argument("--web3-events", type=int, default=20_000)
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432",
        help="server URL; a database is created for the run and dropped after",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the backfills this many times, alternating (context.rounds: the rounds after "
        "the first)",
    )
    parser.add_argument(
        "--block-size",
        type=int,
        default=BATCH,
        help=f"transactions per block on anvil (1 to {BATCH}; fewer make sparser blocks)",
    )
    args = parser.parse_args()
    result = measure(
        args.events,
        args.chain,
        args.web3_events,
        args.postgres,
        args.seed,
        args.block_size,
        args.rounds,
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
