"""Licence requests on the review desk (an exchange's node, role reviewer): the licensees'
signed requests, and the grant once the settlement is received off chain.

The queue is :func:`node.api.staff.read_licence_requests` and a grant is
:func:`node.api.staff.grant` with ``{licence_request_id}``: the same checks (the terms against
the listing's current record), the same ``grant:<licence id>`` idempotency key (granting twice
sends once) and the same refusals (the contract's error with 409 or 422).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from aiohttp import web

from node.api.errors import NotFound
from node.api.staff import grant, read_licence_requests
from node.api.staff_auth import StaffUser
from node.store.schema_submissions import LICENCE_REQUEST_STATUSES
from node.web import staff_forms, views
from node.web.render import PREFIX, language, render
from node.web.staff.access import LICENCE_REQUESTS, may_review
from node.web.staff.outcome import mined_tx_href, outcome_page, send
from node.web.staff.session import checked_form, page_user, staff_page, token_for

__all__ = ["add_routes"]

_ID = re.compile(r"[0-9]{1,18}")


async def _reviewer(request: web.Request) -> StaffUser:
    return await page_user(request, may_review, "staff.refused.desk")


@staff_page
async def queue(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/licence-requests[?status=&before=]``: newest first (default pending)."""
    user = await _reviewer(request)
    rows, next_before = await read_licence_requests(request, request.query)
    status = request.query.get("status", "pending")
    lang = language(request)
    return await render(
        request,
        "staff/licence_requests.html",
        {
            "requests": [
                {
                    "req": row,
                    "details": views.licence_terms(row.terms, lang),
                    "listing_href": f"{PREFIX}/listings/{row.listing_id.lower()}",
                }
                for row in rows
            ],
            "status": status,
            "statuses": (*LICENCE_REQUEST_STATUSES, "all"),
            "next_page": None
            if next_before is None
            else f"{LICENCE_REQUESTS}?{urlencode({'status': status, 'before': next_before})}",
            "first_page": f"{LICENCE_REQUESTS}?{urlencode({'status': status})}"
            if "before" in request.query
            else None,
            "token": token_for(request, user),
        },
    )


@staff_page
async def grant_page(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/licence-requests/{id}/grant`` {settled=yes}: grant it on chain with
    the operator key and show the licence, or the contract's refusal with the API's status."""
    user = await _reviewer(request)
    text = request.match_info["id"]
    if not _ID.fullmatch(text):
        raise NotFound(f"no licence request {text!r}")
    form = await checked_form(request, user)
    staff_forms.settled(form)
    outcome, error = await send(
        grant(request, user, {"licence_request_id": int(text)}), passed_on=(400, 404)
    )
    return await outcome_page(
        request,
        "staff/licence_outcome.html",
        {
            "request_id": int(text),
            "outcome": outcome,
            "tx_href": mined_tx_href(user, outcome),
            "listing_href": None
            if outcome is None
            else f"{PREFIX}/listings/{outcome['listing_id'].lower()}",
        },
        error,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(LICENCE_REQUESTS, queue)
    app.router.add_post(LICENCE_REQUESTS + "/{id}/grant", grant_page)
