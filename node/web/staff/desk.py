"""The review desk's pages (an exchange's node, role reviewer): the queue with the rules'
findings, a submission's manifest beside the previous version's, approve and reject.

Every action is the API's own function (:func:`node.api.staff.approve`,
:func:`node.api.staff.reject`): the same locks, the same idempotent transaction, the same
refusals; the pages only read forms and show outcomes.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlencode

from aiohttp import web

from node.api.errors import ApiError, NotFound
from node.api.keys import STORE
from node.api.staff import approve, read_queue, read_submission, reject
from node.api.staff_auth import StaffUser
from node.store.schema_submissions import SUBMISSION_STATUSES
from node.store.submissions import previous_version
from node.web import staff_forms
from node.web.manifest_diff import changed_rows, diff_manifests
from node.web.render import PREFIX, render
from node.web.staff.access import DESK, may_review
from node.web.staff.session import checked_form, page_user, staff_page, token_for

__all__ = ["add_routes"]

_ID = re.compile(r"[0-9]{1,18}")
#: Statuses a submission may still be approved or rejected in.
_OPEN = frozenset({"pending_review", "approved"})


async def _reviewer(request: web.Request) -> StaffUser:
    return await page_user(
        request,
        may_review,
        "staff.refused.desk",
    )


def _submission_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not _ID.fullmatch(text):
        raise NotFound(f"no submission {text!r}")
    return int(text)


@staff_page
async def queue(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk[?status=&before=]``: the queue, newest first (default: pending review)."""
    user = await _reviewer(request)
    rows, next_before = await read_queue(request, request.query)
    status = request.query.get("status", "pending_review")
    following = None
    if next_before is not None:
        following = f"{DESK}?{urlencode({'status': status, 'before': next_before})}"
    return await render(
        request,
        "staff/desk.html",
        {
            "submissions": rows,
            "status": status,
            "statuses": (*SUBMISSION_STATUSES, "all"),
            "next_page": following,
            "first_page": f"{DESK}?{urlencode({'status': status})}"
            if "before" in request.query
            else None,
            "token": token_for(request, user),
        },
    )


async def _detail(
    request: web.Request,
    user: StaffUser,
    submission_id: int,
    *,
    error: ApiError | None = None,
) -> web.Response:
    sub, sent = await read_submission(request, submission_id)
    previous = await asyncio.to_thread(previous_version, request.app[STORE].engine, sub)
    rows = diff_manifests(None if previous is None else previous.manifest, sub.manifest)
    return await render(
        request,
        "staff/submission.html",
        {
            "sub": sub,
            "sent": sent,
            "previous": previous,
            "rows": rows,
            "changes": changed_rows(rows) if previous is not None else [],
            "open": sub.status in _OPEN,
            "error": error,
            "done": request.query.get("done"),
            "listing_href": f"{PREFIX}/listings/{sub.listing_id.lower()}",
            "token": token_for(request, user),
        },
        status=200 if error is None else error.status,
    )


@staff_page
async def detail(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/submissions/{id}``: findings, the manifest beside the previous
    version's, the forms, and the listing transaction's outcome."""
    user = await _reviewer(request)
    return await _detail(request, user, _submission_id(request))


def _done(submission_id: int, what: str) -> web.Response:
    # Post/redirect/get: a reload shows the outcome instead of posting again.
    location = f"{DESK}/submissions/{submission_id}?{urlencode({'done': what})}"
    return web.Response(status=303, headers={"Location": location})


@staff_page
async def approve_page(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/submissions/{id}/approve``: list it on chain and wait for the receipt;
    a refusal of the chain is shown on the submission's page with the contract's error."""
    user = await _reviewer(request)
    submission_id = _submission_id(request)
    await checked_form(request, user)
    try:
        await approve(request, user, submission_id)
    except ApiError as exc:
        if exc.status in (400, 404):
            raise
        return await _detail(request, user, submission_id, error=exc)
    return _done(submission_id, "approved")


@staff_page
async def reject_page(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/submissions/{id}/reject`` {reason}: final."""
    user = await _reviewer(request)
    submission_id = _submission_id(request)
    form = await checked_form(request, user)
    try:
        await reject(request, user, submission_id, staff_forms.reason_body(form))
    except ApiError as exc:
        if exc.status in (400, 404):
            raise  # a missing reason is a 400 page naming the field
        return await _detail(request, user, submission_id, error=exc)
    return _done(submission_id, "rejected")


def add_routes(app: web.Application) -> None:
    app.router.add_get(DESK, queue)
    app.router.add_get(DESK + "/submissions/{id}", detail)
    app.router.add_post(DESK + "/submissions/{id}/approve", approve_page)
    app.router.add_post(DESK + "/submissions/{id}/reject", reject_page)
