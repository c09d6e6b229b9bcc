"""EIP-712 types the contracts verify: the one definition Python signers and tests build from.

Each contract's TYPEHASH constant carries the exact type string in a comment;
tests/contracts/test_eip712.py checks that ``type_string(name)`` hashes to that constant.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

POLICY_FIELDS: list[tuple[str, str]] = [
    ("grade", "uint8"),
    ("openClass", "uint8"),
    ("personalInfo", "uint8"),
    ("piFlags", "uint8"),
    ("consentEvidence", "bytes32"),
    ("riskAssessment", "bytes32"),
    ("authorisationId", "bytes32"),
    ("purposes", "uint32"),
    ("maxTermDays", "uint16"),
    ("territory", "uint8"),
    ("onwardTransfer", "uint8"),
    ("modelTraining", "bool"),
    ("deliveryModes", "uint8"),
    ("grantingExchanges", "uint256"),
    ("priceFloorFen", "uint64"),
]

TYPES: dict[str, list[tuple[str, str]]] = {
    "Policy": POLICY_FIELDS,
    "ListingAuthorization": [
        ("listingId", "bytes32"),
        ("version", "uint32"),
        ("homeExchange", "bytes8"),
        ("manifestHash", "bytes32"),
        ("fingerprint", "bytes32"),
        ("catalogueHash", "bytes32"),
        ("policy", "Policy"),
        ("deadline", "uint64"),
    ],
    "LicenceAcceptance": [
        ("listingId", "bytes32"),
        ("version", "uint32"),
        ("licensee", "address"),
        ("grantingExchange", "bytes8"),
        ("purposes", "uint32"),
        ("start", "uint64"),
        ("end", "uint64"),
        ("territory", "uint8"),
        ("deliveryMode", "uint8"),
        ("onwardTransfer", "uint8"),
        ("modelTraining", "bool"),
        ("priceFen", "uint64"),
        ("settlementHash", "bytes32"),
        ("deadline", "uint64"),
    ],
    "LicenceTermination": [
        ("licenceId", "bytes32"),
        ("deadline", "uint64"),
    ],
}

# Which contract verifies each primary type; the domain's name is "onelist <Contract>".
VERIFIER = {
    "ListingAuthorization": "ListingRegistry",
    "LicenceAcceptance": "LicenceRegistry",
    "LicenceTermination": "LicenceRegistry",
}
DOMAIN_VERSION = "1"


def _referenced(primary: str) -> list[str]:
    seen: list[str] = []
    stack = [primary]
    while stack:
        name = stack.pop()
        for _, typ in TYPES[name]:
            base = typ.rstrip("[]")
            if base in TYPES and base not in seen and base != primary:
                seen.append(base)
                stack.append(base)
    return sorted(seen)


def _encode_one(name: str) -> str:
    return f"{name}(" + ",".join(f"{typ} {field}" for field, typ in TYPES[name]) + ")"


def type_string(primary: str) -> str:
    """The EIP-712 ``encodeType`` string: the primary type, then referenced types sorted."""
    return "".join(_encode_one(n) for n in [primary, *_referenced(primary)])


def type_hash(primary: str) -> bytes:
    return keccak(text=type_string(primary))


def domain(contract: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    return {
        "name": f"onelist {contract}",
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": verifying_contract,
    }


def typed_data(
    primary: str, message: dict[str, Any], chain_id: int, verifying_contract: str
) -> dict[str, Any]:
    """The full EIP-712 document (as wallets and ``eth_signTypedData_v4`` take it)."""
    types: dict[str, list[dict[str, str]]] = {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ]
    }
    for name in [primary, *_referenced(primary)]:
        types[name] = [{"name": f, "type": t} for f, t in TYPES[name]]
    return {
        "types": types,
        "primaryType": primary,
        "domain": domain(VERIFIER[primary], chain_id, verifying_contract),
        "message": message,
    }


def digest(primary: str, message: dict[str, Any], chain_id: int, verifying_contract: str) -> bytes:
    """The 32-byte hash the contract recovers the signer from."""
    signable = encode_typed_data(
        full_message=typed_data(primary, message, chain_id, verifying_contract)
    )
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign(
    primary: str,
    message: dict[str, Any],
    chain_id: int,
    verifying_contract: str,
    private_key: bytes | str,
) -> bytes:
    """A 65-byte (r, s, v) signature over the typed data."""
    signable = encode_typed_data(
        full_message=typed_data(primary, message, chain_id, verifying_contract)
    )
    signed = Account.sign_message(signable, private_key)
    return bytes(signed.signature)
