"""Talking to a chain: local dev chains, connections, signed transactions, decoded reverts."""

from onelist.chain.connection import (
    accounts,
    call,
    connect,
    dev_private_keys,
    evm_revert,
    evm_snapshot,
    gas_price,
    increase_time,
    send_transaction,
)
from onelist.chain.launcher import DEV_MNEMONIC, LocalChain
from onelist.chain.revert import TransactionFailed, TransactionReverted

__all__ = [
    "DEV_MNEMONIC",
    "LocalChain",
    "TransactionFailed",
    "TransactionReverted",
    "accounts",
    "call",
    "connect",
    "dev_private_keys",
    "evm_revert",
    "evm_snapshot",
    "gas_price",
    "increase_time",
    "send_transaction",
]
