"""A manifest's projection onto the chain: ids, the policy and the EIP-712 message. Pure.

What goes on chain is only what DOMAIN.md allows: identifiers, hashes, classification codes,
the public catalogue and amounts. The manifest itself stays off chain; its hash is recorded.
The field names and types are those of :data:`onelist.eip712.TYPES`, which the contracts verify.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils import keccak

from listing.errors import SigningError
from listing.manifest import Manifest
from onelist.catalogue import encode_catalogue
from onelist.codes import (
    DeliveryMode,
    Grade,
    OnwardTransfer,
    OpenClass,
    PersonalInfo,
    PIFlag,
    Purpose,
    Territory,
    exchange_code,
)

__all__ = [
    "ZERO32",
    "catalogue_bytes",
    "grants_bitmask",
    "listing_authorization",
    "listing_id",
    "policy_of",
    "to_json",
]

ZERO32 = bytes(32)
MAX_EXCHANGE_INDEX = 255  # grantingExchanges is a uint256 bitmask


def _bytes32(value: bytes | str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def listing_id(manifest: Manifest) -> bytes:
    """The listing's id on chain: its first version's dataset fingerprint.

    The ListingRegistry keys a listing by that fingerprint, so the slot that records the listing
    also refuses the same dataset a second time (DOMAIN rule 6). Version 1 takes its own
    fingerprint; later versions carry ``listing_id`` (checked by rule ID in ``listing.rules``).
    """
    return _bytes32(manifest.listing_id or manifest.fingerprint)


def catalogue_bytes(manifest: Manifest) -> bytes:
    """The public catalogue as the chain carries it (codec byte + compressed canonical JSON,
    as onelist.catalogue.encode_catalogue writes it)."""
    return encode_catalogue(manifest.catalogue.model_dump(mode="json", exclude_none=True))


def grants_bitmask(
    granting_exchanges: str | list[str], exchange_indexes: Mapping[str, int] | None
) -> int:
    """``grantingExchanges``: 0 for "all", else one bit per exchange at its consortium index."""
    if granting_exchanges == "all":
        return 0
    mask = 0
    for i, code in enumerate(granting_exchanges):
        where = f"usage.granting_exchanges[{i}]"
        if exchange_indexes is None:
            raise SigningError(
                f"exchange {code} needs the consortium's exchange index table "
                "(--exchange-indexes FILE)",
                where=where,
            )
        index = exchange_indexes.get(code)
        if index is None:
            raise SigningError(f"exchange {code} has no index in the index table", where=where)
        if isinstance(index, bool) or not 0 <= index <= MAX_EXCHANGE_INDEX:
            raise SigningError(f"exchange {code} has index {index!r}, not 0-255", where=where)
        mask |= 1 << index
    return mask


def _hash_or_zero(value: str | None) -> bytes:
    return _bytes32(value) if value is not None else ZERO32


def policy_of(
    manifest: Manifest, exchange_indexes: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The ``Policy`` struct the ListingRegistry stores and enforces at every grant."""
    pi = manifest.personal_information
    evidence = manifest.evidence
    usage = manifest.usage
    flags = PIFlag(0)
    if pi.sensitive:
        flags |= PIFlag.sensitive
    if pi.under_14:
        flags |= PIFlag.under_14
    consent = evidence.consent_or_anonymisation_report or evidence.separate_consent
    risk = evidence.risk_assessment
    authorisation = manifest.source.authorisation_id
    purposes = Purpose(0)
    for purpose in usage.purposes:
        purposes |= Purpose[purpose]
    modes = DeliveryMode(0)
    for mode in manifest.catalogue.delivery_modes:
        modes |= DeliveryMode[mode]
    return {
        "grade": int(Grade[manifest.classification.grade]),
        "openClass": int(OpenClass[manifest.classification.open_class]),
        "personalInfo": int(PersonalInfo[pi.status]),
        "piFlags": int(flags),
        "consentEvidence": _hash_or_zero(consent.hash if consent else None),
        "riskAssessment": _hash_or_zero(risk.hash if risk else None),
        "authorisationId": (
            bytes(keccak(authorisation.encode("utf-8"))) if authorisation else ZERO32
        ),
        "purposes": int(purposes),
        "maxTermDays": usage.max_term_days,
        "territory": int(Territory[usage.territory]),
        "onwardTransfer": int(OnwardTransfer[usage.onward_transfer]),
        "modelTraining": usage.model_training,
        "deliveryModes": int(modes),
        "grantingExchanges": grants_bitmask(usage.granting_exchanges, exchange_indexes),
        "priceFloorFen": usage.price_floor_fen,
    }


def listing_authorization(
    manifest: Manifest,
    manifest_hash: bytes | str,
    catalogue_bytes: bytes,
    deadline: int,
    exchange_indexes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The ``ListingAuthorization`` message the provider signs (EIP-712).

    It binds the listing id and version, the home exchange, the manifest hash, the dataset
    fingerprint, the hash of the catalogue bytes the contract will emit, the policy and a
    deadline (unix seconds) after which the contract refuses the signature.
    """
    if not 0 <= deadline < 2**64:
        raise SigningError(f"deadline {deadline} is not a uint64 timestamp")
    return {
        "listingId": listing_id(manifest),
        "version": manifest.version,
        "homeExchange": exchange_code(manifest.home_exchange),
        "manifestHash": _bytes32(manifest_hash),
        "fingerprint": _bytes32(manifest.fingerprint),
        "catalogueHash": bytes(keccak(catalogue_bytes)),
        "policy": policy_of(manifest, exchange_indexes),
        "deadline": deadline,
    }


def to_json(value: Any) -> Any:
    """A message with its ``bytes`` as 0x hex, ready for JSON (and still signable)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value
