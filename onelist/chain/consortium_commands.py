"""``onelist deploy`` and ``onelist up``: the consortium's contracts on a chain.

``deploy`` puts the contracts on any JSON-RPC chain (a Besu QBFT network in production) with the
founding members of a TOML file and writes the deployment record nodes read. ``up`` is the
one-command local consortium: a chain whose state is kept in a data folder, the contracts
deployed once and found again on the next run.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from web3 import Web3

from onelist.build.compiler import load_artifacts
from onelist.chain.connection import connect, dev_private_keys
from onelist.chain.deployment import Deployment, deploy, load_deployment, save_deployment
from onelist.chain.founding import Founding, load_founding
from onelist.chain.launcher import BACKENDS, LocalChain
from onelist.errors import ConfigError

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
        help="run the consortium locally: a chain and the contracts, until Ctrl-C",
        description="Start a local chain (state kept in --data-dir), deploy the consortium from "
        "the example TOML unless this data folder already holds it, and run until Ctrl-C.",
    )
    up.add_argument("--chain", choices=BACKENDS, default="ganache", help="local chain backend")
    up.add_argument("--port", type=int, default=8545)
    up.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="founding TOML")
    up.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    up.add_argument("--fresh", action="store_true", help="discard the data folder and start over")
    up.add_argument("--once", action="store_true", help="stop after deploying (for scripts and CI)")
    up.set_defaults(func=run_up)


def _deployer_key(args: argparse.Namespace) -> str:
    if args.dev_account is not None:
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
    w3 = connect(args.rpc, args.chain_id)
    deployment = deploy(w3, founding, key, load_artifacts())
    save_deployment(deployment, args.out)
    _print_deployment(deployment, founding, args.rpc)
    print(f"record     {args.out}")
    return 0


def _is_deployed(w3: Web3, deployment: Deployment) -> bool:
    """Whether the record describes this chain: same chain id and code at every address."""
    if w3.eth.chain_id != deployment.chain_id:
        return False
    return all(len(w3.eth.get_code(deployment.address(name))) > 0 for name in deployment.contracts)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_up(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    if args.fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    founding = load_founding(args.config)
    artifacts = load_artifacts()
    record_path = data_dir / "deployment.json"
    chain = LocalChain(args.chain, port=args.port, data_dir=data_dir / f"chain-{args.chain}")
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        chain.start()
        w3 = connect(chain.url, chain.chain_id)
        deployment = load_deployment(record_path) if record_path.exists() else None
        if deployment is not None and _is_deployed(w3, deployment):
            deployment.check_abis(artifacts)
            state = "resumed"
        else:
            deployment = deploy(w3, founding, dev_private_keys()[0], artifacts)
            save_deployment(deployment, record_path)
            state = "deployed"
        print(f"onelist consortium {state} ({args.chain}, data in {data_dir})")
        _print_deployment(deployment, founding, chain.url)
        print(f"record     {record_path}")
        if args.once:
            return 0
        print("try        .venv/bin/onelist listing check examples/manifests/*.json")
        print(
            "ready      Ctrl-C stops everything; `onelist up` again resumes this state", flush=True
        )
        while chain.running:
            time.sleep(0.5)
        print(f"onelist: the chain exited:\n{chain.output_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
        return 0
    finally:
        chain.stop()
        signal.signal(signal.SIGTERM, previous)
