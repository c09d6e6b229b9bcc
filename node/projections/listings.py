"""Listings, their versions and refused duplicates (the ListingRegistry)."""

from __future__ import annotations

import json
from typing import Any

from node.events import DecodedEvent, Insert, RowChange, Update, Upsert
from node.projections.columns import catalogue_columns, policy_columns
from node.store.search_terms import weighted_terms


def _version_columns(event: DecodedEvent) -> dict[str, Any]:
    """What a listing's version fixes: record, policy and catalogue."""
    record = event.args["record"]
    return {
        "version": record["version"],
        "manifest_hash": record["manifestHash"],
        "fingerprint": record["fingerprint"],
        **policy_columns(record),
        **catalogue_columns(event),
    }


def _version_row(event: DecodedEvent, version: dict[str, Any]) -> Insert:
    a = event.args
    return Insert(
        "listing_versions",
        {
            "listing_id": a["listingId"],
            "provider": a["record"]["provider"],
            "home_exchange": a["homeExchange"],
            "actor": a["actor"],
            **version,
            "block_number": event.block_number,
            "block_time": event.block_time,
            "tx_hash": event.tx_hash,
        },
    )


def _term_rows(event: DecodedEvent, version: dict[str, Any]) -> list[RowChange]:
    """The version's search terms (``listing_terms``), from its catalogue columns."""
    keywords = json.loads(version["keywords"]) if version["keywords"] is not None else None
    terms = weighted_terms(version["title"], version["description"], keywords, version["category"])
    return [
        Insert(
            "listing_terms",
            {
                "listing_id": event.args["listingId"],
                "version": version["version"],
                "term": t,
                "weight": w,
                "block": event.block_number,
            },
        )
        for t, w in sorted(terms.items())
    ]


def _touched(event: DecodedEvent, **values: Any) -> dict[str, Any]:
    """``values`` plus the listing's last sequence number and update time."""
    return {
        **values,
        "seq": event.args["seq"],
        "updated_block": event.block_number,
        "updated_at": event.block_time,
    }


def on_Listed(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    version = _version_columns(event)
    return [
        Upsert(
            "listings",
            {"listing_id": a["listingId"]},
            _touched(
                event,
                provider=a["record"]["provider"],
                home_exchange=a["homeExchange"],
                status="listed",
                **version,
                listed_block=event.block_number,
                listed_at=event.block_time,
            ),
        ),
        _version_row(event, version),
        *_term_rows(event, version),
    ]


def on_VersionPublished(event: DecodedEvent) -> list[RowChange]:
    """A new version replaces the current one (and ends a consent withdrawal)."""
    version = _version_columns(event)
    return [
        Update(
            "listings",
            {"listing_id": event.args["listingId"]},
            _touched(event, status="listed", **version),
        ),
        _version_row(event, version),
        *_term_rows(event, version),
    ]


def on_Delisted(event: DecodedEvent) -> list[RowChange]:
    return [
        Update(
            "listings", {"listing_id": event.args["listingId"]}, _touched(event, status="delisted")
        )
    ]


def on_ConsentWithdrawn(event: DecodedEvent) -> list[RowChange]:
    return [
        Update(
            "listings",
            {"listing_id": event.args["listingId"]},
            _touched(event, status="consent_withdrawn"),
        )
    ]


def on_DuplicateFingerprintRefused(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Insert(
            "duplicate_attempts",
            {
                "block_number": event.block_number,
                "log_index": event.log_index,
                "fingerprint": a["fingerprint"],
                "provider": a["provider"],
                "actor": a["actor"],
                "listing_id": a["listingId"],
                "home_exchange": a["homeExchange"],
                "block_time": event.block_time,
            },
        )
    ]


def on_EIP712DomainChanged(event: DecodedEvent) -> list[RowChange]:
    """OpenZeppelin's EIP-5267 event: no state of ours changes (it stays in the audit trail)."""
    return []
