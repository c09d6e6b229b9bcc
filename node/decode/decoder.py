"""One raw log → one decoded consortium event: pure, and fast enough for a backfill.

``decode_log`` finds the event by (address, topic0) in the precomputed :class:`EventCatalog`,
decodes the topics and the data with the event's compiled decoder and value converters,
derives the audit fields (:mod:`node.decode.audit`) and adds what some events need to be read:
the public catalogue of a listing (decoded from its on-chain bytes) and a licence's revenue
shares (unpacked from ``split``, exclusive licences too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_abi.exceptions import DecodingError

from node.decode.audit import audit_fields
from node.decode.catalog import EventCatalog, EventSpec
from node.decode.errors import DecodeError
from node.events import DecodedEvent, RawLog
from onelist.catalogue import CatalogueError, decode_catalogue

_UINT64 = (1 << 64) - 1
_CATALOGUE_EVENTS = frozenset({"Listed", "VersionPublished"})


def unpack_shares(split: int) -> list[int]:
    """[provider, home, granting, consortium] in fen: four uint64 from the low bits of ``split``."""
    return [(split >> shift) & _UINT64 for shift in (0, 64, 128, 192)]


def _with_shares(args: dict[str, Any]) -> None:
    args["shares"] = unpack_shares(args["split"])


#: Arguments derived from others, per event (the originals are kept).
DERIVED_ARGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "LicenceGranted": _with_shares,
    "ExclusiveLicenceGranted": _with_shares,
}


def _where(log: RawLog) -> str:
    return f"block {log.block_number} tx 0x{log.tx_hash.hex()} log {log.log_index}"


def _spec(log: RawLog, catalog: EventCatalog) -> EventSpec:
    if log.removed:
        raise DecodeError("removed", "the log was removed by a reorg", where=_where(log))
    events = catalog.events_of(log.address)
    if events is None:
        raise DecodeError(
            "unknown_address",
            f"{log.address} is not a contract of this deployment",
            where=_where(log),
        )
    if not log.topics:
        raise DecodeError(
            "unknown_topic", "the log has no topics (an anonymous event)", where=_where(log)
        )
    spec = events.get(log.topics[0])
    if spec is None:
        contract = catalog.contract_at(log.address)
        raise DecodeError(
            "unknown_topic",
            f"topic0 0x{log.topics[0].hex()} is no event of {contract}",
            where=_where(log),
        )
    if len(log.topics) != len(spec.indexed) + 1:
        raise DecodeError(
            "topic_count",
            f"{spec.contract}.{spec.name} has {len(spec.indexed)} indexed arguments, "
            f"the log {len(log.topics) - 1}",
            where=_where(log),
        )
    return spec


def _args(log: RawLog, spec: EventSpec) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The plain args in ABI order, and the data values as the ABI decoder read them."""
    topics = log.topics
    try:
        data = spec.decode_data(log.data)
    except DecodingError as exc:
        raise DecodeError(
            "bad_data",
            f"data of {spec.contract}.{spec.name} does not decode as "
            f"({','.join(spec.data_types)}): {exc}",
            where=_where(log),
        ) from None
    for i, topic in enumerate(topics[1:]):
        if len(topic) != 32:
            raise DecodeError(
                "bad_value",
                f"topic {i + 1} of {spec.contract}.{spec.name} is {len(topic)} bytes, not 32",
                where=_where(log),
            )
    try:
        indexed = [c(t) for c, t in zip(spec.topic_converters, topics[1:], strict=True)]
        plain = [c(v) for c, v in zip(spec.data_converters, data, strict=True)]
    except DecodeError as exc:
        raise DecodeError(exc.reason, f"{spec.name}: {exc.message}", where=_where(log)) from None
    args = {name: indexed[i] if is_indexed else plain[i] for name, is_indexed, i in spec.order}
    return args, data


def decode_log(log: RawLog, catalog: EventCatalog, chain_id: int, block_time: int) -> DecodedEvent:
    """The consortium event in ``log``; raises :class:`DecodeError` saying why when it is none.

    ``block_time`` is the timestamp of the log's block (the chain layer fetches it once per
    block). Listed/VersionPublished also carry their decoded ``catalogue``; catalogue bytes
    that do not decode set ``catalogue_error`` instead of failing, since the listing is on
    chain regardless.
    """
    spec = _spec(log, catalog)
    args, data = _args(log, spec)
    derive = DERIVED_ARGS.get(spec.name)
    if derive is not None:
        derive(args)
    catalogue: dict[str, Any] | None = None
    catalogue_error: str | None = None
    if spec.name in _CATALOGUE_EVENTS:
        try:
            catalogue = decode_catalogue(data[spec.data_names.index("catalogue")])
        except CatalogueError as exc:
            catalogue_error = exc.message
    actor, exchange, regulator, listing_id, seq = audit_fields(spec.name, args)
    return DecodedEvent(
        chain_id=chain_id,
        block_number=log.block_number,
        block_hash="0x" + log.block_hash.hex(),
        block_time=block_time,
        tx_hash="0x" + log.tx_hash.hex(),
        log_index=log.log_index,
        contract=spec.contract,
        name=spec.name,
        args=args,
        actor=actor,
        acting_exchange=exchange,
        acting_regulator=regulator,
        listing_id=listing_id,
        seq=seq,
        catalogue=catalogue,
        catalogue_error=catalogue_error,
    )
