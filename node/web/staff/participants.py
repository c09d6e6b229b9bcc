"""Participant registration (an exchange's node, roles admin or reviewer): after the exchange
checked a provider's or licensee's identity (DSL art. 33), the form, a confirmation of exactly
what :func:`node.api.staff.register` will send, and the outcome.

The checks are the API's (:func:`node.api.staff.parse_registration`), at the confirmation and
again when sending; the sending is the API's (:func:`node.api.staff.register`: the
``register:<account>`` idempotency key, so confirming twice registers once).
"""

from __future__ import annotations

from aiohttp import web

from node.api.staff import parse_registration, register
from node.api.staff_auth import StaffUser
from node.web import staff_forms
from node.web.render import render
from node.web.staff.access import PARTICIPANTS, may_register
from node.web.staff.outcome import mined_tx_href, outcome_page, send
from node.web.staff.session import checked_form, page_user, staff_page, token_for
from onelist.codes import ParticipantRole

__all__ = ["add_routes"]

#: The roles a participant may hold, in the form's order.
ROLES = tuple(str(role.name) for role in ParticipantRole)


async def _registrar(request: web.Request) -> StaffUser:
    return await page_user(request, may_register, "staff.refused.participants")


@staff_page
async def participant_form(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/participants[?account=]``: the form (prefilled after "edit")."""
    user = await _registrar(request)
    return await render(
        request,
        "staff/participant_form.html",
        {"roles": ROLES, "form": request.query, "token": token_for(request, user)},
    )


@staff_page
async def participant_confirm(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/participants/confirm``: the registration as the API checked it, for a
    second look before it is sent."""
    user = await _registrar(request)
    form = await checked_form(request, user)
    registration = parse_registration(staff_forms.registration_body(form))
    return await render(
        request,
        "staff/participant_confirm.html",
        {"registration": registration, "token": token_for(request, user)},
    )


@staff_page
async def participant_send(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/participants``: register on chain with the operator key; the outcome
    (transaction and block) or the contract's refusal with the API's status."""
    user = await _registrar(request)
    form = await checked_form(request, user)
    body = staff_forms.registration_body(form)
    registration = parse_registration(body)  # a 400 page naming the field, before sending
    outcome, error = await send(register(request, user, body))
    return await outcome_page(
        request,
        "staff/participant_outcome.html",
        {
            "registration": registration,
            "outcome": outcome,
            "tx_href": mined_tx_href(user, outcome),
        },
        error,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(PARTICIPANTS, participant_form)
    app.router.add_post(PARTICIPANTS + "/confirm", participant_confirm)
    app.router.add_post(PARTICIPANTS, participant_send)
