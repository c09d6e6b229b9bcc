"""The provider's EIP-712 signature over a listing, and the signature file that carries it.

The signature covers the ``ListingAuthorization`` message of :mod:`listing.onchain` in the
domain ``onelist ListingRegistry`` / version / chain id / registry address, so it is valid for
one chain and one contract only, and only until its deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import is_address, to_checksum_address

from listing.errors import SigningError
from listing.hashing import manifest_hash_bytes
from listing.manifest import Manifest
from listing.onchain import catalogue_bytes, listing_authorization, to_json
from onelist import eip712

__all__ = ["PRIMARY_TYPE", "SIGNATURE_FORMAT", "recover_signer", "sign_listing"]

PRIMARY_TYPE = "ListingAuthorization"
SIGNATURE_FORMAT = "onelist-listing-signature/1"


def _registry(address: str) -> str:
    if not is_address(address):
        raise SigningError(f"registry {address!r} is not an address (0x + 40 hex digits)")
    return str(to_checksum_address(address))


def sign_listing(
    manifest: Manifest,
    private_key: bytes,
    *,
    chain_id: int,
    registry: str,
    deadline: int,
    exchange_indexes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Sign the manifest's ``ListingAuthorization``; returns the signature document.

    The key must be the manifest's provider: the contract recovers the signer and compares.
    """
    if chain_id <= 0:
        raise SigningError(f"chain id {chain_id} must be positive")
    verifying_contract = _registry(registry)
    signer = Account.from_key(private_key).address
    if signer.lower() != manifest.provider.lower():
        raise SigningError(
            f"the key is {signer}, but the manifest's provider is {manifest.provider}",
            where="provider",
        )
    catalogue = catalogue_bytes(manifest)
    mhash = manifest_hash_bytes(manifest)
    message = listing_authorization(manifest, mhash, catalogue, deadline, exchange_indexes)
    signature = eip712.sign(PRIMARY_TYPE, message, chain_id, verifying_contract, private_key)
    return {
        "format": SIGNATURE_FORMAT,
        "primary_type": PRIMARY_TYPE,
        "domain": eip712.domain(eip712.VERIFIER[PRIMARY_TYPE], chain_id, verifying_contract),
        "message": to_json(message),
        "signature": "0x" + signature.hex(),
        "signer": signer,
        "manifest_hash": "0x" + mhash.hex(),
        "catalogue": "0x" + catalogue.hex(),
    }


def recover_signer(document: Mapping[str, Any]) -> str:
    """The address that signed a signature document (as the contract would recover it)."""
    try:
        domain = document["domain"]
        typed = eip712.typed_data(
            document["primary_type"],
            document["message"],
            domain["chainId"],
            domain["verifyingContract"],
        )
        signable = encode_typed_data(full_message=typed)
        return str(Account.recover_message(signable, signature=document["signature"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SigningError(f"not a valid signature document: {exc}") from None
