"""Granted licences for the regulator, and their revocation by a regulator.

- ``GET /audit/licences``: the licences this node indexed, with their counterparties (licensee,
  granting exchange: staff and regulators may see them, the public pages never do), filtered
  by listing, granting exchange, state and end of term, in grant order, ``limit`` a page and a
  cursor to the next page (roles auditor or regulator_officer, on any node).
- ``POST /audit/licences/{licence_id}/revoke`` (role regulator_officer, CSRF-checked, on a
  regulator's node): ``LicenceRegistry.revokeByRegulator`` sent with the regulator's key through
  the same sender as suspensions, once per request id. The contract takes the licence's full
  terms (it keeps only their hash), so they are rebuilt from the indexed grant.

Parsing, the rows' JSON and the terms are pure; the handlers only read and send.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from node.api.audit import (
    IDEMPOTENCY_HEADER,
    OFFICERS,
    OVERSIGHT,
    READERS,
    check_names,
    json_response,
    parse_exchange,
    parse_hex32,
    parse_legal_basis,
    parse_limit,
    parse_reason_code,
    parse_request_id,
    parse_time,
    query_value,
    read_index,
    regulator_node,
)
from node.api.errors import ApiError, BadRequest, NotFound, Unavailable
from node.api.keys import STORE
from node.api.sending import refusal_of, send_with
from node.api.staff_auth import StaffUser, json_body, require_staff
from node.store import queries_licences
from node.store.queries_licences import LICENCE_STATES, LicenceFilter, LicencePosition
from onelist.chain.client import ConsortiumClient
from onelist.chain.revert import TransactionReverted
from onelist.codes import exchange_code
from onelist.records import terms_tuple

__all__ = [
    "LICENCE_FILTERS",
    "Revocation",
    "add_routes",
    "decode_licence_cursor",
    "encode_licence_cursor",
    "licence_json",
    "licence_state",
    "licence_terms",
    "parse_licence_filter",
    "parse_licence_page",
    "parse_revocation",
    "read_licence_page",
    "send_revocation",
]

log = logging.getLogger("onelist.node.api.licences")

#: Query parameters the licence list reads (none repeats).
LICENCE_FILTERS = ("listing", "exchange", "state", "expiring_before")
_PAGE = ("cursor", "limit")
_CURSOR = re.compile(r"(\d{1,19})\.(0x[0-9a-f]{64})")


# ----------------------------------------------------------------------------- reading


def encode_licence_cursor(position: LicencePosition) -> str:
    """An opaque cursor for the page after ``position``."""
    raw = f"{position.granted_block}.{position.licence_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_licence_cursor(text: str) -> LicencePosition:
    """The position a cursor of :func:`encode_licence_cursor` names; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raw = ""
    match = _CURSOR.fullmatch(raw)
    if match is None or len(text) > 128 or int(match[1]) > 2**63 - 1:
        raise BadRequest("not a cursor this API gave out", field="cursor")
    return LicencePosition(int(match[1]), match[2])


def parse_licence_filter(query: MultiMapping[str], now: int) -> LicenceFilter:
    """The licence list's filters; 400 naming the parameter that is wrong."""
    listing = query_value(query, "listing")
    exchange = query_value(query, "exchange")
    state = query_value(query, "state")
    if state is not None and state not in LICENCE_STATES:
        raise BadRequest(f"state is one of {', '.join(LICENCE_STATES)}", field="state")
    before = query_value(query, "expiring_before")
    return LicenceFilter(
        now=now,
        listing=None if listing is None else parse_hex32(listing, "listing"),
        exchange=None if exchange is None else parse_exchange(exchange, "exchange"),
        state=state,
        expiring_before=(
            None if before is None else parse_time(before, "expiring_before", upper=False)
        ),
    )


def parse_licence_page(query: MultiMapping[str]) -> tuple[LicencePosition | None, int]:
    """The cursor and the page size (the trail's :func:`~node.api.audit.parse_limit`)."""
    cursor = query_value(query, "cursor")
    return (None if cursor is None else decode_licence_cursor(cursor)), parse_limit(query)


def licence_state(row: Mapping[str, Any], now: int) -> str:
    """The state shown: the row's status, or "suspended" for an active licence a regulator has
    suspended until after ``now`` (the same rule as :class:`LicenceFilter`)."""
    if row["status"] == "active" and row["suspended_until"] > now:
        return "suspended"
    return str(row["status"])


def licence_json(row: Mapping[str, Any], now: int) -> dict[str, Any]:
    """A licence as the API (and the audit explorer) shows it."""
    return {
        "licence_id": row["licence_id"],
        "listing": row["listing_id"],
        "version": row["version"],
        "licensee": row["licensee"],
        "granting_exchange": row["granting_exchange"],
        "granted_by": row["actor"],
        "purposes": row["purposes"],
        "start": row["start"],
        "end": row["end"],
        "territory": row["territory"],
        "delivery_mode": row["delivery_mode"],
        "onward_transfer": row["onward_transfer"],
        "model_training": bool(row["model_training"]),
        "price_fen": row["price_fen"],
        "exclusive": bool(row["exclusive"]),
        "approval_ref": row["approval_ref"],
        "auction_ref": row["auction_ref"],
        "state": licence_state(row, now),
        "suspended_until": row["suspended_until"] or None,
        "granted_block": row["granted_block"],
        "granted_at": row["granted_at"],
        "ended_block": row["ended_block"],
        "ended_by": row["ended_by"],
        "ended_reason": row["ended_reason"],
        "ended_evidence": row["ended_evidence"],
    }


async def read_licence_page(
    request: web.Request, query: MultiMapping[str]
) -> tuple[list[dict[str, Any]], str | None, int]:
    """The page of licences ``query`` asks for (400 naming a bad parameter), the next page's
    cursor (None on the last) and the time "suspended" was judged at. The explorer reads it
    too."""
    now = int(time.time())
    where = parse_licence_filter(query, now)
    after, limit = parse_licence_page(query)
    engine = request.app[STORE].engine
    rows = await read_index(
        queries_licences.read_licences, engine, where, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    cursor = (
        encode_licence_cursor(LicencePosition(last["granted_block"], last["licence_id"]))
        if more and last is not None
        else None
    )
    return rows, cursor, now


async def list_licences(request: web.Request) -> web.Response:
    """``GET /audit/licences``: one page of licences in grant order and the next page's
    cursor (null on the last page)."""
    await require_staff(request, *READERS)
    check_names(request.query, dict.fromkeys((*LICENCE_FILTERS, *_PAGE), False))
    rows, cursor, now = await read_licence_page(request, request.query)
    return json_response(
        {"licences": [licence_json(row, now) for row in rows], "next_cursor": cursor}
    )


# ----------------------------------------------------------------------------- revoking

_REVOCATION_FIELDS = ("reason_code", "legal_basis", "legal_basis_hash", "request_id")


@dataclass(frozen=True, slots=True)
class Revocation:
    """A regulator's revocation of one licence, as the contract takes it."""

    licence_id: str
    reason_code: int
    legal_basis_hash: bytes
    request_id: str

    @property
    def idempotency_key(self) -> str:
        return f"revoke-licence:{self.licence_id}:{self.request_id}"


def parse_revocation(
    licence_id: str, body: Mapping[str, Any], header_request_id: str | None = None
) -> Revocation:
    """A revocation request's body (the same fields and rules as a suspension's, without scope,
    subject and until); 400 naming the field that is wrong, missing or unknown."""
    for name in body:
        if name not in _REVOCATION_FIELDS:
            raise BadRequest(
                f"unknown field (known: {', '.join(_REVOCATION_FIELDS)})",
                field=name,
                code="unknown_field",
            )
    return Revocation(
        licence_id,
        parse_reason_code(body),
        parse_legal_basis(body),
        parse_request_id(body, header_request_id),
    )


def licence_terms(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``LicenceTerms`` the licence was granted on, rebuilt from its indexed grant (the
    LicenceGranted event carries every field): the contract recomputes the licence id from them,
    so a single field out of place answers LicenceRegistryUnknownLicence."""
    return {
        "listingId": bytes.fromhex(row["listing_id"][2:]),
        "version": row["version"],
        "licensee": row["licensee"],
        "grantingExchange": exchange_code(row["granting_exchange"]),
        "purposes": row["purposes"],
        "start": row["start"],
        "end": row["end"],
        "territory": row["territory"],
        "deliveryMode": row["delivery_mode"],
        "onwardTransfer": row["onward_transfer"],
        "modelTraining": bool(row["model_training"]),
        "priceFen": row["price_fen"],
        "settlementHash": bytes.fromhex(row["settlement_hash"][2:]),
        "deadline": row["deadline"],
    }


def _revocation_refusal(exc: TransactionReverted) -> ApiError:
    """Every revert is a 409 naming the contract's error: the request was well formed and the
    terms came from the index, so it is the chain's present state that refuses (the licence is
    no longer active, the grant lies outside the regulator's jurisdiction, …)."""
    return refusal_of(exc, lambda _name: False)


async def find_licence(request: web.Request, licence_id: str) -> dict[str, Any]:
    """The indexed licence ``licence_id`` names (400 if it is not an id); 404 if the index holds
    none."""
    shown = parse_hex32(licence_id, "licence_id")
    row = await read_index(queries_licences.read_licence, request.app[STORE].engine, shown)
    if row is None:
        raise NotFound(f"no licence {shown} in this node's index", code="unknown_licence")
    return row


async def send_revocation(
    request: web.Request, user: StaffUser, order: Revocation, row: Mapping[str, Any]
) -> dict[str, Any]:
    """Send ``revokeByRegulator`` for the licence of ``row`` with the regulator's key, once per
    request id, and describe the outcome as ``POST …/revoke`` answers (the explorer's
    confirmation step calls it too)."""
    regulator_node(request)
    oversight = request.app[OVERSIGHT]
    if oversight.sender is None:
        raise Unavailable(oversight.problem, code="no_regulator_key")
    terms = terms_tuple(licence_terms(row))

    def build(client: ConsortiumClient) -> Any:
        return client.licences.functions.revokeByRegulator(
            terms, order.reason_code, order.legal_basis_hash
        )

    outcome = await send_with(
        oversight.sender, order.idempotency_key, build, user.username, _revocation_refusal
    )
    log.info(
        "revoke licence %s by %s (request %s): %s",
        order.licence_id,
        user.username,
        order.request_id,
        outcome.tx_hash,
    )
    return {
        "action": "revoke",
        "licence_id": order.licence_id,
        "listing": row["listing_id"],
        "reason_code": order.reason_code,
        "legal_basis_hash": "0x" + order.legal_basis_hash.hex(),
        "request_id": order.request_id,
        "tx_hash": outcome.tx_hash,
        "block": outcome.block_number,
        "replayed": outcome.replayed,
    }


async def revoke(request: web.Request) -> web.Response:
    """``POST /audit/licences/{licence_id}/revoke``: ``revokeByRegulator`` with the regulator's
    key."""
    user = await require_staff(request, *OFFICERS)
    regulator_node(request)
    body = await json_body(request)
    licence_id = parse_hex32(request.match_info["licence_id"], "licence_id")
    order = parse_revocation(licence_id, body, request.headers.get(IDEMPOTENCY_HEADER))
    row = await find_licence(request, licence_id)
    return json_response(await send_revocation(request, user, order, row))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/audit/licences", list_licences)
    app.router.add_post("/audit/licences/{licence_id}/revoke", revoke)
