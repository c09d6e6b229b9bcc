"""Connect to a chain and send transactions that explain themselves when they revert.

Why this layer exists: every consumer (deploy script, CLI, tests, node) needs the same few things
done the same way on ganache, anvil and the consortium's Besu network: refuse the wrong chain,
sign locally (nodes never hold keys), pay Besu's zero gas price, and turn a revert's 4-byte
selector into the custom error's name and values.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception, Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import RPCEndpoint, TxParams, TxReceipt

from onelist.build.compiler import ARTIFACTS_DIR, repo_root
from onelist.chain.launcher import DEV_ACCOUNT_COUNT, DEV_MNEMONIC, rpc_call
from onelist.chain.revert import (
    DecodedRevert,
    ErrorSignature,
    TransactionFailed,
    TransactionReverted,
    decode_revert,
    error_signatures,
    format_value,
    revert_data,
)
from onelist.errors import ChainError, ToolchainError

#: Estimated gas is multiplied by this: estimates can fall short when state changes in between.
GAS_MARGIN = 1.25
#: Added on top of the margin, for very small estimates.
GAS_EXTRA = 20_000

JsonAbi = Sequence[Mapping[str, Any]]


class Transactable(Protocol):
    """A web3 contract function call or constructor: anything with ``build_transaction``."""

    def build_transaction(self, transaction: TxParams | None = None) -> TxParams: ...


def connect(url: str, expected_chain_id: int | None = None, *, timeout: float = 10.0) -> Web3:
    """A Web3 for ``url``, after checking the chain answers and is the one we expect.

    Raises :class:`ChainError` naming the URL when it does not answer or its chain id differs.
    The POA middleware accepts Besu QBFT/clique blocks, whose extraData is longer than 32 bytes.
    """
    try:
        answer = rpc_call(url, "eth_chainId", [], timeout=timeout)
        chain_id = int(str(answer), 16)
    except (OSError, ValueError, ToolchainError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ChainError(f"no answer to eth_chainId: {reason}", where=url) from None
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainError(f"chain id is {chain_id}, expected {expected_chain_id}", where=url)
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def _url(w3: Web3) -> str:
    return str(getattr(w3.provider, "endpoint_uri", "") or "the chain")


@functools.cache
def dev_private_keys(count: int = DEV_ACCOUNT_COUNT) -> tuple[str, ...]:
    """The private keys of the development mnemonic's first ``count`` accounts (0x-hex).

    The same keys ganache and anvil fund at startup, so they are usable on a fresh local chain.
    Public knowledge: never use them on the consortium network.
    """
    Account.enable_unaudited_hdwallet_features()
    keys = []
    for index in range(count):
        account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        keys.append("0x" + bytes(account.key).hex())
    return tuple(keys)


def address_of(private_key: str | bytes) -> ChecksumAddress:
    """The address a private key signs for."""
    return cast(ChecksumAddress, Account.from_key(private_key).address)


def accounts(w3: Web3) -> list[ChecksumAddress]:
    """The accounts the node itself manages (the funded dev accounts on ganache and anvil)."""
    return list(w3.eth.accounts)


def gas_price(w3: Web3) -> int:
    """The legacy gas price to offer: the node's suggestion, never below the current base fee.

    Legacy (type 0) transactions are the one kind every target accepts; on a Besu network with
    free gas the node suggests 0 and the base fee is 0, so this returns 0.
    """
    price = int(w3.eth.gas_price)
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
    if base_fee is not None:
        price = max(price, int(base_fee))
    return price


def built_abis(root: Path | None = None) -> list[JsonAbi]:
    """The ABIs of the artifacts already in build/contracts (read as is, never compiling: this
    runs while reporting an error and must not fail for a reason of its own)."""
    out_dir = (root or repo_root()) / ARTIFACTS_DIR
    abis: list[JsonAbi] = []
    for path in sorted(out_dir.glob("*.json")):
        try:
            abis.append(json.loads(path.read_text(encoding="utf-8"))["abi"])
        except (OSError, ValueError, KeyError):
            continue
    return abis


def known_errors(extra_abis: Iterable[JsonAbi] = ()) -> dict[bytes, ErrorSignature]:
    """Custom errors by selector: the given ABIs first, then every built artifact's."""
    return error_signatures([*extra_abis, *built_abis()])


def _abi_of(target: object) -> list[JsonAbi]:
    abi = getattr(target, "contract_abi", None) or getattr(target, "abi", None)
    return [abi] if isinstance(abi, list) else []


def _reverted_or_failed(
    w3: Web3, exc: Exception, abis: Iterable[JsonAbi], action: str
) -> TransactionFailed:
    data = revert_data(exc)
    if data is None:
        message = getattr(exc, "message", None) or str(exc)
        return TransactionFailed(f"{action} failed: {message}", where=_url(w3))
    return TransactionReverted(
        decode_revert(data, known_errors(abis)), where=_url(w3), action=action
    )


def _describe(tx: Mapping[str, Any], target: object) -> str:
    """``store(500)``, ``deployment`` or ``transaction to 0x...``: what the user asked for."""
    name = getattr(target, "fn_name", None)
    if name:
        args = ", ".join(format_value(a) for a in getattr(target, "args", None) or ())
        return f"{name}({args})"
    return "deployment" if not tx.get("to") else f"transaction to {tx['to']}"


def _build(
    w3: Web3, target: Transactable | Mapping[str, Any], sender: ChecksumAddress, value: int
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "from": sender,
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(sender, "pending"),
        "gasPrice": gas_price(w3),
    }
    if isinstance(target, Mapping):
        tx = {**params, **{k: v for k, v in target.items() if k != "from"}}
        tx.setdefault("value", value)
        tx.pop("maxFeePerGas", None)
        tx.pop("maxPriorityFeePerGas", None)
        return tx
    # A placeholder gas stops web3 from estimating: we estimate ourselves, to decode reverts.
    built = target.build_transaction(cast(TxParams, {**params, "value": value, "gas": 1}))
    tx = dict(built)
    del tx["gas"]
    return tx


def estimate_gas(
    w3: Web3, tx: Mapping[str, Any], abis: Iterable[JsonAbi] = (), action: str | None = None
) -> int:
    """Estimated gas with a safety margin, capped at the block gas limit; a revert during the
    estimate raises :class:`TransactionReverted` with the decoded error."""
    probe = {k: tx[k] for k in ("from", "to", "data", "value") if k in tx and tx[k] is not None}
    try:
        estimate = int(w3.eth.estimate_gas(cast(TxParams, probe)))
    except (ContractLogicError, Web3RPCError, ValueError) as exc:
        raise _reverted_or_failed(w3, exc, abis, action or _describe(tx, None)) from None
    limit = int(w3.eth.get_block("latest")["gasLimit"])
    return min(int(estimate * GAS_MARGIN) + GAS_EXTRA, limit)


def send_transaction(
    w3: Web3,
    contract_fn_or_tx: Transactable | Mapping[str, Any],
    private_key: str | bytes,
    *,
    value: int = 0,
    gas: int | None = None,
    timeout: float = 120.0,
    abis: Iterable[JsonAbi] = (),
) -> TxReceipt:
    """Sign locally, send, wait for the receipt; decode the custom error if it reverts.

    ``contract_fn_or_tx`` is a web3 contract call (``contract.functions.f(x)``), a constructor
    (``Contract.constructor(...)``) or a plain transaction dict. The nonce counts pending
    transactions; gas is estimated with a margin unless given. Revert data is decoded against
    the called contract's ABI, ``abis`` and every built artifact, so an error raised in a nested
    call is named too. Raises :class:`TransactionReverted` (with ``error_name`` and
    ``error_args``) or :class:`TransactionFailed` when the node rejects the transaction.
    """
    all_abis = [*_abi_of(contract_fn_or_tx), *abis]
    account = Account.from_key(private_key)
    sender = cast(ChecksumAddress, account.address)
    try:
        tx = _build(w3, contract_fn_or_tx, sender, value)
    except (ContractLogicError, Web3RPCError) as exc:
        raise _reverted_or_failed(w3, exc, all_abis, "building the transaction") from None
    action = _describe(tx, contract_fn_or_tx)
    if gas is None:
        gas = tx.get("gas")  # a plain transaction dict may carry its own
    tx["gas"] = int(gas) if gas is not None else estimate_gas(w3, tx, all_abis, action)
    signed = account.sign_transaction(tx)
    try:
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.05)
    except TimeExhausted:
        raise TransactionFailed(
            f"{action}: transaction 0x{bytes(signed.hash).hex()} not mined within {timeout:.0f}s",
            where=_url(w3),
        ) from None
    except (ContractLogicError, Web3RPCError, ValueError) as exc:
        raise _reverted_or_failed(w3, exc, all_abis, action) from None
    if receipt["status"] != 1:
        raise _replay_revert(w3, tx, receipt, all_abis, action)
    return receipt


def _replay_revert(
    w3: Web3, tx: Mapping[str, Any], receipt: TxReceipt, abis: Iterable[JsonAbi], action: str
) -> TransactionFailed:
    """Why a mined transaction failed: replay it as a call on the state before its block."""
    call = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
    block = max(int(receipt["blockNumber"]) - 1, 0)
    tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    try:
        w3.eth.call(cast(TxParams, call), block_identifier=block)
    except (ContractLogicError, Web3RPCError, ValueError) as exc:
        failure = _reverted_or_failed(w3, exc, abis, f"{action} (tx {tx_hash})")
        return failure
    decoded = DecodedRevert("", (), (), b"")
    used = f"gas used {receipt['gasUsed']} of {tx.get('gas')}"
    return TransactionReverted(decoded, where=_url(w3), action=f"{action} (tx {tx_hash}, {used})")


def call(
    w3: Web3, contract_fn: Any, *, sender: str | None = None, abis: Iterable[JsonAbi] = ()
) -> Any:
    """``contract_fn.call()``, with a revert decoded like :func:`send_transaction` does."""
    params = cast(TxParams, {"from": sender}) if sender else None
    try:
        return contract_fn.call(params)
    except (ContractLogicError, Web3RPCError) as exc:
        all_abis = [*_abi_of(contract_fn), *abis]
        action = _describe({}, contract_fn)
        raise _reverted_or_failed(w3, exc, all_abis, action) from None


# --- test helpers: ganache and anvil both implement these evm_* methods ----------------------


def _request(w3: Web3, method: str, params: list[Any]) -> Any:
    try:
        return w3.manager.request_blocking(RPCEndpoint(method), params)
    except (Web3Exception, OSError) as exc:
        raise ChainError(f"{method} failed: {exc}", where=_url(w3)) from None


def evm_snapshot(w3: Web3) -> str:
    """Snapshot the chain state; returns the id to pass to :func:`evm_revert`."""
    return str(_request(w3, "evm_snapshot", []))


def evm_revert(w3: Web3, snapshot_id: str) -> None:
    """Return to a snapshot (which is used up: take a new one to revert again)."""
    if not _request(w3, "evm_revert", [snapshot_id]):
        raise ChainError(f"evm_revert to snapshot {snapshot_id} refused", where=_url(w3))


def mine(w3: Web3) -> None:
    """Mine one block."""
    _request(w3, "evm_mine", [])


def increase_time(w3: Web3, seconds: int) -> None:
    """Move the chain clock forward and mine a block, so ``block.timestamp`` shows it."""
    _request(w3, "evm_increaseTime", [int(seconds)])
    mine(w3)
