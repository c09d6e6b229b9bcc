"""A chain of the node tests' own (anvil: it can reorg), the consortium on it, and traffic.

The node's tests start, stop, reorg and restart their chain, so they never share the session
chain of the contract tests.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from web3 import Web3

from listing.accounts import import_account
from node.api.app import create_app
from node.config import NodeConfig
from node.events import DecodedEvent, RowChange
from node.projections import project
from onelist.catalogue import encode_catalogue
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import address_of, connect, dev_private_keys
from onelist.chain.deployment import Deployment, deploy, save_deployment
from onelist.chain.founding import load_founding
from onelist.chain.launcher import LocalChain
from onelist.chain.samples import sample_catalogue, sample_record, sample_terms
from onelist.codes import ParticipantRole, exchange_code

CATALOGUE = encode_catalogue(sample_catalogue())
_seeds = itertools.count()


@dataclass
class Consortium:
    chain: LocalChain
    w3: Web3
    deployment: Deployment
    deployment_path: Path
    client: ConsortiumClient
    keys: tuple[str, ...]

    @property
    def url(self) -> str:
        return self.chain.url

    def traffic(self, listings: int, grants_each: int = 1) -> int:
        """List ``listings`` products at SH and grant each via ZJ; returns the events made."""
        sh, zj, provider, licensee = self.keys[1], self.keys[2], self.keys[5], self.keys[7]
        events = 0
        for _ in range(listings):
            record = sample_record(address_of(provider), f"node-test-{next(_seeds)}")
            listing_id, _ = self.client.list(sh, provider, "SH", record, CATALOGUE)
            events += 1
            for g in range(grants_each):
                terms = sample_terms(
                    listing_id,
                    1,
                    address_of(licensee),
                    exchange_code("ZJ"),
                    self.client.now() + g,
                )
                self.client.grant(zj, licensee, terms, record)
                events += 1
        return events


def start_consortium(tmp: Path, data_dir: Path | None = None) -> Consortium:
    chain = LocalChain("anvil", data_dir=data_dir).start()
    w3 = connect(chain.url, chain.chain_id)
    keys = dev_private_keys()
    root = Path(__file__).resolve().parents[2]
    deployment = deploy(w3, load_founding(root / "config" / "consortium.example.toml"), keys[0])
    path = tmp / "deployment.json"
    save_deployment(deployment, path)
    client = ConsortiumClient(w3, deployment)
    client.register_participant(keys[1], address_of(keys[5]), ParticipantRole.provider)
    client.register_participant(keys[3], address_of(keys[7]), ParticipantRole.licensee)
    return Consortium(chain, w3, deployment, path, client, keys)


@pytest.fixture(scope="module")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    """A fresh anvil with the consortium deployed, per test module."""
    tmp = tmp_path_factory.mktemp("consortium")
    c = start_consortium(tmp)
    try:
        yield c
    finally:
        c.chain.stop()


class Rigged:
    """A projection with faults injected: it refuses the event of ``poison`` (a dead letter),
    sleeps ``slow_here`` seconds per event in the indexer's own process (so that a small
    backfill outlasts the range process's start-up and its ranges go there), and kills the
    range process at the event of ``kill_worker_at``. A module-level class, so that it crosses
    to the range process by pickling."""

    def __init__(
        self,
        poison: str | None = None,
        *,
        slow_here: float = 0.0,
        kill_worker_at: str | None = None,
    ) -> None:
        self.poison = poison
        self.slow_here = slow_here
        self.kill_worker_at = kill_worker_at

    def __call__(self, event: DecodedEvent) -> list[RowChange]:
        from node.projections.errors import ProjectionError

        in_worker = multiprocessing.parent_process() is not None
        if in_worker and event.tx_hash == self.kill_worker_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if not in_worker and self.slow_here:
            time.sleep(self.slow_here)
        if event.tx_hash == self.poison:
            raise ProjectionError("poisoned by the test")
        return project(event)


def node_config(consortium: Consortium, tmp_path: Path, **overrides: object) -> NodeConfig:
    """A node of SH over the test chain, with its own SQLite index under ``tmp_path``."""
    values: dict[str, object] = {
        "organisation": "SH",
        "rpc_url": consortium.url,
        "deployment": consortium.deployment_path,
        "database_url": f"sqlite:///{tmp_path / 'index.db'}",
        "poll_interval": 0.1,
        "rpc_timeout": 2.0,
        "rpc_retries": 1,
    }
    values.update(overrides)
    return NodeConfig(**values)  # type: ignore[arg-type]


def signing_config(
    consortium: Consortium, tmp_path: Path, key: int, **overrides: object
) -> NodeConfig:
    """:func:`node_config` with the keystore of ``consortium.keys[key]`` (1: SH's operator, 4:
    the national regulator) as the node's key, so that it sends transactions."""
    entry = import_account(
        tmp_path / "keystore", bytes.fromhex(consortium.keys[key][2:]), "key secret", scrypt_n=16
    )
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("key secret\n")
    return node_config(
        consortium,
        tmp_path,
        operator_keystore=str(entry.path),
        operator_passphrase_file=str(passphrase),
        **overrides,
    )


async def caught_up(client: TestClient, timeout: float = 30, head: int | None = None) -> None:
    """Wait until the node's index holds the chain's head (``head``: at least this block, e.g. the
    chain's block number after a transaction, which the node may not have seen yet)."""
    deadline = time.monotonic() + timeout
    while True:
        state = await (await client.get("/status")).json()
        indexed = state["indexed"]
        if (
            state["head"] is not None
            and indexed == state["head"]
            and (head is None or indexed >= head)
        ):
            return
        assert time.monotonic() < deadline, f"the node did not catch up: {state}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def api(consortium: Consortium, tmp_path: Path) -> AsyncIterator[TestClient]:
    """A test client of SH's node (the real app, its indexer following the test chain)."""
    async with TestClient(TestServer(create_app(node_config(consortium, tmp_path)))) as client:
        await caught_up(client, head=consortium.w3.eth.block_number)
        yield client
