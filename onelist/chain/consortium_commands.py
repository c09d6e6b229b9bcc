"""``onelist deploy``, ``onelist up`` and ``onelist down``: the consortium on a chain.

``deploy`` puts the contracts on any JSON-RPC chain (a Besu QBFT network in production) with the
founding members of a TOML file and writes the deployment record nodes read. ``up`` is the
one-command local consortium: a chain whose state is kept in a data folder, the contracts
deployed once and found again on the next run, and a node per exchange and regulator
(:mod:`onelist.network` plans, provisions and supervises them); ``down`` stops an ``up`` that
runs in the background.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from onelist.chain.founding import Founding, load_founding
from onelist.chain.launcher import BACKENDS
from onelist.errors import ConfigError
from onelist.network.plan import DEFAULT_NODE_PORT, NodePlan
from onelist.network.summary import summary_lines
from onelist.network.supervisor import (
    LocalConsortium,
    NodeFailed,
    pid_file,
    running_pid,
    stop_leftovers,
    wait_exited,
)

if TYPE_CHECKING:
    from onelist.chain.deployment import Deployment

# web3, eth-account and the node's store load in the handlers that use them: `down`, a refused
# `up` and a deploy with a bad flag answer at once.

DEFAULT_CONFIG = Path("config/consortium.example.toml")
DEFAULT_DATA_DIR = Path(".onelist")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    dep = subparsers.add_parser(
        "deploy",
        help="deploy the consortium contracts with the founding members of a TOML file",
        description="Deploy Consortium, ListingRegistry and LicenceRegistry and write the "
        "deployment record that nodes read.",
    )
    dep.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="founding TOML")
    dep.add_argument("--rpc", required=True, help="JSON-RPC URL of the chain")
    dep.add_argument("--chain-id", type=int, default=None, help="refuse any other chain")
    key = dep.add_mutually_exclusive_group(required=True)
    key.add_argument("--keystore", type=Path, help="deployer's Web3 Secret Storage file")
    key.add_argument(
        "--dev-account", type=int, help="index of a local development account (never in production)"
    )
    dep.add_argument("--passphrase-file", help="file holding the keystore's passphrase")
    dep.add_argument(
        "--out", type=Path, default=DEFAULT_DATA_DIR / "deployment.json", help="deployment record"
    )
    dep.set_defaults(func=run_deploy)

    up = subparsers.add_parser(
        "up",
        help="run the consortium locally: a chain, the contracts and a node per member",
        description="Start a local chain (state kept in --data-dir), deploy the consortium from "
        "the founding TOML unless this data folder already holds it, start a node for each "
        "exchange and regulator, and run until Ctrl-C (or `onelist down` with --detach).",
    )
    up.add_argument("--chain", choices=BACKENDS, default="ganache", help="local chain backend")
    up.add_argument("--port", type=int, default=8545, help="the chain's port")
    up.add_argument(
        "--node-port",
        type=int,
        default=DEFAULT_NODE_PORT,
        help=f"the first node's HTTP port, the others follow (default {DEFAULT_NODE_PORT}; "
        "0: any free ports)",
    )
    up.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="founding TOML")
    up.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    up.add_argument("--fresh", action="store_true", help="discard the data folder and start over")
    up.add_argument("--once", action="store_true", help="stop after deploying (for scripts and CI)")
    up.add_argument(
        "--demo", action="store_true", help="seed demo traffic through the nodes' APIs once"
    )
    up.add_argument(
        "--detach", action="store_true", help="run in the background; `onelist down` stops it"
    )
    up.add_argument(
        "--show-passwords", action="store_true", help="print the staff accounts' passwords"
    )
    up.set_defaults(func=run_up)

    down = subparsers.add_parser(
        "down",
        help="stop a consortium started with `onelist up --detach`",
        description="Stop the `onelist up` running on --data-dir: its nodes, then its chain "
        "(or, if that `up` was killed, whatever it left running). The state is kept; "
        "`onelist up` resumes it.",
    )
    down.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    down.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for it")
    down.set_defaults(func=run_down)


def _deployer_key(args: argparse.Namespace) -> str:
    if args.dev_account is not None:
        from onelist.chain.connection import dev_private_keys

        keys = dev_private_keys()
        if not 0 <= args.dev_account < len(keys):
            raise ConfigError(f"there are {len(keys)} development accounts", where="--dev-account")
        return str(keys[args.dev_account])
    # The keystore code lives with the provider toolkit; operators use the same files.
    from listing.accounts import read_passphrase, unlock

    return "0x" + unlock(args.keystore, read_passphrase(args.passphrase_file)).hex()


def _print_deployment(deployment: Deployment, founding: Founding, url: str) -> None:
    print(f"chain      {url} (chain id {deployment.chain_id})")
    print(f"deployed   block {deployment.block} by {deployment.deployer}")
    for name, contract in deployment.contracts.items():
        print(f"  {name:<16} {contract.address}")
    print("members")
    for ex in founding.exchanges:
        print(f"  {ex.code:<3} {ex.name}  province {ex.province}  operator {ex.operator}")
    for reg in founding.regulators:
        scope = "national" if reg.province == 0 else f"province {reg.province}"
        print(f"  regulator {reg.name} ({scope}) {reg.account}")
    bps = (founding.home_bps, founding.granting_bps, founding.consortium_bps)
    print(f"fees       home {bps[0]} bp, granting {bps[1]} bp, consortium {bps[2]} bp")


def run_deploy(args: argparse.Namespace) -> int:
    founding = load_founding(args.config)
    key = _deployer_key(args)
    from onelist.build.compiler import load_artifacts
    from onelist.chain.connection import connect
    from onelist.chain.deployment import deploy, save_deployment

    w3 = connect(args.rpc, args.chain_id)
    deployment = deploy(w3, founding, key, load_artifacts())
    save_deployment(deployment, args.out)
    _print_deployment(deployment, founding, args.rpc)
    print(f"record     {args.out}")
    return 0


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def up_argv(args: argparse.Namespace) -> list[str]:
    """The ``onelist up`` command line that runs ``args`` in the foreground (what ``--detach``
    starts in the background; ``--fresh`` is done before it starts)."""
    argv = [
        "up",
        "--chain", args.chain,
        "--port", str(args.port),
        "--node-port", str(args.node_port),
        "--config", str(Path(args.config).absolute()),
        "--data-dir", str(Path(args.data_dir).absolute()),
    ]  # fmt: skip
    if args.demo:
        argv.append("--demo")
    return argv


def run_up(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    if args.fresh and data_dir.exists():
        other = running_pid(data_dir)
        if other is not None:
            raise ConfigError(
                f"`onelist up` runs on this data folder (pid {other}); stop it first",
                where=str(data_dir),
            )
        shutil.rmtree(data_dir)
    if args.detach:
        return _run_detached(args)
    consortium = LocalConsortium(
        data_dir,
        founding_path=args.config,
        backend=args.chain,
        chain_port=args.port,
        node_port=args.node_port,
    )
    # `down` sends SIGTERM; a closed terminal sends SIGHUP: both stop everything like Ctrl-C,
    # since the nodes and the chain run in sessions of their own and would outlive `up`.
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _raise_keyboard_interrupt) for sig in stops}
    try:
        # The pid file stays until everything has stopped: until then `down` waits for this
        # process, and a second `up` is refused rather than stopping our children for us.
        with pid_file(data_dir):
            try:
                return _run(consortium, args)
            except KeyboardInterrupt:
                print("stopping: the nodes, then the chain", file=sys.stderr, flush=True)
                return 0
            finally:
                # A second Ctrl-C must not cut the orderly stop short and leave processes behind.
                for sig in stops:
                    signal.signal(sig, signal.SIG_IGN)
                consortium.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


#: Set in the environment of an `up` that --detach started.
_DETACHED = "ONELIST_UP_DETACHED"


def _run(consortium: LocalConsortium, args: argparse.Namespace) -> int:
    deployment = consortium.start_chain()
    print(f"onelist consortium {consortium.state} ({args.chain}, data in {args.data_dir})")
    _print_deployment(deployment, consortium.founding, consortium.chain.url)
    print(f"record     {consortium.plan.deployment_path}", flush=True)
    if args.once:
        return 0

    def ready(node: NodePlan) -> None:
        print(f"node       {node.organisation} ready at {node.url}", flush=True)

    try:
        consortium.start_nodes(on_ready=ready)
    except NodeFailed as exc:
        print(f"onelist: {exc}", file=sys.stderr)
        return 1
    if args.demo:
        from onelist.network.demo import seed_demo

        for line in seed_demo(consortium.plan, deployment, args.data_dir):
            print(f"demo       {line}", flush=True)
    passwords = None
    if args.show_passwords:
        from onelist.network.provision import read_staff_passwords

        passwords = {
            n.organisation: read_staff_passwords(n.staff_passwords_path)
            for n in consortium.plan.nodes
        }
    for line in summary_lines(consortium.plan, consortium.has_key, Path.cwd(), passwords):
        print(line)
    # Detached (--detach started us in a session of our own), no terminal's Ctrl-C reaches us.
    stopped_by = "`onelist down`" if os.environ.get(_DETACHED) else "Ctrl-C"
    print(f"ready      {stopped_by} stops everything; `onelist up` again resumes this state")
    sys.stdout.flush()
    while (failure := consortium.failure()) is None:
        time.sleep(0.5)
    print(f"onelist: {failure}\nonelist: stopping the rest", file=sys.stderr, flush=True)
    return 1


def _run_detached(args: argparse.Namespace) -> int:
    """Start ``up`` in a session of its own, its output in ``<data>/up.log``; return once it is
    ready (showing what it printed), or with its log's end when it fails."""
    data_dir: Path = args.data_dir
    other = running_pid(data_dir)
    if other is not None:
        raise ConfigError(
            f"`onelist up` already runs on this data folder (pid {other})", where=str(data_dir)
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "up.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "onelist.cli", *up_argv(args)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", _DETACHED: "1"},
        )
    deadline = time.monotonic() + 300
    while True:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if any(line.startswith("ready ") for line in text.splitlines()):
            print(text, end="")
            if args.show_passwords:  # to this terminal only, never into the log
                from onelist.network.provision import read_staff_passwords

                for path in sorted((data_dir / "nodes").glob("*/staff-passwords")):
                    for username, password in read_staff_passwords(path).items():
                        print(f"  {path.parent.name:<10} {username:<9} {password}")
            print(f"detached   pid {process.pid}, output in {log_path}")
            return 0
        if process.poll() is not None or time.monotonic() > deadline:
            print(text, end="", file=sys.stderr)
            if process.poll() is None:
                process.terminate()
            print(f"onelist: `up` did not get ready (log {log_path})", file=sys.stderr)
            return 1
        time.sleep(0.2)


def run_down(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    pid = running_pid(data_dir)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        if not wait_exited(pid, args.timeout):
            print(
                f"onelist: `up` (pid {pid}) did not stop within {args.timeout:.0f} s",
                file=sys.stderr,
            )
            return 1
        print(f"stopped    `onelist up` (pid {pid}); the state stays in {data_dir}")
    # An `up` killed outright stopped nothing; what it recorded may still run (also after a
    # clean stop this finds nothing and only removes a stale pid file).
    left = stop_leftovers(data_dir, timeout=args.timeout)
    for what in left:
        print(f"stopped    {what}, left running by an `onelist up` that was killed")
    if pid is None and not left:
        print(f"onelist: nothing runs on {data_dir}", file=sys.stderr)
    return 0
