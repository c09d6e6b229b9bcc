"""Regulators' suspensions and reinstatements: a history row each, and the subject's
``suspended_until`` on the table of the suspension's scope."""

from __future__ import annotations

from typing import Any

from node.events import DecodedEvent, Insert, RowChange, Update
from node.projections.columns import until_value
from node.projections.errors import ProjectionError
from onelist.addresses import checksum
from onelist.codes import SuspensionScope, exchange_code_text


def _provider(subject: str) -> dict[str, Any]:
    """A provider's address, right-aligned in the bytes32 subject."""
    if subject[2:26] != "0" * 24:
        raise ProjectionError(f"{subject} is not an address", where="subject")
    return {"address": checksum("0x" + subject[26:])}


def _exchange(subject: str) -> dict[str, Any]:
    """An exchange's code, left-aligned in the bytes32 subject."""
    raw = bytes.fromhex(subject[2:])
    code = raw[:8].rstrip(b"\0")
    if any(raw[len(code) :]) or not code or not code.isascii():
        raise ProjectionError(f"{subject} is not an exchange code", where="subject")
    return {"code": exchange_code_text(raw[:8])}


def _scope_row(scope: int, subject: str) -> tuple[str, dict[str, Any], str]:
    """(table, key, column) holding the end of the suspension of ``subject`` in ``scope``."""
    if scope == SuspensionScope.listing:
        return "listings", {"listing_id": subject}, "suspended_until"
    if scope == SuspensionScope.provider:
        return "participants", _provider(subject), "suspended_until"
    if scope == SuspensionScope.licence:
        return "licences", {"licence_id": subject}, "suspended_until"
    if scope == SuspensionScope.exchange_granting:
        return "exchanges", _exchange(subject), "granting_suspended_until"
    raise ProjectionError(f"unknown suspension scope {scope}", where="scope")


def _suspension(event: DecodedEvent, action: str, until: int | None) -> list[RowChange]:
    a = event.args
    table, key, column = _scope_row(a["scope"], a["subject"])
    return [
        Insert(
            "suspensions",
            {
                "block_number": event.block_number,
                "log_index": event.log_index,
                "action": action,
                "scope": a["scope"],
                "subject": a["subject"],
                "regulator": a["regulator"],
                "regulator_province": a.get("regulatorProvince"),  # Suspended only
                "reason_code": a["reasonCode"],
                "legal_basis": a["legalBasis"],
                "until": until,
                "block_time": event.block_time,
            },
        ),
        Update(table, key, {column: 0 if until is None else until}),
    ]


def on_Suspended(event: DecodedEvent) -> list[RowChange]:
    return _suspension(event, "suspend", until_value(event.args["until"]))


def on_Reinstated(event: DecodedEvent) -> list[RowChange]:
    return _suspension(event, "reinstate", None)
