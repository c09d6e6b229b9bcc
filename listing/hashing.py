"""The manifest hash: RFC 8785 canonical JSON, then keccak256.

The same manifest gives the same hash whatever its key order, whitespace or escapes, because
RFC 8785 (JSON Canonicalization Scheme) fixes one byte string per JSON value: keys sorted by
UTF-16 code units, no whitespace, ECMAScript number formatting, minimal string escapes, UTF-8.
The manifest is hashed in its normal form (validated, null members omitted), so a provider in
any language gets the same hash with any RFC 8785 library and keccak256.
"""

from __future__ import annotations

from typing import Any

import rfc8785
from eth_utils import keccak

from listing.manifest import Manifest, manifest_document

__all__ = ["canonical_json", "keccak_hex", "manifest_hash", "manifest_hash_bytes"]


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``.

    Raises ``ValueError`` (``rfc8785.CanonicalizationError``) for what JSON cannot carry
    exactly: NaN, infinities, integers beyond ±(2**53 - 1), lone surrogates, non-string keys.
    """
    return rfc8785.dumps(value)


def keccak_hex(data: bytes) -> str:
    """keccak256 of ``data`` as 0x + 64 lower-case hex digits."""
    return "0x" + keccak(data).hex()


def manifest_hash_bytes(manifest: Manifest) -> bytes:
    """The 32-byte manifest hash recorded on chain."""
    return bytes(keccak(canonical_json(manifest_document(manifest))))


def manifest_hash(manifest: Manifest) -> str:
    """The manifest hash as 0x hex."""
    return "0x" + manifest_hash_bytes(manifest).hex()
