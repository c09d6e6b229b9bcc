"""The transactions a node sends with its exchange's operator key: idempotent, nonce-safe.

Each logical action has an idempotency key (``approve:<submission>``, ``grant:<licence id>``,
``register:<account>``). The signed transaction is stored under that key *before* it is
broadcast; a retry of the action finds it and re-broadcasts and awaits the same hash instead of
signing a new one, so a retried approval never lists twice and a retried grant never grants
twice. Only a transaction that was mined and reverted, or that the chain refused outright, is
replaced by a new one (neither changed anything).

Nonces: one asyncio lock per sender covers choosing the nonce, signing, storing and
broadcasting (not the wait for the receipt, so concurrent actions are mined together). The next
nonce is the larger of the chain's pending count and one more than the last nonce this node
stored, so it survives restarts and a mempool that forgot a transaction; a stored transaction
the chain no longer knows is broadcast again before a later nonce is used, so there is no gap.

The operator key comes from an encrypted keystore (``listing.accounts``) and is only ever held
by the :class:`TransactionSender`; it is never logged, returned or shown in a ``repr``.
Web3 is synchronous: every chain call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from eth_account import Account
from sqlalchemy import Engine
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
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
]

_T = TypeVar("_T")
log = logging.getLogger("onelist.node.sender")

ENV_OPERATOR_PASSPHRASE = "ONELIST_OPERATOR_PASSPHRASE"
RECEIPT_TIMEOUT = 60.0
POLL_SECONDS = 0.05
#: What nodes answer when a raw transaction is already in their pool (geth, anvil, Besu).
_KNOWN = ("already known", "known transaction", "already imported", "already in pool")
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "replacement transaction underpriced")


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


def _hex(value: bytes | str) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return str(message).splitlines()[0] if message else type(exc).__name__


def _is_refusal(exc: BaseException) -> bool:
    """Whether the node answered the JSON-RPC call with an error (as opposed to not answering)."""
    return isinstance(exc, Web3RPCError | ValueError)


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
    ) -> None:
        self._deployment = deployment
        self._rpc_url = rpc_url
        self._rpc_timeout = rpc_timeout
        self._account = Account.from_key(private_key)
        self._engine = engine
        self._receipt_timeout = receipt_timeout
        self._client = client
        self._lock = asyncio.Lock()
        self.address: str = str(self._account.address)

    @property
    def deployment(self) -> Deployment:
        return self._deployment

    def __repr__(self) -> str:
        return f"TransactionSender(address={self.address})"

    # ----------------------------------------------------------------- the chain

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

    def _broadcast(self, kept: SentTransaction) -> str:
        """Send a stored transaction; ``sent``, or ``dropped`` when it can never be mined."""
        try:
            self._w3.eth.send_raw_transaction(cast(Any, kept.raw_tx))
            return "sent"
        except (Web3RPCError, ValueError) as exc:
            text = _message(exc).lower()
            if any(word in text for word in _KNOWN):
                return "sent"
            if self._receipt(kept.tx_hash) is not None:
                return "sent"  # mined meanwhile ("nonce too low" for our own transaction)
            if any(word in text for word in _NONCE_TOO_LOW) and (
                self._w3.eth.get_transaction_count(cast(Any, self.address), "latest") <= kept.nonce
            ):
                return "sent"  # underpriced replacement: ours is still waiting in the pool
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
            if self._broadcast(kept) == "dropped":
                store.update_sent(self._engine, kept.idempotency_key, "dropped", int(time.time()))
        last = store.last_nonce(self._engine, self.address)
        return chain_pending if last is None else max(chain_pending, last + 1)

    def _sign(
        self, key: str, call: Transactable, requested_by: str | None, attempts: int
    ) -> SentTransaction:
        """Choose the nonce, estimate gas (a revert here raises, before anything is kept),
        sign, and keep the signed transaction."""
        w3 = self._w3
        chain_pending = int(w3.eth.get_transaction_count(cast(Any, self.address), "pending"))
        nonce = self._heal_gaps(chain_pending)
        params = {
            "from": self.address,
            "chainId": self._deployment.chain_id,
            "nonce": nonce,
            "gasPrice": gas_price(w3),
            "value": 0,
            "gas": 1,  # a placeholder stops web3 from estimating: we estimate, to decode reverts
        }
        try:
            tx = dict(call.build_transaction(cast(TxParams, params)))
        except (ContractLogicError, Web3RPCError) as exc:
            raise SendFailed(f"cannot build the transaction: {_message(exc)}") from None
        action = _describe(call)
        tx["gas"] = estimate_gas(w3, tx, _abis(call), action)
        signed = self._account.sign_transaction(tx)
        kept = SentTransaction(
            idempotency_key=key,
            sender=self.address,
            nonce=nonce,
            tx_hash=_hex(bytes(signed.hash)),
            raw_tx=_hex(bytes(signed.raw_transaction)),
            action=action,
            status="sent",
            attempts=attempts,
            requested_by=requested_by,
            block_number=None,
        )
        store.record_sent(self._engine, kept, int(time.time()))
        log.info("signed %s as %s nonce %d: %s", key, kept.tx_hash, nonce, action)
        return kept

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

    def _await(self, kept: SentTransaction) -> TxReceipt:
        try:
            return self._w3.eth.wait_for_transaction_receipt(
                cast(Any, kept.tx_hash), timeout=self._receipt_timeout, poll_latency=POLL_SECONDS
            )
        except TimeExhausted:
            raise TransactionPending(
                f"transaction {kept.tx_hash} was sent but not mined within "
                f"{self._receipt_timeout:.0f} s; retry the same request to follow it",
                tx_hash=kept.tx_hash,
            ) from None
        except (OSError, Web3Exception) as exc:
            raise SendFailed(
                f"waiting for {kept.tx_hash}: {_message(exc)}", where=self._rpc_url
            ) from None

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
        async with self._lock:
            kept, replayed = await self._in_thread(self._prepare, key, build, requested_by)
        receipt = await self._in_thread(self._await, kept)
        now = int(time.time())
        block = int(receipt["blockNumber"])
        if int(receipt["status"]) != 1:
            await asyncio.to_thread(store.update_sent, self._engine, key, "reverted", now, block)
            raise await asyncio.to_thread(self._why_reverted, kept, receipt)
        if kept.status != "mined":
            await asyncio.to_thread(store.update_sent, self._engine, key, "mined", now, block)
        return SendOutcome(key, kept.tx_hash, kept.nonce, block, receipt, replayed)

    async def _in_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` in a worker thread; a chain that does not answer is :class:`SendFailed`."""
        try:
            return await asyncio.to_thread(fn, *args)
        except (OSError, Web3Exception) as exc:
            raise SendFailed(_message(exc), where=self._rpc_url) from None

    def _prepare(
        self,
        key: str,
        build: Callable[[ConsortiumClient], Transactable],
        requested_by: str | None,
    ) -> tuple[SentTransaction, bool]:
        """Under the lock: the kept transaction of ``key`` (broadcast again), or a new one."""
        kept = store.sent_transaction(self._engine, key)
        attempts = 1
        if kept is not None:
            if kept.status == "mined":
                return kept, True
            if kept.status == "sent":
                if self._broadcast(kept) == "sent":
                    return kept, True
                store.update_sent(self._engine, key, "dropped", int(time.time()))
            attempts = kept.attempts + 1  # reverted or dropped: it changed nothing; sign anew
        kept = self._sign(key, build(self.client()), requested_by, attempts)
        if self._broadcast(kept) == "dropped":
            store.update_sent(self._engine, key, "dropped", int(time.time()))
            raise SendFailed(f"the chain refused transaction {kept.tx_hash}", where=self._rpc_url)
        return kept, False


def _describe(call: Transactable) -> str:
    name = getattr(call, "fn_name", None) or "transaction"
    return f"{name}(…)"


def _abis(call: Transactable) -> Iterable[list[Any]]:
    abi = getattr(call, "contract_abi", None)
    return [abi] if isinstance(abi, list) else []
