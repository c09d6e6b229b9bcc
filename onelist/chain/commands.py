"""``onelist build`` and ``onelist chain``: the offline toolchain from the command line.

``build`` compiles contracts/ (or says it is up to date) and shows each contract's deployed size
against the EIP-170 limit, because a contract that grows past it compiles fine and then cannot be
deployed. ``chain`` runs a local development chain in the foreground for demos and manual testing.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from onelist.build.compiler import (
    MAX_DEPLOYED_SIZE,
    CompilerWarning,
    compile_contracts,
    is_up_to_date,
)
from onelist.chain.launcher import BACKENDS, DEV_MNEMONIC, LocalChain


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``build`` and ``chain`` sub-commands."""
    build = subparsers.add_parser(
        "build",
        help="compile contracts/ into build/contracts (offline, cached)",
        description="Compile contracts/**/*.sol with the settings in contracts/compiler.json.",
    )
    build.add_argument("--force", action="store_true", help="recompile even if nothing changed")
    build.set_defaults(func=run_build)

    chain = subparsers.add_parser(
        "chain",
        help="run a local development chain until Ctrl-C",
        description="Run ganache or anvil on 127.0.0.1 with the development accounts funded.",
    )
    chain.add_argument("--backend", choices=BACKENDS, default="ganache")
    chain.add_argument("--port", type=int, default=8545)
    chain.add_argument("--chain-id", type=int, default=None, help="default: 1337 / 31337")
    chain.add_argument(
        "--data-dir", type=Path, default=None, help="keep the chain state here between runs"
    )
    chain.set_defaults(func=run_chain)


def format_size_table(sizes: dict[str, tuple[str, int]]) -> list[str]:
    """Rows ``name  source  bytes  % of limit`` for deployable contracts, largest first."""
    rows = sorted(sizes.items(), key=lambda item: (-item[1][1], item[0]))
    width = max((len(name) for name in sizes), default=8)
    src_width = max((len(src) for src, _ in sizes.values()), default=6)
    lines = [f"{'contract':<{width}}  {'source':<{src_width}}  {'bytes':>6}  {'limit':>6}"]
    for name, (source, size) in rows:
        flag = "  TOO LARGE" if size > MAX_DEPLOYED_SIZE else ""
        share = 100 * size / MAX_DEPLOYED_SIZE
        lines.append(f"{name:<{width}}  {source:<{src_width}}  {size:>6}  {share:>5.1f}%{flag}")
    return lines


def run_build(args: argparse.Namespace) -> int:
    fresh = not args.force and is_up_to_date()
    warnings: list[CompilerWarning] = []
    artifacts = compile_contracts(force=args.force, on_warning=warnings.append)
    for warning in warnings:
        if not warning.in_dependency:
            print(warning.message, file=sys.stderr)
    hidden = sum(w.in_dependency for w in warnings)
    if hidden:
        print(f"({hidden} compiler warnings about imported libraries not shown)", file=sys.stderr)
    deployable = {
        name: (a.source_name, a.deployed_size) for name, a in artifacts.items() if a.is_deployable
    }
    state = "up to date" if fresh else "compiled"
    print(f"{len(artifacts)} contracts ({len(deployable)} deployable), {state}: build/contracts")
    for line in format_size_table(deployable):
        print(line)
    too_large = [name for name, (_, size) in deployable.items() if size > MAX_DEPLOYED_SIZE]
    for name in too_large:
        print(
            f"onelist: warning: {name} is {deployable[name][1]} bytes, over the "
            f"{MAX_DEPLOYED_SIZE}-byte EIP-170 limit: it cannot be deployed",
            file=sys.stderr,
        )
    return 0


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_chain(args: argparse.Namespace) -> int:
    from onelist.chain.connection import address_of, dev_private_keys  # web3: not for `build`

    chain = LocalChain(args.backend, port=args.port, chain_id=args.chain_id, data_dir=args.data_dir)
    # SIGTERM stops the chain as cleanly as Ctrl-C does (anvil then dumps its state).
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        chain.start()
        print(f"{args.backend} running at {chain.url} (chain id {chain.chain_id})")
        if chain.data_dir is not None:
            print(f"state kept in {chain.data_dir}")
        print(f"mnemonic: {DEV_MNEMONIC}")
        print("development accounts (public keys of a public mnemonic; never use them for value):")
        for index, key in enumerate(dev_private_keys()):
            print(f"  ({index:2}) {address_of(key)}  {key}")
        print("Ctrl-C to stop", flush=True)
        while chain.running:
            time.sleep(0.5)
        print(f"onelist: {args.backend} exited:\n{chain.output_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
        return 0
    finally:
        chain.stop()
        signal.signal(signal.SIGTERM, previous)
