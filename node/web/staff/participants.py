"""Participants (an exchange's node, roles admin or reviewer): registration and roles added
later, each as a form, a confirmation of exactly what will be sent, and the outcome.

Registration, after the exchange checked a provider's or licensee's identity (DSL art. 33): the
checks are the API's (:func:`node.api.staff.parse_registration`), at the confirmation and again
when sending; the sending is the API's (:func:`node.api.staff.register`: the
``register:<account>`` idempotency key, so confirming twice registers once).

Another role for a participant this exchange registered (a licensee that will list its own
data, a provider that will license others'): the sending is :func:`node.api.staff.add_roles`,
what ``POST /staff/participants/{account}/roles`` calls, with its ``roles:<account>:<bits>``
key (confirming twice sends once) and its refusals. Its account and roles are checked by
:func:`node.api.staff.parse_role_grant`, the part of a registration's checks they share (no
identity reference is asked: the registration's check stands). A bad field or a participant
this node has not indexed shows the form again, the values kept and the error beside the field;
the contract's refusal shows it again with the refusal in the page's words
(:func:`refusal_text`); nothing is sent then.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from urllib.parse import urlencode

from aiohttp import web

from node.api.errors import ApiError, NotFound
from node.api.keys import STORE
from node.api.staff import (
    add_roles,
    parse_registration,
    parse_role_grant,
    register,
    role_names,
)
from node.api.staff_auth import StaffUser
from node.store.submissions import ParticipantRow, participant
from node.web import i18n, staff_forms
from node.web.render import language, render
from node.web.staff.access import PARTICIPANTS, may_register
from node.web.staff.outcome import mined_tx_href, outcome_page, send
from node.web.staff.session import checked_form, page_user, staff_page, token_for
from onelist.codes import ParticipantRole

__all__ = ["ROLES", "ROLES_PAGE", "add_routes", "refusal_text"]

#: The roles a participant may hold, in the form's order.
ROLES = tuple(str(role.name) for role in ParticipantRole)
#: The add-a-role form; ``/confirm`` its confirmation.
ROLES_PAGE = PARTICIPANTS + "/roles"
#: The contract's refusals of ``grantParticipantRoles`` said in the page's words; any other
#: shows as its error's name.
_REFUSALS = {
    "ConsortiumRolesAlreadyHeld": "staff.roles.refused.already_held",
    "ConsortiumNotRegisteringExchange": "staff.roles.refused.not_registering_exchange",
    "OversightSuspended": "staff.roles.refused.suspended",
}
#: How the API words a contract's refusal (:func:`node.api.sending.refusal_of`).
_REVERTED = re.compile(r"the chain refused it: ([A-Za-z_][A-Za-z0-9_]*)")
#: A refused field in the page's words: an account that is not an address, none ticked.
_FIELD_ERRORS = {"account": "staff.roles.error.account", "roles": "staff.roles.error.roles"}


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


# --------------------------------------------------------------------------- another role


def refusal_text(lang: str, error: ApiError) -> str:
    """A refusal of an added role in ``lang``: the contract's error as a sentence when it has
    one, else its name; a refusal that is not the contract's (the chain unreachable, no
    operator key) in the API's words."""
    reverted = _REVERTED.match(error.message)
    if reverted is None:
        return error.message
    name = reverted.group(1)
    return i18n.translate(lang, _REFUSALS[name]) if name in _REFUSALS else name


async def _indexed(request: web.Request, account: str) -> ParticipantRow:
    """The participant at ``account`` as this node indexed it; a 404 naming ``account``."""
    found = await asyncio.to_thread(participant, request.app[STORE].engine, account)
    if found is None:
        raise NotFound(
            f"no participant {account} is registered (or not yet indexed here)", field="account"
        )
    return found


def _field_error(lang: str, error: ApiError) -> dict[str, str]:
    """``error`` (a 400 or 404 naming a field) beside its field in ``lang``."""
    if error.status == 404:
        return {"account": i18n.translate(lang, "staff.roles.error.not_registered")}
    field = error.field if error.field in _FIELD_ERRORS else "account"
    return {field: i18n.translate(lang, _FIELD_ERRORS[field])}


async def _roles_form(
    request: web.Request,
    user: StaffUser,
    form: Mapping[str, str],
    error: ApiError | None = None,
) -> web.Response:
    """The add-a-role form, the values in ``form`` kept; with ``error`` beside its field (a bad
    field, an unknown participant) or above the form (a refusal), with the error's status."""
    lang = language(request)
    errors: dict[str, str] = {}
    refusal = None
    if error is not None and error.status in (400, 404):
        errors = _field_error(lang, error)
    elif error is not None:
        refusal = {"text": refusal_text(lang, error), "detail": error.message}
    return await render(
        request,
        "staff/participant_roles_form.html",
        {
            "roles": ROLES,
            "form": form,
            "errors": errors,
            "refusal": refusal,
            "token": token_for(request, user),
        },
        status=200 if error is None else error.status,
    )


@staff_page
async def roles_form(request: web.Request) -> web.StreamResponse:
    """``GET /web/desk/participants/roles[?account=&roles=]``: the form (prefilled after
    "edit", or from a registration refused because the account is registered)."""
    user = await _registrar(request)
    return await _roles_form(request, user, request.query)


@staff_page
async def roles_confirm(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/participants/roles/confirm`` {account, roles}: what
    ``Consortium.grantParticipantRoles`` will get, beside the roles the participant holds."""
    user = await _registrar(request)
    form = await checked_form(request, user)
    try:
        checked = parse_role_grant(staff_forms.roles_body(form))
        held = await _indexed(request, checked.account)
    except ApiError as exc:
        if exc.status not in (400, 404):
            raise
        return await _roles_form(request, user, form, exc)
    return await render(
        request,
        "staff/participant_roles_confirm.html",
        {
            "checked": checked,
            "held": role_names(held.roles),
            "registered_by": held.registered_by,
            "edit_href": f"{ROLES_PAGE}?"
            + urlencode([("account", checked.account), *(("roles", r) for r in checked.roles)]),
            "token": token_for(request, user),
        },
    )


@staff_page
async def roles_send(request: web.Request) -> web.StreamResponse:
    """``POST /web/desk/participants/roles`` {account, roles}: :func:`node.api.staff.add_roles`
    with the operator key; the roles added and held after it, with the transaction, or the form
    again with the refusal."""
    user = await _registrar(request)
    form = await checked_form(request, user)
    body = staff_forms.roles_body(form)
    try:
        checked = parse_role_grant(body)  # a bad field, before anything is sent
    except ApiError as exc:
        return await _roles_form(request, user, form, exc)
    outcome, error = await send(
        add_roles(request, user, checked.account, {"roles": body["roles"]}), passed_on=()
    )
    if error is not None:
        return await _roles_form(request, user, form, error)
    return await render(
        request,
        "staff/participant_roles_outcome.html",
        {"outcome": outcome, "tx_href": mined_tx_href(user, outcome)},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(PARTICIPANTS, participant_form)
    app.router.add_post(PARTICIPANTS + "/confirm", participant_confirm)
    app.router.add_post(PARTICIPANTS, participant_send)
    app.router.add_get(ROLES_PAGE, roles_form)
    app.router.add_post(ROLES_PAGE + "/confirm", roles_confirm)
    app.router.add_post(ROLES_PAGE, roles_send)
