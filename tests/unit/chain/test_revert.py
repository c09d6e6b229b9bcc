"""Revert decoding: pure functions from revert data and ABIs to a readable error."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from onelist.chain.revert import (
    DecodedRevert,
    canonical_type,
    decode_revert,
    error_signatures,
    revert_data,
)

ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "f", "inputs": [], "outputs": []},
    {
        "type": "error",
        "name": "ListingRegistryGradeNotListable",
        "inputs": [
            {"name": "listingId", "type": "bytes32"},
            {"name": "grade", "type": "uint8"},
        ],
    },
    {
        "type": "error",
        "name": "LicenceTermsRejected",
        "inputs": [
            {
                "name": "terms",
                "type": "tuple",
                "components": [
                    {"name": "licensee", "type": "address"},
                    {"name": "days", "type": "uint32"},
                ],
            },
            {"name": "purposes", "type": "uint8[]"},
        ],
    },
    {"type": "error", "name": "MembershipNotOperator", "inputs": [{"name": "", "type": "address"}]},
]
ERRORS = error_signatures([ABI, ABI])  # the same error in several ABIs is one entry
LICENSEE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@pytest.mark.parametrize(
    ("data", "name", "args", "text"),
    [
        (
            selector("ListingRegistryGradeNotListable(bytes32,uint8)")
            + encode(["bytes32", "uint8"], [b"\x01" * 32, 2]),
            "ListingRegistryGradeNotListable",
            (b"\x01" * 32, 2),
            f"ListingRegistryGradeNotListable(listingId=0x{'01' * 32}, grade=2)",
        ),
        (
            selector("LicenceTermsRejected((address,uint32),uint8[])")
            + encode(["(address,uint32)", "uint8[]"], [(LICENSEE, 30), [1, 3]]),
            "LicenceTermsRejected",
            ((LICENSEE.lower(), 30), (1, 3)),
            f"LicenceTermsRejected(terms=('{LICENSEE.lower()}', 30), purposes=(1, 3))",
        ),
        (
            selector("MembershipNotOperator(address)") + encode(["address"], [LICENSEE]),
            "MembershipNotOperator",
            (LICENSEE,),
            f"MembershipNotOperator('{LICENSEE}')",
        ),
        (
            selector("Error(string)") + encode(["string"], ["not home exchange"]),
            "Error",
            ("not home exchange",),
            "Error('not home exchange')",
        ),
        (
            selector("Panic(uint256)") + encode(["uint256"], [0x11]),
            "Panic",
            (0x11,),
            "Panic(0x11: arithmetic overflow or underflow)",
        ),
        (b"", "", (), "reverted without data"),
        (bytes.fromhex("deadbeef") + b"\x00" * 32, "", (), "unknown error 0xdeadbeef"),
        (
            selector("ListingRegistryGradeNotListable(bytes32,uint8)") + b"\x01",
            "",
            (),
            "unknown error",
        ),
    ],
    ids=[
        "a custom error is named with its argument names and values",
        "a tuple argument is decoded with its canonical signature",
        "an unnamed argument is shown by value, addresses checksummed",
        "a reason string is an Error",
        "a panic is explained",
        "no data says so",
        "an unknown selector is shown raw",
        "truncated arguments are shown raw, not raised",
    ],
)
def test_decode_revert(data: bytes, name: str, args: tuple[Any, ...], text: str) -> None:
    decoded = decode_revert(data, ERRORS)

    assert decoded.name == name
    assert decoded.args == args
    assert text in str(decoded)


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ({"type": "uint256"}, "uint256"),
        (
            {"type": "tuple", "components": [{"type": "address"}, {"type": "bytes32"}]},
            "(address,bytes32)",
        ),
        (
            {
                "type": "tuple[]",
                "components": [{"type": "tuple", "components": [{"type": "uint8"}]}],
            },
            "((uint8))[]",
        ),
    ],
    ids=["an elementary type is itself", "a tuple lists its components", "nested tuple arrays"],
)
def test_canonical_type(param: dict[str, Any], expected: str) -> None:
    assert canonical_type(param) == expected


class _Web3StyleError(Exception):
    def __init__(self, data: object = None, rpc_response: object = None) -> None:
        super().__init__("execution reverted")
        self.data = data
        self.rpc_response = rpc_response


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": 3, "message": "execution reverted", "data": "0x08c379a0"}, "08c379a0"),
        ({"message": "VM Exception", "data": {"result": "0xdeadbeef", "reason": None}}, "deadbeef"),
        ({"message": "reverted", "data": "Reverted 0x4e487b71"}, "4e487b71"),
        ({"code": -32000, "message": "nonce too low"}, None),
        ({"message": "x", "data": "not hex"}, None),
        (_Web3StyleError(data="0xabcdef01"), "abcdef01"),
        (_Web3StyleError(rpc_response={"error": {"data": "0x0102"}}), "0102"),
        (_Web3StyleError(), None),
    ],
    ids=[
        "anvil, geth and Besu put hex in data",
        "ganache puts it in data.result",
        "a Reverted prefix is stripped",
        "a rejected transaction has no revert data",
        "text that is not hex is no revert data",
        "a web3 ContractLogicError carries it in .data",
        "a web3 RPC error carries it in the response",
        "an exception without data has none",
    ],
)
def test_revert_data(error: object, expected: str | None) -> None:
    found = revert_data(error)
    assert (found.hex() if found is not None else None) == expected


def test_str_of_a_decoded_revert_without_a_name_shows_the_data() -> None:
    assert str(DecodedRevert("", (), (), b"\x12\x34\x56\x78")) == (
        "unknown error 0x12345678 (data 0x12345678)"
    )
