"""Talking to a chain: local dev chains, connections, signed transactions, decoded reverts.

The names below load with their module on first use: importing ``onelist.chain.launcher`` (what
``onelist build`` and the chain launchers need) does not import web3 and eth-account.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "DEV_MNEMONIC": "launcher",
    "LocalChain": "launcher",
    "TransactionFailed": "revert",
    "TransactionReverted": "revert",
    "accounts": "connection",
    "call": "connection",
    "connect": "connection",
    "dev_private_keys": "connection",
    "evm_revert": "connection",
    "evm_snapshot": "connection",
    "gas_price": "connection",
    "increase_time": "connection",
    "send_transaction": "connection",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
