"""The contracts' structs as Python values: pure conversions, hashing and the revenue split.

``ListingRecord``, ``Policy`` and ``LicenceTerms`` are dicts keyed by the Solidity field names
(the same names as the EIP-712 types in :mod:`onelist.eip712`); these functions turn them into
the tuples web3 and eth-abi take, and compute what the contracts compute, so that a node, a
signer and a test agree with the chain without asking it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from onelist.addresses import checksum
from onelist.eip712 import POLICY_FIELDS, TYPES

POLICY_ABI = "(" + ",".join(t for _, t in POLICY_FIELDS) + ")"
RECORD_FIELDS: list[tuple[str, str]] = [
    ("provider", "address"),
    ("version", "uint32"),
    ("manifestHash", "bytes32"),
    ("fingerprint", "bytes32"),
    ("policy", POLICY_ABI),
]
RECORD_ABI = "(" + ",".join(t for _, t in RECORD_FIELDS) + ")"
TERMS_FIELDS: list[tuple[str, str]] = TYPES["LicenceAcceptance"]
TERMS_ABI = "(" + ",".join(t for _, t in TERMS_FIELDS) + ")"
#: The longest term of an exclusive licence of public data: five years (DOMAIN), in days, as
#: LicenceRegistry.MAX_EXCLUSIVE_TERM_DAYS; counted from its start or the grant, whichever is
#: earlier.
EXCLUSIVE_MAX_TERM_DAYS = 1826


def _tuple(fields: list[tuple[str, str]], value: Mapping[str, Any]) -> tuple[Any, ...]:
    unknown = set(value) - {name for name, _ in fields}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    return tuple(value[name] for name, _ in fields)


def policy_tuple(policy: Mapping[str, Any]) -> tuple[Any, ...]:
    return _tuple(POLICY_FIELDS, policy)


def record_tuple(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """A ListingRecord as web3 takes it (the nested policy too)."""
    values = dict(record)
    values["provider"] = checksum(values["provider"])
    values["policy"] = policy_tuple(values["policy"])
    return _tuple(RECORD_FIELDS, values)


def terms_tuple(terms: Mapping[str, Any]) -> tuple[Any, ...]:
    values = dict(terms)
    values["licensee"] = checksum(values["licensee"])
    return _tuple(TERMS_FIELDS, values)


def record_from_tuple(value: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """The inverse of :func:`record_tuple`, as eth-abi decodes an event's record."""
    record = {name: value[i] for i, (name, _) in enumerate(RECORD_FIELDS)}
    record["provider"] = checksum(record["provider"])
    record["policy"] = {name: record["policy"][i] for i, (name, _) in enumerate(POLICY_FIELDS)}
    return record


def terms_from_tuple(value: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    terms = {name: value[i] for i, (name, _) in enumerate(TERMS_FIELDS)}
    terms["licensee"] = checksum(terms["licensee"])
    return terms


def record_hash(record: Mapping[str, Any]) -> bytes:
    """keccak256(abi.encode(record)), as ListingRegistry and LicenceRegistry compute it."""
    return keccak(encode([RECORD_ABI], [record_tuple(record)]))


def split_fees(price_fen: int, home_bps: int, granting_bps: int, consortium_bps: int) -> list[int]:
    """[provider, home exchange, granting exchange, consortium] in fen, as the contract splits.

    Each exchange and the consortium get floor(price * bps / 10000); the provider keeps the
    rest, so the shares always add up to the price.
    """
    home = price_fen * home_bps // 10_000
    granting = price_fen * granting_bps // 10_000
    consortium = price_fen * consortium_bps // 10_000
    return [price_fen - home - granting - consortium, home, granting, consortium]
