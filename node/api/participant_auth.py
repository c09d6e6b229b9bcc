"""Participants sign their requests to a node: EIP-712 over the method, path, body and time.

Each request carries four headers:

- ``X-Onelist-Account``: the participant's address;
- ``X-Onelist-Timestamp``: unix seconds, within :data:`WINDOW_SECONDS` of the node's clock;
- ``X-Onelist-Nonce``: 32 random bytes (0x hex), used once (the node keeps the nonces it has
  seen for the window, so a captured request cannot be replayed);
- ``X-Onelist-Signature``: the account's 65-byte EIP-712 signature over
  ``NodeRequest(string method,string path,bytes32 bodyHash,uint64 timestamp,bytes32 nonce)``
  in the domain ``{name: "onelist node", version: "1", chainId}`` (no verifying contract: the
  request is for any node of the consortium's chain, at the path it names).

``path`` is the request's path with its query string, exactly as sent (``/submissions?limit=5``);
``bodyHash`` is keccak256 of the body's bytes (of no bytes for a request without a body).

This module is pure: :func:`sign_request` makes the headers (the toolkit uses it) and
:func:`verify_request` checks them against a clock; the nonce store and the participants'
roles are the API's business (:mod:`node.api.submissions`).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_utils import is_address, keccak, to_checksum_address

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "HEADERS",
    "HEADER_ACCOUNT",
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "PRIMARY_TYPE",
    "REQUEST_FIELDS",
    "WINDOW_SECONDS",
    "AuthenticationError",
    "SignedRequest",
    "sign_request",
    "type_string",
    "typed_request",
    "verify_request",
]

HEADER_ACCOUNT = "X-Onelist-Account"
HEADER_TIMESTAMP = "X-Onelist-Timestamp"
HEADER_NONCE = "X-Onelist-Nonce"
HEADER_SIGNATURE = "X-Onelist-Signature"
HEADERS = (HEADER_ACCOUNT, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)

#: How far a request's timestamp may be from the node's clock, either way (seconds).
WINDOW_SECONDS = 300

PRIMARY_TYPE = "NodeRequest"
DOMAIN_NAME = "onelist node"
DOMAIN_VERSION = "1"
REQUEST_FIELDS: list[tuple[str, str]] = [
    ("method", "string"),
    ("path", "string"),
    ("bodyHash", "bytes32"),
    ("timestamp", "uint64"),
    ("nonce", "bytes32"),
]
_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
]
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_DIGITS = re.compile(r"[0-9]{1,20}")


class AuthenticationError(ValueError):
    """A request's signature headers are missing, malformed, stale or do not verify;
    ``field`` names the header concerned."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature verified: who sent it, when, and its single-use nonce."""

    account: str  # EIP-55
    timestamp: int
    nonce: str  # 0x + 64 lower-case hex digits


def type_string() -> str:
    """``NodeRequest(string method,string path,bytes32 bodyHash,uint64 timestamp,bytes32 nonce)``"""
    return f"{PRIMARY_TYPE}(" + ",".join(f"{t} {n}" for n, t in REQUEST_FIELDS) + ")"


def typed_request(
    method: str, path: str, body: bytes, timestamp: int, nonce: bytes, chain_id: int
) -> dict[str, Any]:
    """The full EIP-712 document of a request (as ``eth_signTypedData_v4`` takes it)."""
    return {
        "types": {
            "EIP712Domain": _DOMAIN_FIELDS,
            PRIMARY_TYPE: [{"name": n, "type": t} for n, t in REQUEST_FIELDS],
        },
        "primaryType": PRIMARY_TYPE,
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
        "message": {
            "method": method.upper(),
            "path": path,
            "bodyHash": bytes(keccak(body)),
            "timestamp": timestamp,
            "nonce": nonce,
        },
    }


def sign_request(
    private_key: bytes | str,
    method: str,
    path: str,
    body: bytes,
    chain_id: int,
    *,
    timestamp: int | None = None,
    nonce: bytes | None = None,
) -> dict[str, str]:
    """The four headers that sign a request to a node of chain ``chain_id``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_bytes(32) if nonce is None else nonce
    typed = typed_request(method, path, body, timestamp, nonce, chain_id)
    signed = Account.sign_message(encode_typed_data(full_message=typed), private_key)
    return {
        HEADER_ACCOUNT: Account.from_key(private_key).address,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: "0x" + nonce.hex(),
        HEADER_SIGNATURE: "0x" + bytes(signed.signature).hex(),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        raise AuthenticationError(
            "a signed request is required (X-Onelist-Account, -Timestamp, -Nonce, -Signature)",
            field=name,
        )
    return value.strip()


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    *,
    chain_id: int,
    now: int,
    window: int = WINDOW_SECONDS,
) -> SignedRequest:
    """Check a request's signature headers; the account they prove, or
    :class:`AuthenticationError` naming the header at fault.

    ``headers`` is looked up by the exact names of :data:`HEADERS` (pass a case-insensitive
    mapping, as aiohttp's request headers are). The nonce's single use is not checked here.
    """
    account = _header(headers, HEADER_ACCOUNT)
    timestamp_text = _header(headers, HEADER_TIMESTAMP)
    nonce_text = _header(headers, HEADER_NONCE)
    signature = _header(headers, HEADER_SIGNATURE)
    if not is_address(account):
        raise AuthenticationError("not an address (0x + 40 hex digits)", field=HEADER_ACCOUNT)
    if not _DIGITS.fullmatch(timestamp_text) or int(timestamp_text) >= 2**64:
        raise AuthenticationError("not a unix time in seconds", field=HEADER_TIMESTAMP)
    timestamp = int(timestamp_text)
    if timestamp < now - window:
        raise AuthenticationError(
            f"the request is too old: signed at {timestamp}, more than {window} s before the "
            f"node's clock ({now})",
            field=HEADER_TIMESTAMP,
        )
    if timestamp > now + window:
        raise AuthenticationError(
            f"the request is dated in the future: {timestamp}, more than {window} s after the "
            f"node's clock ({now})",
            field=HEADER_TIMESTAMP,
        )
    if not _HEX32.fullmatch(nonce_text):
        raise AuthenticationError("not 32 bytes of 0x hex", field=HEADER_NONCE)
    if not _SIGNATURE.fullmatch(signature):
        raise AuthenticationError("not a 65-byte signature in 0x hex", field=HEADER_SIGNATURE)
    nonce = bytes.fromhex(nonce_text[2:])
    typed = typed_request(method, path, body, timestamp, nonce, chain_id)
    try:
        signer = Account.recover_message(encode_typed_data(full_message=typed), signature=signature)
    except (BadSignature, ValueError, TypeError):
        raise AuthenticationError("the signature does not verify", field=HEADER_SIGNATURE) from None
    if signer.lower() != account.lower():
        raise AuthenticationError(
            "the signature is not the account's (wrong key, or the method, path, body or chain "
            "differ from what was signed)",
            field=HEADER_SIGNATURE,
        )
    return SignedRequest(str(to_checksum_address(account)), timestamp, "0x" + nonce.hex())
