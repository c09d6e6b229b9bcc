"""The audit explorer's licences (roles auditor, regulator_officer): every granted licence with
its counterparties, filtered and paged; and on a regulator's node (role regulator_officer) a
licence's revocation, form → confirmation → outcome, as suspensions go.

The list is :func:`node.api.licences.read_licence_page` and the revocation
:func:`node.api.licences.send_revocation`, checked by the API's own parsers: the pages add forms
and links only.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict, MultiMapping

from node.api.keys import CONFIG
from node.api.licences import (
    LICENCE_FILTERS,
    Revocation,
    find_licence,
    licence_json,
    parse_revocation,
    read_licence_page,
    send_revocation,
)
from node.api.staff_auth import StaffUser
from node.store.queries_licences import LICENCE_STATES
from node.web import staff_forms
from node.web.params import pagination
from node.web.render import PREFIX, render
from node.web.staff.access import EXPLORER, may_read_audit, may_suspend
from node.web.staff.outcome import outcome_page, send, tx_href
from node.web.staff.session import checked_form, page_user, staff_page, token_for
from onelist.codes import ReasonCode

__all__ = ["LICENCES", "add_routes", "licence_query", "revocation_body"]

LICENCES = EXPLORER + "/licences"


async def _reader(request: web.Request) -> StaffUser:
    return await page_user(
        request, lambda roles, organisation: may_read_audit(roles), "staff.refused.audit"
    )


async def _officer(request: web.Request) -> StaffUser:
    return await page_user(request, may_suspend, "staff.refused.suspend")


def licence_query(form: MultiMapping[str]) -> MultiDict[str]:
    """The filter form's non-empty fields as :func:`node.api.licences.parse_licence_filter`
    reads them: the end of term in the form's ``datetime-local`` shape is China Standard
    Time."""
    query: MultiDict[str] = MultiDict()
    for name in LICENCE_FILTERS:
        text = staff_forms.single(form, name, required=False)
        if text is None:
            continue
        if name == "expiring_before":
            text = str(staff_forms.local_time(text, name, upper=False))
        query[name] = text
    return query


def revocation_body(form: MultiMapping[str]) -> dict[str, Any]:
    """The revocation form as the JSON body :func:`node.api.licences.parse_revocation` reads:
    the reason code a number, the legal basis as text (the node sends its hash)."""
    return {
        "reason_code": staff_forms.reason_code(form),
        "legal_basis": staff_forms.single(form, "legal_basis"),
        "request_id": staff_forms.single(form, "request_id"),
    }


@staff_page
async def licence_list(request: web.Request) -> web.StreamResponse:
    """``GET /web/audit/licences?listing=&exchange=&state=&expiring_before=&cursor=``."""
    user = await _reader(request)
    query = licence_query(request.query)
    page_query: MultiDict[str] = MultiDict(query)
    for name in ("cursor", "limit"):
        value = request.query.get(name)
        if value:
            page_query[name] = value
    rows, next_cursor, now = await read_licence_page(request, page_query)
    return await render(
        request,
        "staff/licences.html",
        {
            "licences": [licence_json(row, now) for row in rows],
            "pages": pagination(request.path, request.query, next_cursor),
            "states": LICENCE_STATES,
            "form": request.query,
            "may_revoke": may_suspend(user.roles, request.app[CONFIG].organisation),
        },
    )


def _licence_id(request: web.Request) -> str:
    return request.match_info["licence_id"].lower()


@staff_page
async def revoke_form(request: web.Request) -> web.StreamResponse:
    """``GET /web/audit/licences/{id}/revoke``: the licence and the form."""
    user = await _officer(request)
    row = await find_licence(request, _licence_id(request))
    return await render(
        request,
        "staff/licence_revoke_form.html",
        {
            "licence": licence_json(row, 0),
            "reason_codes": [int(code) for code in ReasonCode],
            "form": request.query,
            "token": token_for(request, user),
        },
    )


async def _order(request: web.Request, form: MultiMapping[str]) -> tuple[Revocation, Any]:
    row = await find_licence(request, _licence_id(request))
    return parse_revocation(row["licence_id"], revocation_body(form)), row


@staff_page
async def revoke_confirm(request: web.Request) -> web.StreamResponse:
    """``POST /web/audit/licences/{id}/revoke/confirm``: exactly what will be sent. The request
    id is made here, so confirming twice sends once."""
    user = await _officer(request)
    form = await checked_form(request, user)
    if not form.get("request_id"):
        form["request_id"] = f"web-{secrets.token_hex(12)}"
    order, row = await _order(request, form)
    legal_basis = staff_forms.single(form, "legal_basis")
    return await render(
        request,
        "staff/licence_revoke_confirm.html",
        {
            "order": order,
            "licence": licence_json(row, 0),
            "legal_basis": legal_basis,
            "token": token_for(request, user),
            "hidden": {
                "reason_code": str(order.reason_code),
                "legal_basis": legal_basis,
                "request_id": order.request_id,
            },
            "edit_href": f"{LICENCES}/{order.licence_id}/revoke",
        },
    )


@staff_page
async def revoke_send(request: web.Request) -> web.StreamResponse:
    """``POST /web/audit/licences/{id}/revoke``: send it with the regulator's key and show the
    outcome (the transaction and its block, or the contract's refusal)."""
    user = await _officer(request)
    form = await checked_form(request, user)
    order, row = await _order(request, form)
    outcome, error = await send(send_revocation(request, user, order, row))
    return await outcome_page(
        request,
        "staff/licence_revoke_outcome.html",
        {
            "order": order,
            "outcome": outcome,
            "listing_href": f"{PREFIX}/listings/{row['listing_id']}",
            "list_href": f"{LICENCES}?{urlencode({'listing': row['listing_id']})}",
            "tx_href": None if outcome is None else tx_href(outcome["tx_hash"], outcome["block"]),
        },
        error,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(LICENCES, licence_list)
    app.router.add_get(LICENCES + "/{licence_id}/revoke", revoke_form)
    app.router.add_post(LICENCES + "/{licence_id}/revoke/confirm", revoke_confirm)
    app.router.add_post(LICENCES + "/{licence_id}/revoke", revoke_send)
