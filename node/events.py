"""The values that flow through the node: chain → decode → project → store.

Only ``node/chain`` talks JSON-RPC and only ``node/store`` talks SQL; ``decode`` and
``projections`` are pure functions over these frozen values, so tests call them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RawLog:
    """One log as ``eth_getLogs`` returns it, normalised (bytes, ints, checksum address)."""

    block_number: int
    block_hash: bytes
    tx_hash: bytes
    log_index: int
    address: str
    topics: tuple[bytes, ...]
    data: bytes
    removed: bool = False

    def __reduce__(self) -> tuple[type[RawLog], tuple[Any, ...]]:
        # A range's logs cross to the range process by pickle; a slotted dataclass's default
        # (its state as a dict of slots, set back one by one) costs ~6 µs a log, this ~2.
        return (
            RawLog,
            (
                self.block_number,
                self.block_hash,
                self.tx_hash,
                self.log_index,
                self.address,
                self.topics,
                self.data,
                self.removed,
            ),
        )


@dataclass(frozen=True, slots=True)
class BlockHeader:
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """A consortium event with its arguments decoded and its audit fields derived.

    ``args`` holds plain values: ints, bools, str (checksum addresses, exchange codes as text,
    hashes as 0x-hex), lists and dicts of those (a ListingRecord as a dict), so it serialises to
    JSON as it is. ``catalogue`` is the decoded public catalogue of Listed/VersionPublished (None
    elsewhere, or when it could not be decoded: then ``catalogue_error`` says why).
    """

    chain_id: int
    block_number: int
    block_hash: str
    block_time: int
    tx_hash: str
    log_index: int
    contract: str  # "Consortium" | "ListingRegistry" | "LicenceRegistry"
    name: str  # the Solidity event name
    args: Mapping[str, Any]
    actor: str | None = None  # the account that acted
    acting_exchange: str | None = None  # the exchange code it acted for
    acting_regulator: str | None = None  # the regulator's address, when a regulator acted
    listing_id: str | None = None  # the listing the event concerns, if any
    seq: int | None = None  # the event's sequence number in its stream
    catalogue: Mapping[str, Any] | None = None
    catalogue_error: str | None = None


@dataclass(frozen=True, slots=True)
class Upsert:
    """Insert the row, or update ``values`` of the row with ``key``."""

    table: str
    key: Mapping[str, Any]
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Update:
    """Update ``values`` of the existing row with ``key`` (a missing row is an error)."""

    table: str
    key: Mapping[str, Any]
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Increment:
    """Add ``amounts`` to columns of the existing row with ``key``."""

    table: str
    key: Mapping[str, Any]
    amounts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Insert:
    """Append a row (history tables)."""

    table: str
    values: Mapping[str, Any]


RowChange = Upsert | Update | Increment | Insert
