"""Licence requests on the review desk (an exchange's node, role reviewer): the licensees'
signed requests, the grant once the settlement is received off chain, and the rejection of a
request (form → confirmation → outcome).

The queue is :func:`node.api.staff.read_licence_requests` and a grant is
:func:`node.api.staff.grant` with ``{licence_request_id}``: the same checks (the terms against
the listing's current record), the same ``grant:<licence id>`` idempotency key (granting twice
sends once) and the same refusals (the contract's error with 409 or 422). A rejection is
:func:`node.api.staff.reject_licence`, its reason checked by
:func:`node.api.staff.parse_reason` at the confirmation and again when recorded; it is recorded
once however often the confirmation is sent (``once``), and the licensee's own view of the
request (``GET /licence-requests/{id}``) then shows it rejected with the reason.

On a public-data listing (an open class) the grant form also offers an exclusive licence
(the outcome of an open auction): its ticked box and the two reference hashes go to the same
``grant`` as ``{exclusive, approval_ref, auction_ref}``, which checks them
(:func:`node.api.staff.parse_exclusivity`, :func:`node.api.staff.check_exclusive_grant`). Its
422 naming one of those fields (or ``terms.end``) shows the form again, the entered values
kept and the field's error beside it in the page's language, told by the refusal's code
(:data:`node.api.staff.EXCLUSIVE_REFUSALS`), never by its wording; nothing is sent.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from node.api.errors import ApiError, Conflict, NotFound
from node.api.keys import STORE
from node.api.staff import (
    EXCLUSIVE_FLAG,
    EXCLUSIVE_NOT_PUBLIC_DATA,
    EXCLUSIVE_REF_FORMAT,
    EXCLUSIVE_REF_MISSING,
    EXCLUSIVE_REF_UNEXPECTED,
    EXCLUSIVE_REF_ZERO,
    EXCLUSIVE_TERM_TOO_LONG,
    MAX_REASON,
    find_licence_request,
    grant,
    parse_reason,
    read_licence_requests,
    reject_licence,
)
from node.api.staff_auth import StaffUser
from node.store import queries_catalogue
from node.store.schema_submissions import LICENCE_REQUEST_STATUSES
from node.store.submissions import LicenceRequest
from node.web import i18n, staff_forms, views
from node.web.render import PREFIX, language, render
from node.web.staff.access import LICENCE_REQUESTS, may_review
from node.web.staff.outcome import mined_tx_href, outcome_page, send
from node.web.staff.session import checked_form, page_user, staff_page, token_for
from onelist.records import EXCLUSIVE_MAX_TERM_DAYS

__all__ = ["add_routes"]

_ID = re.compile(r"[0-9]{1,18}")
#: The fields of an exclusive grant a 422 may name, each shown on the grant form (``exclusive``
#: and ``terms.end`` beside the exclusive option, the references beside their inputs).
_FORM_FIELDS = frozenset({staff_forms.EXCLUSIVE, "terms.end", *staff_forms.EXCLUSIVE_FIELDS})
#: The code of each refusal of those fields (:func:`node.api.staff.parse_exclusivity`,
#: :func:`node.api.staff.check_exclusive_grant`), and the message saying it on the page.
_REFUSALS = {
    EXCLUSIVE_REF_MISSING: "staff.exclusive.error.missing",
    EXCLUSIVE_REF_FORMAT: "staff.exclusive.error.format",
    EXCLUSIVE_REF_ZERO: "staff.exclusive.error.zero",
    EXCLUSIVE_REF_UNEXPECTED: "staff.exclusive.error.not_exclusive",
    EXCLUSIVE_NOT_PUBLIC_DATA: "staff.exclusive.error.not_public",
    EXCLUSIVE_TERM_TOO_LONG: "staff.exclusive.error.term",
    EXCLUSIVE_FLAG: "staff.exclusive.error.flag",
}


async def _reviewer(request: web.Request) -> StaffUser:
    return await page_user(request, may_review, "staff.refused.desk")


@staff_page
async def queue(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/licence-requests[?status=&before=]``: newest first (default pending)."""
    user = await _reviewer(request)
    rows, next_before = await read_licence_requests(request, request.query)
    status = request.query.get("status", "pending")
    public = await _public_data(
        request, [row.listing_id for row in rows if row.status == "pending"]
    )
    return await render(
        request,
        "staff/licence_requests.html",
        {
            "requests": [
                _shown(request, row, public_data=row.listing_id.lower() in public) for row in rows
            ],
            "days": EXCLUSIVE_MAX_TERM_DAYS,
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


def _request_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not _ID.fullmatch(text):
        raise NotFound(f"no licence request {text!r}")
    return int(text)


def _shown(
    request: web.Request, row: LicenceRequest, *, public_data: bool = False
) -> dict[str, Any]:
    """A request as the pages show it: the row, its terms in the timeline's words, its
    listing's page, and whether that listing is public data (its grant form then offers an
    exclusive licence)."""
    return {
        "req": row,
        "details": views.licence_terms(row.terms, language(request)),
        "listing_href": f"{PREFIX}/listings/{row.listing_id.lower()}",
        "public_data": public_data,
    }


async def _public_data(request: web.Request, listing_ids: Sequence[str]) -> set[str]:
    """Which of ``listing_ids`` are public data in this node's index (an open class), in lower
    case; a listing not (yet) indexed is not. One statement for them all
    (:func:`node.store.queries_catalogue.public_data`)."""
    wanted = {listing_id.lower() for listing_id in listing_ids}
    if not wanted:
        return set()
    engine = request.app[STORE].engine
    found = await asyncio.to_thread(queries_catalogue.public_data, engine, wanted)
    return {listing_id.lower() for listing_id in found}


def _field_error(lang: str, error: ApiError) -> str:
    """A refused exclusive field's error in ``lang``, told by the refusal's code; the API's own
    words for a refusal of another code."""
    key = _REFUSALS.get(error.code)
    if key is None:
        return error.message
    return i18n.translate(lang, key, days=EXCLUSIVE_MAX_TERM_DAYS)


async def _grant_form(
    request: web.Request,
    user: StaffUser,
    row: LicenceRequest,
    form: Mapping[str, str],
    error: ApiError | None,
) -> web.Response:
    """The grant form of ``row`` alone: with ``error`` (a 422 naming one of its fields) the
    entered values kept and the error beside its field, with the refusal's status."""
    errors = {} if error is None else {str(error.field): _field_error(language(request), error)}
    public = bool(await _public_data(request, [row.listing_id])) or bool(errors)
    return await render(
        request,
        "staff/licence_grant_form.html",
        {
            **_shown(request, row, public_data=public),
            "form": form,
            "errors": errors,
            "days": EXCLUSIVE_MAX_TERM_DAYS,
            "token": token_for(request, user),
        },
        status=200 if error is None else error.status,
    )


@staff_page
async def grant_form(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/licence-requests/{id}/grant``: one pending request's grant form (the
    queue shows the same form in each pending row)."""
    user = await _reviewer(request)
    row = await find_licence_request(request, _request_id(request))
    _pending(request, row)
    return await _grant_form(request, user, row, {}, None)


@staff_page
async def grant_page(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/licence-requests/{id}/grant`` {settled=yes, and for an exclusive
    licence exclusive=yes, approval_ref, auction_ref}: grant it on chain with the operator key
    and show the licence, or the contract's refusal with the API's status; a refused exclusive
    field shows the form again (:func:`_grant_form`)."""
    user = await _reviewer(request)
    request_id = _request_id(request)
    form = await checked_form(request, user)
    staff_forms.settled(form)
    exclusive = staff_forms.exclusive_body(form)
    outcome, error = await send(
        grant(request, user, {"licence_request_id": request_id, **exclusive}),
        passed_on=(400, 404),
    )
    if error is not None and exclusive and error.status == 422 and error.field in _FORM_FIELDS:
        row = await find_licence_request(request, request_id)
        return await _grant_form(request, user, row, form, error)
    # A refusal because the request was rejected is said in the page's words, with the reason.
    rejected = None
    exclusive_until = None
    if error is not None:
        row = await find_licence_request(request, request_id)
        rejected = row if row.status == "rejected" else None
    elif outcome is not None and outcome["exclusive"]:
        # The licensee's signed terms the request holds: the grant sent exactly these.
        exclusive_until = (await find_licence_request(request, request_id)).terms["end"]
    return await outcome_page(
        request,
        "staff/licence_outcome.html",
        {
            "request_id": request_id,
            "rejected": rejected,
            "outcome": outcome,
            "exclusive_until": exclusive_until,
            "tx_href": mined_tx_href(user, outcome),
            "listing_href": None
            if outcome is None
            else f"{PREFIX}/listings/{outcome['listing_id'].lower()}",
        },
        error,
    )


def _pending(request: web.Request, row: LicenceRequest) -> None:
    """409 page unless ``row`` still waits for a decision: only a pending request is
    rejected (a granted one is on chain; a rejected one stays as it was recorded)."""
    if row.status != "pending":
        status = i18n.translate(language(request), "staff.licence_request." + row.status)
        raise Conflict(
            i18n.translate(
                language(request), "staff.licences.not_pending", id=row.id, status=status
            )
        )


@staff_page
async def reject_form(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/licence-requests/{id}/reject``: the request and the form."""
    user = await _reviewer(request)
    row = await find_licence_request(request, _request_id(request))
    _pending(request, row)
    return await render(
        request,
        "staff/licence_reject_form.html",
        {
            **_shown(request, row),
            "max_reason": MAX_REASON,
            "token": token_for(request, user),
        },
    )


@staff_page
async def reject_confirm(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/licence-requests/{id}/reject/confirm`` {reason}: exactly what will be
    recorded, as the API checked it, for a second look."""
    user = await _reviewer(request)
    request_id = _request_id(request)
    form = await checked_form(request, user)
    reason = parse_reason(staff_forms.reason_body(form))  # a 400 page naming ``reason``
    row = await find_licence_request(request, request_id)
    _pending(request, row)
    return await render(
        request,
        "staff/licence_reject_confirm.html",
        {
            **_shown(request, row),
            "reason": reason,
            # Not the reason in the link: up to 1000 characters of Chinese would not fit a URL.
            "edit_href": f"{LICENCE_REQUESTS}/{row.id}/reject",
            "token": token_for(request, user),
        },
    )


@staff_page
async def reject_send(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/licence-requests/{id}/reject`` {reason}: record the rejection and show
    it; a second confirmation records nothing and shows the first."""
    user = await _reviewer(request)
    request_id = _request_id(request)
    form = await checked_form(request, user)
    body = staff_forms.reason_body(form)
    parse_reason(body)  # a 400 page naming ``reason``, before anything is read
    done, error = await send(
        reject_licence(request, user, request_id, body, once=True), passed_on=(400, 404)
    )
    row, recorded = (
        (await find_licence_request(request, request_id), False) if done is None else done
    )
    return await outcome_page(
        request,
        "staff/licence_reject_outcome.html",
        {
            **_shown(request, row),
            "recorded": recorded,
            "queue_href": f"{LICENCE_REQUESTS}?{urlencode({'status': row.status})}",
        },
        error,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(LICENCE_REQUESTS, queue)
    app.router.add_get(LICENCE_REQUESTS + "/{id}/grant", grant_form)
    app.router.add_post(LICENCE_REQUESTS + "/{id}/grant", grant_page)
    app.router.add_get(LICENCE_REQUESTS + "/{id}/reject", reject_form)
    app.router.add_post(LICENCE_REQUESTS + "/{id}/reject/confirm", reject_confirm)
    app.router.add_post(LICENCE_REQUESTS + "/{id}/reject", reject_send)
