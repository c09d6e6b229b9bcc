"""The demo's data, pure: the example manifests as this consortium's providers submit them, and
licence terms inside a listing's usage envelope.

The examples in ``examples/manifests/`` are written for other providers and exchanges (one is
Shenzhen's); a demo on the local consortium submits each as its own provider's product at one
of its own exchanges, granting only through exchanges that exist here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from eth_utils import keccak

from listing.manifest import Manifest
from onelist.codes import DeliveryMode, OnwardTransfer, Purpose, Territory, exchange_code

__all__ = ["DAY", "EXCLUSIVE_LICENCE_DAYS", "LICENCE_DAYS", "as_local_manifest", "licence_terms"]

DAY = 86_400
#: A demo licence lasts at most this long (a listing may allow longer).
LICENCE_DAYS = 180
#: The demo's exclusive licence of public data (a franchise) runs three years, within the five
#: an exclusive licence may (``onelist.records.EXCLUSIVE_MAX_TERM_DAYS``).
EXCLUSIVE_LICENCE_DAYS = 3 * 365
#: How long the licensee's acceptance stays valid for the exchange to grant it.
ACCEPTANCE_SECONDS = 3600


def as_local_manifest(
    document: Mapping[str, Any], provider: str, home: str, exchanges: Collection[str]
) -> dict[str, Any]:
    """``document`` submitted by ``provider`` at ``home``; a list of granting exchanges keeps
    those of ``exchanges`` (and ``home``), "all" stays "all"."""
    out = dict(document)
    out["provider"] = provider
    out["home_exchange"] = home
    usage = dict(out["usage"])
    granting = usage["granting_exchanges"]
    if granting != "all":
        kept = [code for code in granting if code in exchanges]
        usage["granting_exchanges"] = kept if home in kept else [home, *kept]
    out["usage"] = usage
    return out


def licence_terms(
    manifest: Manifest,
    listing_id: bytes,
    licensee: str,
    granting: str,
    now: int,
    settlement_reference: str,
    days: int = LICENCE_DAYS,
) -> dict[str, Any]:
    """``LicenceAcceptance`` terms the listing's envelope admits: its first purpose and
    delivery mode, mainland only, no onward transfer or training, for the catalogue price (at
    least the floor), from ``now`` for ``days`` (180 unless asked) or the listing's maximum
    term if shorter."""
    usage = manifest.usage
    price = max(manifest.catalogue.price_fen or 0, usage.price_floor_fen)
    return {
        "listingId": listing_id,
        "version": manifest.version,
        "licensee": licensee,
        "grantingExchange": exchange_code(granting),
        "purposes": int(Purpose[usage.purposes[0]]),
        "start": now,
        "end": now + min(usage.max_term_days, days) * DAY,
        "territory": int(Territory.mainland),
        "deliveryMode": int(DeliveryMode[manifest.catalogue.delivery_modes[0]]),
        "onwardTransfer": int(OnwardTransfer.none),
        "modelTraining": False,
        "priceFen": price,
        # Only the settlement's hash goes on chain; the reference stays with the exchange.
        "settlementHash": bytes(keccak(text=settlement_reference)),
        "deadline": now + ACCEPTANCE_SECONDS,
    }
