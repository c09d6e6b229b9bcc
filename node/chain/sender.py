"""The transactions a node sends with its exchange's operator key: idempotent, nonce-safe.

Each logical action has an idempotency key (``approve:<submission>``, ``grant:<licence id>``,
``register:<account>``). The signed transaction is stored under that key *before* it is
broadcast; a retry of the action finds it and re-broadcasts and awaits the same hash instead of
signing a new one, so a retried approval never lists twice and a retried grant never grants
twice. Only a transaction that was mined and reverted, or that the chain refused outright, is
replaced by a new one (neither changed anything). Two calls of one key at once run one after
the other, so the second finds the first's transaction.

Throughput: what can happen concurrently does. Building the call, estimating its gas (which
also finds a revert before anything is signed) and the gas price (read once a second, about a
block; never again on a chain whose gas is free) come before the lock; the lock, one per
sender, covers only the nonce, signing, storing and ``eth_sendRawTransaction``, in one thread of
the sender's own. Receipts are awaited on the event loop: one ``eth_blockNumber`` poll shared by
every waiting action, a receipt asked for when the head moves, no thread held meanwhile. At most
``max_in_flight`` actions are under way; more wait for a place.

Nonces: a counter in memory is the source of truth once set. It is set on first use, and again
after any failure, to the larger of itself, the chain's pending count and one more than the last
nonce this node stored (so it survives restarts, and ganache, whose pending count leaves out
pooled transactions); a stored transaction the chain no longer knows is broadcast again before a
later nonce is used, so there is no gap. A new transaction the chain refuses because its nonce
is taken or its price is too low ("nonce too low", "underpriced") is marked dropped (it is in no
pool) and the action signs again after the counter is set anew.

The operator key comes from an encrypted keystore (``listing.accounts``) and is only ever held
by the :class:`TransactionSender`; it is never logged, returned or shown in a ``repr``.
Web3 is synchronous: each chain call (a short one) runs in one of the sender's worker threads,
never in asyncio's default executor, which the indexer's commits and the API need.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from eth_account import Account
from sqlalchemy import Engine
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.types import TxParams, TxReceipt

from listing.accounts import unlock
from listing.errors import KeystoreError
from node.errors import NodeError
from node.store import staff as store
from node.store.staff import SentTransaction
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import (
    Transactable,
    connect,
    estimate_gas,
    gas_price,
    known_errors,
)
from onelist.chain.deployment import Deployment
from onelist.chain.revert import (
    DecodedRevert,
    TransactionReverted,
    decode_revert,
    revert_data,
)
from onelist.errors import ChainError

__all__ = [
    "ENV_OPERATOR_PASSPHRASE",
    "OperatorKeyUnavailable",
    "SendFailed",
    "SendOutcome",
    "SenderError",
    "TransactionPending",
    "TransactionSender",
    "load_operator_key",
    "refusal_kind",
]

_T = TypeVar("_T")
log = logging.getLogger("onelist.node.sender")

ENV_OPERATOR_PASSPHRASE = "ONELIST_OPERATOR_PASSPHRASE"
RECEIPT_TIMEOUT = 60.0
#: Seconds between two ``eth_blockNumber`` polls while a receipt is awaited.
POLL_SECONDS = 0.05
#: Longest wait between two asks for a receipt, should a node show a head before its receipts.
RECHECK_SECONDS = 1.0
#: Seconds a gas price is reused: about a block (base fees move once a block).
GAS_PRICE_SECONDS = 1.0
#: Actions under way at once, per sender; more wait for a place (backpressure).
MAX_IN_FLIGHT = 128
#: Signings of one action when the chain refuses the new transaction's nonce or price.
SIGN_ATTEMPTS = 3
#: Threads for the short chain calls made outside the lock (estimates, receipts, the store).
CALL_THREADS = 4
#: What nodes answer when a raw transaction is already in their pool (geth, anvil, Besu).
_KNOWN = ("already known", "known transaction", "already imported", "already in pool")
#: What they answer when its nonce is taken, or its price too low for the pool (ganache 7 says
#: "transaction underpriced" for a nonce held by a pooled transaction).
_NONCE_TAKEN = (
    "nonce too low",
    "nonce is too low",
    "underpriced",
    "max fee per gas less than block base fee",
)


class SenderError(NodeError, RuntimeError):
    """The node could not send a transaction."""


class OperatorKeyUnavailable(SenderError):
    """No operator keystore is configured, or it cannot be unlocked."""


class SendFailed(SenderError, ConnectionError):
    """The chain could not be reached, or refused the transaction; nothing was mined."""


class TransactionPending(SenderError, TimeoutError):
    """Sent, but not mined in time; the same action retried follows the same transaction."""

    def __init__(self, message: str, *, tx_hash: str) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


@dataclass(frozen=True)
class SendOutcome:
    """A mined transaction of one logical action."""

    idempotency_key: str
    tx_hash: str
    nonce: int
    block_number: int
    receipt: TxReceipt
    replayed: bool  # an earlier call of the same action sent it


def load_operator_key(
    keystore: str | None,
    passphrase_file: str | None,
    environ: Mapping[str, str] = os.environ,
) -> bytes:
    """The operator's private key from its keystore; the passphrase from ``passphrase_file``
    (one trailing newline dropped) or ``$ONELIST_OPERATOR_PASSPHRASE``."""
    if not keystore:
        raise OperatorKeyUnavailable("no operator keystore is configured (node.operator_keystore)")
    if passphrase_file:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise OperatorKeyUnavailable(
                f"cannot read the passphrase file: {reason}", where=passphrase_file
            ) from None
        passphrase = text.removesuffix("\n").removesuffix("\r")
    else:
        passphrase = environ.get(ENV_OPERATOR_PASSPHRASE, "")
    if not passphrase:
        raise OperatorKeyUnavailable(
            "no passphrase for the operator keystore "
            f"(node.operator_passphrase_file or ${ENV_OPERATOR_PASSPHRASE})"
        )
    try:
        return unlock(Path(keystore), passphrase)
    except KeystoreError as exc:  # its message never contains the passphrase
        raise OperatorKeyUnavailable(exc.message, where=exc.where) from None


def refusal_kind(message: str) -> str:
    """What a node's refusal of ``eth_sendRawTransaction`` says: ``known`` (the transaction is
    already in its pool), ``taken`` (its nonce is used, or its price too low for the pool: a
    transaction of the same nonce waits there) or ``other``."""
    text = message.lower()
    if any(words in text for words in _KNOWN):
        return "known"
    if any(words in text for words in _NONCE_TAKEN):
        return "taken"
    return "other"


def _hex(value: bytes | str) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return str(message).splitlines()[0] if message else type(exc).__name__


@dataclass(frozen=True)
class _Draft:
    """A transaction built and estimated, before the nonce: everything but the lock's part."""

    tx: dict[str, Any]
    action: str


class _KeyLocks:
    """One asyncio lock per idempotency key, kept only while someone holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _Gate:
    """Estimates run together, a broadcast alone (a readers-writer lock, the broadcast first).

    ganache mines inside ``eth_sendRawTransaction``, and an estimate that overlaps it took about a
    second instead of 40 ms (measured with 32 actions at once: 1.5 actions/s ungated, 20 gated);
    on anvil the gate costs little, the estimates being short.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._estimates = 0
        self._broadcasting = False
        self._broadcasts_waiting = 0

    @contextlib.contextmanager
    def estimating(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._broadcasting and not self._broadcasts_waiting)
            self._estimates += 1
        try:
            yield
        finally:
            with self._changed:
                self._estimates -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def broadcasting(self) -> Iterator[None]:
        with self._changed:
            self._broadcasts_waiting += 1
            self._changed.wait_for(lambda: not self._broadcasting and not self._estimates)
            self._broadcasts_waiting -= 1
            self._broadcasting = True
        try:
            yield
        finally:
            with self._changed:
                self._broadcasting = False
                self._changed.notify_all()


class _Heads:
    """The chain's head, polled while at least one receipt is awaited, by one task for all."""

    def __init__(self, read: Callable[[], Awaitable[int]], interval: float) -> None:
        self._read = read
        self._interval = interval
        self._waiters = 0
        self._moved = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.number = -1

    async def after(self, seen: int, timeout: float) -> int:
        """The head once it is above ``seen``, or the last one known after ``timeout``."""
        self._waiters += 1
        try:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._poll())
            deadline = asyncio.get_running_loop().time() + timeout
            while self.number <= seen:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                moved = self._moved
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(moved.wait(), remaining)
            return self.number
        finally:
            self._waiters -= 1

    def stop(self) -> None:
        """End the poll, if one is running (the sender is closing)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _poll(self) -> None:
        while self._waiters:
            try:
                number = await self._read()
            except SendFailed as exc:  # the waiters' own receipt checks will say so
                log.debug("cannot read the head: %s", exc)
                number = self.number
            if number != self.number:
                self.number = number
                self._moved.set()
                self._moved = asyncio.Event()
            await asyncio.sleep(self._interval)


class TransactionSender:
    """Signs and sends one operator account's transactions; one per node."""

    def __init__(
        self,
        deployment: Deployment,
        rpc_url: str,
        private_key: bytes,
        engine: Engine,
        *,
        rpc_timeout: float = 10.0,
        receipt_timeout: float = RECEIPT_TIMEOUT,
        client: ConsortiumClient | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._deployment = deployment
        self._rpc_url = rpc_url
        self._rpc_timeout = rpc_timeout
        self._account = Account.from_key(private_key)
        self._engine = engine
        self._receipt_timeout = receipt_timeout
        self._client = client
        self._owns_client = client is None  # connected by the sender, closed by it
        self._lock = asyncio.Lock()  # the nonce: held for signing, storing, broadcasting only
        self._keys = _KeyLocks()
        self._places = asyncio.Semaphore(max_in_flight)
        self._heads = _Heads(self._head, POLL_SECONDS)
        self._gate = _Gate()
        # Own threads: the default executor's few serve the indexer's commits and the API, and
        # the lock's holder never queues behind estimates.
        self._calls = ThreadPoolExecutor(CALL_THREADS, thread_name_prefix="onelist-sender")
        self._signer = ThreadPoolExecutor(1, thread_name_prefix="onelist-sender-nonce")
        self._nonce: int | None = None  # the next one; only the lock's holder touches it
        self._synced = False  # False: set the counter anew before the next signing
        self._price: tuple[float, int] | None = None  # (read at, wei); a free chain keeps 0
        self._free_gas = False
        self.address: str = str(self._account.address)

    @property
    def deployment(self) -> Deployment:
        return self._deployment

    def __repr__(self) -> str:
        return f"TransactionSender(address={self.address})"

    def close(self) -> None:
        """Let the sender's threads go (they are idle between actions in any case) and close
        its connections to the chain; :meth:`aclose` also waits for the threads to end."""
        self._calls.shutdown(wait=False)
        self._signer.shutdown(wait=False)
        self._disconnect()

    async def aclose(self) -> None:
        """Close the sender when its node stops: the head's poll ends, the threads finish
        the calls under way and end (waited for outside the event loop), then the
        connections to the chain close. The sender sends nothing afterwards."""
        self._heads.stop()
        for pool in (self._signer, self._calls):
            await asyncio.to_thread(pool.shutdown, wait=True)
        self._disconnect()

    def _disconnect(self) -> None:
        """Close the HTTP sessions web3 keeps for the chain (one per thread that called it),
        when this sender connected (a client given to it is its giver's to close)."""
        if self._client is None or not self._owns_client:
            return
        manager = getattr(self._client.w3.provider, "_request_session_manager", None)
        if manager is None:
            return
        for _, session in manager.session_cache.items():
            session.close()
        manager.session_cache.clear()
        manager.session_pool.shutdown(wait=False)

    # ----------------------------------------------------------------- the chain (sync, short)

    def client(self) -> ConsortiumClient:
        """The contracts (connecting on first use, so a node starts without its chain)."""
        if self._client is None:
            try:
                w3 = connect(self._rpc_url, self._deployment.chain_id, timeout=self._rpc_timeout)
            except ChainError as exc:
                raise SendFailed(exc.message, where=self._rpc_url) from None
            self._client = ConsortiumClient(w3, self._deployment)
        return self._client

    @property
    def _w3(self) -> Web3:
        return self.client().w3

    def _receipt(self, tx_hash: str) -> TxReceipt | None:
        try:
            return self._w3.eth.get_transaction_receipt(cast(Any, tx_hash))
        except TransactionNotFound:
            return None

    def _in_pool(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction (pending or mined)."""
        try:
            self._w3.eth.get_transaction(cast(Any, tx_hash))
        except TransactionNotFound:
            return False
        return True

    def _broadcast(self, kept: SentTransaction) -> str:
        """Send a stored transaction: ``sent``; ``taken`` when its nonce is taken or its price
        too low and the node does not hold it (a new one may succeed); ``dropped`` when the
        chain refused it otherwise (it can never be mined)."""
        try:
            self._w3.eth.send_raw_transaction(cast(Any, kept.raw_tx))
            return "sent"
        except (Web3RPCError, ValueError) as exc:
            text = _message(exc)
            refusal = refusal_kind(text)
            if refusal == "known":
                return "sent"
            if self._receipt(kept.tx_hash) is not None:
                return "sent"  # mined meanwhile ("nonce too low" for our own transaction)
            if refusal == "taken":
                if self._in_pool(kept.tx_hash):
                    return "sent"  # an underpriced "replacement" of itself: ours still waits
                log.info(
                    "transaction %s (%s) not taken: %s", kept.tx_hash, kept.idempotency_key, text
                )
                return "taken"
            log.warning(
                "the chain refused transaction %s (%s): %s",
                kept.tx_hash,
                kept.idempotency_key,
                _message(exc),
            )
            return "dropped"
        except (OSError, Web3Exception) as exc:
            raise SendFailed(
                f"cannot broadcast {kept.tx_hash}: {_message(exc)}", where=self._rpc_url
            ) from None

    def _heal_gaps(self, chain_pending: int) -> int:
        """Broadcast again the stored transactions the chain's pool forgot (those at or after
        the pending count), so that the next nonce does not wait behind a gap; returns the
        next free nonce."""
        last = store.last_nonce(self._engine, self.address)
        if last is None or last < chain_pending:
            return chain_pending
        for kept in store.unmined(self._engine, self.address, chain_pending):
            if self._broadcast(kept) != "sent":
                store.update_sent(self._engine, kept.idempotency_key, "dropped", int(time.time()))
        last = store.last_nonce(self._engine, self.address)
        return chain_pending if last is None else max(chain_pending, last + 1)

    def _gas_price(self) -> int:
        """The price to offer, read at most once every :data:`GAS_PRICE_SECONDS` (about a
        block), and only once on a chain whose gas is free."""
        if self._free_gas:
            return 0
        now = time.monotonic()
        cached = self._price
        if cached is not None and now - cached[0] < GAS_PRICE_SECONDS:
            return cached[1]
        price = gas_price(self._w3)
        self._free_gas = price == 0  # Besu's free-gas networks: suggestion and base fee are 0
        self._price = (now, price)
        return price

    def _draft(self, build: Callable[[ConsortiumClient], Transactable]) -> _Draft:
        """Build the call and estimate its gas (a revert here raises, before anything is
        signed or kept); no nonce yet, so any number of drafts run at once."""
        call = build(self.client())
        params = {
            "from": self.address,
            "chainId": self._deployment.chain_id,
            "nonce": 0,  # set under the lock
            "gasPrice": 0,
            "value": 0,
            "gas": 1,  # a placeholder stops web3 from estimating: we estimate, to decode reverts
        }
        try:
            tx = dict(call.build_transaction(cast(TxParams, params)))
        except (ContractLogicError, Web3RPCError) as exc:
            raise SendFailed(f"cannot build the transaction: {_message(exc)}") from None
        action = _describe(call)
        with self._gate.estimating():
            tx["gas"] = estimate_gas(self._w3, tx, _abis(call), action)
        tx["gasPrice"] = self._gas_price()
        return _Draft(tx, action)

    def _next_nonce(self) -> int:
        """The counter, set anew first when it is not known to be right."""
        if not self._synced or self._nonce is None:
            pending = int(self._w3.eth.get_transaction_count(cast(Any, self.address), "pending"))
            self._nonce = max(self._nonce or 0, self._heal_gaps(pending))
            self._synced = True
        return self._nonce

    def _sign_and_broadcast(
        self, key: str, draft: _Draft, requested_by: str | None, attempts: int
    ) -> tuple[SentTransaction, str]:
        """The lock's part: take the next nonce, sign, keep, broadcast; the counter moves on
        only when the chain took the transaction."""
        nonce = self._next_nonce()
        signed = self._account.sign_transaction({**draft.tx, "nonce": nonce})
        kept = SentTransaction(
            idempotency_key=key,
            sender=self.address,
            nonce=nonce,
            tx_hash=_hex(bytes(signed.hash)),
            raw_tx=_hex(bytes(signed.raw_transaction)),
            action=draft.action,
            status="sent",
            attempts=attempts,
            requested_by=requested_by,
            block_number=None,
        )
        store.record_sent(self._engine, kept, int(time.time()))
        log.info("signed %s as %s nonce %d: %s", key, kept.tx_hash, nonce, draft.action)
        self._synced = False  # until the chain has answered
        with self._gate.broadcasting():
            outcome = self._broadcast(kept)
        if outcome == "sent":
            self._nonce, self._synced = nonce + 1, True
            return kept, outcome
        store.update_sent(self._engine, key, "dropped", int(time.time()))
        self._price = None  # "underpriced" may mean the price, not the nonce
        return kept, outcome

    def _why_reverted(self, kept: SentTransaction, receipt: TxReceipt) -> TransactionReverted:
        """Replay a mined, failed transaction as a call on the state before its block."""
        tx = self._w3.eth.get_transaction(cast(Any, kept.tx_hash))
        call = {
            "from": self.address,
            "to": tx["to"],
            "data": tx["input"],
            "value": tx["value"],
            "gas": tx["gas"],
        }
        block = max(int(receipt["blockNumber"]) - 1, 0)
        action = f"{kept.action} (tx {kept.tx_hash})"
        try:
            self._w3.eth.call(cast(TxParams, call), block_identifier=block)
        except (ContractLogicError, Web3RPCError, ValueError) as exc:
            data = revert_data(exc)
            if data is not None:
                return TransactionReverted(
                    decode_revert(data, known_errors()), where=self._rpc_url, action=action
                )
        return TransactionReverted(DecodedRevert("", (), (), b""), action=action)

    # ----------------------------------------------------------------- on the event loop

    async def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` in one of the sender's threads; a chain that does not answer is
        :class:`SendFailed`."""
        return await self._run_in(self._calls, fn, *args)

    async def _run_in(self, pool: ThreadPoolExecutor, fn: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, functools.partial(fn, *args))
        except (OSError, Web3Exception) as exc:
            raise SendFailed(_message(exc), where=self._rpc_url) from None

    async def _head(self) -> int:
        return await self._call(lambda: int(self._w3.eth.block_number))

    async def _await(self, kept: SentTransaction) -> TxReceipt:
        """The receipt, asked for once now and again each time the head moves (at least every
        :data:`RECHECK_SECONDS`); waiting holds no thread."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._receipt_timeout
        while True:
            seen = self._heads.number
            receipt = await self._call(self._receipt, kept.tx_hash)
            if receipt is not None:
                return receipt
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TransactionPending(
                    f"transaction {kept.tx_hash} was sent but not mined within "
                    f"{self._receipt_timeout:.0f} s; retry the same request to follow it",
                    tx_hash=kept.tx_hash,
                )
            await self._heads.after(seen, min(remaining, RECHECK_SECONDS))

    async def _kept_or_new(
        self,
        key: str,
        build: Callable[[ConsortiumClient], Transactable],
        requested_by: str | None,
    ) -> tuple[SentTransaction, bool]:
        """The kept transaction of ``key`` (broadcast again), or a new one, sent."""
        kept = await self._call(store.sent_transaction, self._engine, key)
        attempts = 1
        if kept is not None:
            if kept.status == "mined":
                return kept, True
            if kept.status == "sent":
                if await self._call(self._broadcast, kept) == "sent":
                    return kept, True
                await self._call(store.update_sent, self._engine, key, "dropped", int(time.time()))
            attempts = kept.attempts + 1  # reverted or dropped: it changed nothing; sign anew
        for _ in range(SIGN_ATTEMPTS):
            draft = await self._call(self._draft, build)
            async with self._lock:
                new, outcome = await self._run_in(
                    self._signer, self._sign_and_broadcast, key, draft, requested_by, attempts
                )
            if outcome == "sent":
                return new, False
            if outcome == "dropped":
                break
            attempts += 1  # its nonce was taken: the counter is set anew, sign again
        raise SendFailed(f"the chain refused transaction {new.tx_hash}", where=self._rpc_url)

    # ----------------------------------------------------------------- the one entry point

    async def send(
        self,
        key: str,
        build: Callable[[ConsortiumClient], Transactable],
        *,
        requested_by: str | None = None,
    ) -> SendOutcome:
        """Send the transaction of the action ``key`` once, and wait for it to be mined.

        ``build`` makes the contract call from the contracts (it is only called when a new
        transaction must be signed). Raises :class:`TransactionReverted` (decoded) when the call
        would revert or did; :class:`TransactionPending` when it is not mined in time;
        :class:`SendFailed` when the chain cannot be reached or refused it.
        """
        async with self._places, self._keys.hold(key):
            kept, replayed = await self._kept_or_new(key, build, requested_by)
            receipt = await self._await(kept)
            now = int(time.time())
            block = int(receipt["blockNumber"])
            if int(receipt["status"]) != 1:
                await self._call(store.update_sent, self._engine, key, "reverted", now, block)
                raise await self._call(self._why_reverted, kept, receipt)
            if kept.status != "mined":
                await self._call(store.update_sent, self._engine, key, "mined", now, block)
            return SendOutcome(key, kept.tx_hash, kept.nonce, block, receipt, replayed)


def _describe(call: Transactable) -> str:
    name = getattr(call, "fn_name", None) or "transaction"
    return f"{name}(…)"


def _abis(call: Transactable) -> Iterable[list[Any]]:
    abi = getattr(call, "contract_abi", None)
    return [abi] if isinstance(abi, list) else []
