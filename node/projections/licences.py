"""Licences and what they add to their listing (the LicenceRegistry).

Each licence event carries the listing's next sequence number, so each also moves the
listing's ``seq``; a grant adds one licence and its price to the listing's totals.
"""

from __future__ import annotations

from node.events import DecodedEvent, Increment, Insert, RowChange, Update


def _listing_seq(event: DecodedEvent) -> Update:
    return Update("listings", {"listing_id": event.args["listingId"]}, {"seq": event.args["seq"]})


def on_LicenceGranted(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    provider_fen, home_fen, granting_fen, consortium_fen = a["shares"]
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
                "status": "active",
                "granted_block": event.block_number,
                "granted_at": event.block_time,
            },
        ),
        _listing_seq(event),
        Increment(
            "listings",
            {"listing_id": a["listingId"]},
            {"licence_count": 1, "revenue_fen": a["priceFen"]},
        ),
    ]


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
