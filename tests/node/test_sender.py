"""The node's transaction sender on real chains (anvil and ganache): many actions at once, and a
restart while transactions wait in the pool.

Each action registers a new participant with SH's operator key (``register:<account>``), the
cheapest transaction an exchange's node sends; the nonce logic is the same for every action.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import Engine
from web3 import Web3
from web3.exceptions import TransactionNotFound

from node.chain.sender import SendOutcome, TransactionSender
from node.store import open_engine, upgrade
from node.store.staff import sent_transaction
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import address_of, connect, dev_private_keys
from onelist.chain.deployment import Deployment, deploy
from onelist.chain.founding import load_founding
from onelist.chain.launcher import BACKENDS, Backend, LocalChain
from onelist.codes import ParticipantRole

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = dev_private_keys()[1]  # SH's operator in the example consortium


@dataclass
class Chain:
    backend: Backend
    local: LocalChain
    w3: Web3
    deployment: Deployment

    def pause_mining(self) -> None:
        if self.backend == "ganache":
            self.w3.provider.make_request("miner_stop", [])  # type: ignore[arg-type]
        else:
            self.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]

    def resume_mining(self) -> None:
        if self.backend == "ganache":
            self.w3.provider.make_request("miner_start", [])  # type: ignore[arg-type]
        else:
            self.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def mined_nonce(self) -> int:
        return int(self.w3.eth.get_transaction_count(address_of(OPERATOR), "latest"))


@pytest.fixture(scope="module", params=BACKENDS)
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    """A chain of its own per backend, mining each transaction at once, the consortium on it."""
    backend: Backend = request.param
    local = LocalChain(backend).start()
    try:
        w3 = connect(local.url, local.chain_id)
        founding = load_founding(ROOT / "config" / "consortium.example.toml")
        yield Chain(backend, local, w3, deploy(w3, founding, dev_private_keys()[0]))
    finally:
        local.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = open_engine(f"sqlite:///{tmp_path / 'node.db'}")
    upgrade(engine)
    return engine


def new_sender(chain: Chain, engine: Engine) -> TransactionSender:
    """A sender as a node makes one at start-up (nothing in memory)."""
    return TransactionSender(
        chain.deployment, chain.local.url, bytes.fromhex(OPERATOR[2:]), engine, receipt_timeout=60
    )


def register(sender: TransactionSender, account: str) -> asyncio.Task[SendOutcome]:
    identity = Web3.keccak(text=account)

    def build(client: ConsortiumClient) -> Any:
        return client.consortium.functions.registerParticipant(
            account, int(ParticipantRole.provider), identity
        )

    return asyncio.ensure_future(sender.send(f"register:{account}", build, requested_by="test"))


def accounts(count: int) -> list[str]:
    return [str(Account.create().address) for _ in range(count)]


async def in_pool(chain: Chain, engine: Engine, keys: list[str], timeout: float = 30) -> None:
    """Wait until every action of ``keys`` is kept and its transaction is in the chain's pool."""
    deadline = time.monotonic() + timeout
    for key in keys:
        while True:
            kept = sent_transaction(engine, key)
            if kept is not None:
                with contextlib.suppress(TransactionNotFound):  # not in the pool yet
                    chain.w3.eth.get_transaction(kept.tx_hash)  # type: ignore[arg-type]
                    break
            assert time.monotonic() < deadline, f"{key} never reached the pool"
            await asyncio.sleep(0.05)


async def test_many_actions_at_once_land_once_each_with_consecutive_nonces(
    chain: Chain, engine: Engine
) -> None:
    sender = new_sender(chain, engine)
    start = chain.mined_nonce()
    people = accounts(24)
    # Every action asked twice at once (a double click): the second follows the first.
    tasks = [register(sender, account) for account in people for _ in range(2)]
    outcomes = await asyncio.gather(*tasks)

    by_key: dict[str, set[str]] = {}
    for outcome in outcomes:
        by_key.setdefault(outcome.idempotency_key, set()).add(outcome.tx_hash)
    assert all(len(hashes) == 1 for hashes in by_key.values()), by_key
    assert len(by_key) == len(people)
    nonces = sorted({o.nonce for o in outcomes})
    assert nonces == list(range(start, start + len(people)))
    assert chain.mined_nonce() == start + len(people)  # nothing sent twice, nothing lost
    assert sum(not o.replayed for o in outcomes) == len(people)
    for account in people:
        kept = sent_transaction(engine, f"register:{account}")
        assert kept is not None and kept.status == "mined" and kept.attempts == 1
    sender.close()


async def test_a_restart_mid_flight_resumes_without_reusing_a_nonce(
    chain: Chain, engine: Engine
) -> None:
    start = chain.mined_nonce()
    first, second = accounts(6), accounts(4)
    chain.pause_mining()
    try:
        before = new_sender(chain, engine)
        waiting = [register(before, account) for account in first]
        await in_pool(chain, engine, [f"register:{a}" for a in first])
        # The node stops while its transactions wait in the pool: nothing of it stays in memory.
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        before.close()

        after = new_sender(chain, engine)
        resumed = [register(after, account) for account in second]
        await in_pool(chain, engine, [f"register:{a}" for a in second])
    finally:
        chain.resume_mining()
    outcomes = await asyncio.gather(*resumed)
    # The actions the stopped node sent, asked again: the same transactions, followed.
    replays = await asyncio.gather(*(register(after, account) for account in first))
    assert all(o.replayed for o in replays)

    nonces = sorted(o.nonce for o in [*outcomes, *replays])
    assert nonces == list(range(start, start + len(first) + len(second)))
    assert chain.mined_nonce() == start + len(first) + len(second)
    for outcome in replays:
        kept = sent_transaction(engine, outcome.idempotency_key)
        assert kept is not None and kept.tx_hash == outcome.tx_hash and kept.attempts == 1
    after.close()
