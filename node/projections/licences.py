"""Licences and what they add to their listing (the LicenceRegistry).

Each licence event carries the listing's next sequence number, so each also moves the
listing's ``seq``; a grant adds one licence and its price to the listing's totals. An exclusive
grant (``ExclusiveLicenceGranted``: every field of ``LicenceGranted``, then the approval and
auction references) is the same licence row with ``exclusive`` and the two references, and names
itself the listing's ``exclusive_licence_id``. Revocation and termination only change the licence
row: whether the listing is still under its exclusive licence is read from that row's status and
end (the contract lets no other exclusive licence be granted before either ends it).
"""

from __future__ import annotations

from typing import Any

from node.events import DecodedEvent, Increment, Insert, RowChange, Update


def _listing_seq(event: DecodedEvent) -> Update:
    return Update("listings", {"listing_id": event.args["listingId"]}, {"seq": event.args["seq"]})


def _granted(
    event: DecodedEvent, exclusive: bool, approval_ref: str | None, auction_ref: str | None
) -> list[RowChange]:
    a = event.args
    provider_fen, home_fen, granting_fen, consortium_fen = a["shares"]
    listing: dict[str, Any] = {"seq": a["seq"]}
    if exclusive:
        listing["exclusive_licence_id"] = a["licenceId"]
    return [
        Insert(
            "licences",
            {
                "licence_id": a["licenceId"],
                "listing_id": a["listingId"],
                "version": a["version"],
                "licensee": a["licensee"],
                "granting_exchange": a["grantingExchange"],
                "actor": a["actor"],
                "purposes": a["purposes"],
                "start": a["start"],
                "end": a["end"],
                "territory": a["territory"],
                "delivery_mode": a["deliveryMode"],
                "onward_transfer": a["onwardTransfer"],
                "model_training": a["modelTraining"],
                "price_fen": a["priceFen"],
                "settlement_hash": a["settlementHash"],
                "deadline": a["deadline"],
                "provider_fen": provider_fen,
                "home_fen": home_fen,
                "granting_fen": granting_fen,
                "consortium_fen": consortium_fen,
                "exclusive": exclusive,
                "approval_ref": approval_ref,
                "auction_ref": auction_ref,
                "status": "active",
                "granted_block": event.block_number,
                "granted_at": event.block_time,
            },
        ),
        Update("listings", {"listing_id": a["listingId"]}, listing),
        Increment(
            "listings",
            {"listing_id": a["listingId"]},
            {"licence_count": 1, "revenue_fen": a["priceFen"]},
        ),
    ]


def on_LicenceGranted(event: DecodedEvent) -> list[RowChange]:
    return _granted(event, False, None, None)


def on_ExclusiveLicenceGranted(event: DecodedEvent) -> list[RowChange]:
    """An exclusive licence of public data: a licence row with its references, and the
    listing's ``exclusive_licence_id``."""
    a = event.args
    return _granted(event, True, a["approvalRef"], a["auctionRef"])


def on_LicenceRevoked(event: DecodedEvent) -> list[RowChange]:
    """Revoked for cause by the provider, or by a regulator (``byRegulator``)."""
    a = event.args
    return [
        Update(
            "licences",
            {"licence_id": a["licenceId"]},
            {
                "status": "revoked",
                "ended_reason": a["reasonCode"],
                "ended_evidence": a["evidenceHash"],
                "ended_by": a["actor"],
                "ended_block": event.block_number,
            },
        ),
        _listing_seq(event),
    ]


def on_LicenceTerminated(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Update(
            "licences",
            {"licence_id": a["licenceId"]},
            {"status": "terminated", "ended_by": a["actor"], "ended_block": event.block_number},
        ),
        _listing_seq(event),
    ]
