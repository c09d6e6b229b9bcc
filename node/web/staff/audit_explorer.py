"""The audit explorer (roles auditor, regulator_officer): the trail with filters, a block's and
a transaction's events, the exports; and on a regulator's node (role regulator_officer) the
suspension and reinstatement forms, each with a confirmation step.

The trail is read with :func:`node.api.audit.read_events` and checked by its parsers; the
exports are the API's own streamed routes (the session cookie goes with a plain link); a
suspension is :func:`node.api.audit.send_oversight`. The pages add forms and links only.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web
from multidict import MultiDict

from node.api.audit import (
    EVENT_NAMES,
    MAX_LIMIT,
    SCOPES,
    OversightRequest,
    parse_oversight,
    read_events,
    send_oversight,
)
from node.api.errors import BadRequest, NotFound
from node.api.keys import CONFIG
from node.api.staff_auth import StaffUser
from node.store.queries_audit import AuditRow
from node.web import staff_forms, views
from node.web.params import pagination
from node.web.render import PREFIX, language, render
from node.web.staff.access import EXPLORER, may_read_audit, may_suspend
from node.web.staff.outcome import outcome_page, send, tx_href
from node.web.staff.session import checked_form, page_user, staff_page, token_for
from onelist.codes import ReasonCode

__all__ = ["add_routes"]

_TX = re.compile(r"0x[0-9a-fA-F]{64}")
_BLOCK = re.compile(r"[0-9]{1,18}")
#: Pages of a block read to find one transaction's events (a block holds far fewer).
_TX_PAGES = 20
ACTIONS = ("suspend", "reinstate")
#: Characters of an event's arguments a row shows before "more" (a listing's catalogue alone
#: is kilobytes of hex).
_ARGS_SHOWN = 160


async def _reader(request: web.Request) -> StaffUser:
    return await page_user(
        request,
        lambda roles, organisation: may_read_audit(roles),
        "staff.refused.audit",
    )


async def _officer(request: web.Request) -> StaffUser:
    return await page_user(
        request,
        may_suspend,
        "staff.refused.suspend",
    )


def _rows(rows: list[AuditRow], lang: str) -> list[dict[str, Any]]:
    """The events as the table shows them: the decoded arguments as readable JSON, a reason
    code also as its label."""
    shown = []
    for row in rows:
        args = orjson.loads(row.args)
        text = orjson.dumps(args, option=orjson.OPT_SORT_KEYS).decode()
        shown.append(
            {
                "row": row,
                "reason": views.args_reason(args, lang),
                "args": text,
                "args_short": text if len(text) <= _ARGS_SHOWN else text[:_ARGS_SHOWN] + "…",
                "tx_href": f"{EXPLORER}/tx/{row.tx_hash}?{urlencode({'block': row.block_number})}",
                "block_href": f"{EXPLORER}/block/{row.block_number}",
                "listing_href": None
                if row.listing_id is None
                else f"{PREFIX}/listings/{row.listing_id}",
            }
        )
    return shown


async def _events_page(
    request: web.Request,
    user: StaffUser,
    rows: list[AuditRow],
    *,
    next_cursor: str | None = None,
    export: MultiDict[str] | None = None,
    heading: tuple[str, str] | None = None,
    block: str | None = None,
) -> web.Response:
    """The trail's page (with the filter form), a block's or a transaction's (``heading``)."""
    exported = None if export is None else urlencode(list(export.items()))
    return await render(
        request,
        "staff/audit.html",
        {
            "events": _rows(rows, language(request)),
            "pages": None
            if export is None
            else pagination(request.path, request.query, next_cursor),
            "export_csv": None if exported is None else f"/audit/export.csv?{exported}",
            "export_jsonl": None if exported is None else f"/audit/export.jsonl?{exported}",
            "event_names": sorted(EVENT_NAMES),
            "form": request.query,
            "may_suspend": may_suspend(user.roles, request.app[CONFIG].organisation),
            "token": token_for(request, user),
            "heading": heading,
            "block": block,
            "filters": heading is None,
        },
    )


async def _paged(
    request: web.Request, user: StaffUser, query: MultiDict[str], **context: Any
) -> web.Response:
    """A page of the events ``query`` filters, at the request's cursor, with export links for
    the same filters."""
    page_query: MultiDict[str] = MultiDict(query)
    for name in ("cursor", "limit"):
        value = request.query.get(name)
        if value:
            page_query[name] = value
    rows, next_cursor = await read_events(request, page_query)
    return await _events_page(request, user, rows, next_cursor=next_cursor, export=query, **context)


@staff_page
async def trail(request: web.Request) -> web.StreamResponse:
    """``GET /web/audit?actor=&exchange=&listing=&event=&time_from=&time_to=&cursor=``."""
    user = await _reader(request)
    return await _paged(request, user, staff_forms.filter_query(request.query))


@staff_page
async def block_events(request: web.Request) -> web.StreamResponse:
    """``GET /web/audit/block/{n}``: every event of one block."""
    user = await _reader(request)
    text = request.match_info["n"]
    if not _BLOCK.fullmatch(text):
        raise NotFound(f"no block {text!r}")
    query = MultiDict({"block_from": text, "block_to": text})
    return await _paged(request, user, query, heading=("block", text))


@staff_page
async def tx_events(request: web.Request) -> web.StreamResponse:
    """``GET /web/audit/tx/{hash}?block=n``: the events of one transaction (its block, which
    every link here carries, bounds the search: the trail is not indexed by transaction)."""
    user = await _reader(request)
    tx_hash = request.match_info["hash"]
    if not _TX.fullmatch(tx_hash):
        raise NotFound(f"no transaction {tx_hash!r}")
    block = staff_forms.single(request.query, "block")
    assert block is not None
    if not _BLOCK.fullmatch(block):
        raise BadRequest("block is the transaction's block number", field="block")
    query: MultiDict[str] = MultiDict(
        {"block_from": block, "block_to": block, "limit": str(MAX_LIMIT)}
    )
    found: list[AuditRow] = []
    for _ in range(_TX_PAGES):
        rows, cursor = await read_events(request, query)
        found += [row for row in rows if row.tx_hash.lower() == tx_hash.lower()]
        if cursor is None:
            break
        query["cursor"] = cursor
    return await _events_page(request, user, found, heading=("tx", tx_hash), block=block)


# ----------------------------------------------------------------------------- oversight


def _action(request: web.Request) -> str:
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise NotFound(f"no such page {action!r}")
    return action


def _order(action: str, form: MultiDict[str]) -> OversightRequest:
    return parse_oversight(action, staff_forms.oversight_body(action, form))


@staff_page
async def oversight_form(request: web.Request) -> web.StreamResponse:
    """``GET /web/audit/{suspend|reinstate}[?scope=&subject=]``: the form (prefilled from a
    link)."""
    user = await _officer(request)
    action = _action(request)
    return await render(
        request,
        "staff/oversight_form.html",
        {
            "action": action,
            "scopes": list(SCOPES),
            "reason_codes": [int(code) for code in ReasonCode],
            "form": request.query,
            "token": token_for(request, user),
        },
    )


@staff_page
async def oversight_confirm(request: web.Request) -> web.StreamResponse:
    """``POST /web/audit/{action}/confirm``: exactly what will be sent, for a second look. The
    request id is made here, so confirming twice sends once."""
    user = await _officer(request)
    action = _action(request)
    form = await checked_form(request, user)
    if not form.get("request_id"):
        form["request_id"] = f"web-{secrets.token_hex(12)}"
    order = _order(action, form)
    return await render(
        request,
        "staff/oversight_confirm.html",
        {
            "action": action,
            "order": order,
            "legal_basis": staff_forms.single(form, "legal_basis"),
            "token": token_for(request, user),
            "hidden": {
                "scope": order.scope.name,
                "subject": order.subject,
                "reason_code": str(order.reason_code),
                "legal_basis": staff_forms.single(form, "legal_basis"),
                "request_id": order.request_id,
                **({"until": str(order.until)} if order.until else {}),
            },
            "edit_href": f"{EXPLORER}/{action}?"
            + urlencode({"scope": order.scope.name, "subject": order.subject}),
        },
    )


@staff_page
async def oversight_send(request: web.Request) -> web.StreamResponse:
    """``POST /web/audit/{action}``: send it with the regulator's key and show the outcome
    (the transaction and its block, or the contract's refusal)."""
    user = await _officer(request)
    action = _action(request)
    form = await checked_form(request, user)
    order = _order(action, form)
    outcome, error = await send(send_oversight(request, user, order))
    subject_href = f"{PREFIX}/listings/{order.subject}" if order.scope.name == "listing" else None
    return await outcome_page(
        request,
        "staff/oversight_outcome.html",
        {
            "action": action,
            "order": order,
            "outcome": outcome,
            "subject_href": subject_href,
            "tx_href": None
            if outcome is None or outcome["block"] is None
            else tx_href(outcome["tx_hash"], outcome["block"]),
        },
        error,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(EXPLORER, trail)
    app.router.add_get(EXPLORER + "/block/{n}", block_events)
    app.router.add_get(EXPLORER + "/tx/{hash}", tx_events)
    app.router.add_get(EXPLORER + "/{action:suspend|reinstate}", oversight_form)
    app.router.add_post(EXPLORER + "/{action:suspend|reinstate}/confirm", oversight_confirm)
    app.router.add_post(EXPLORER + "/{action:suspend|reinstate}", oversight_send)
