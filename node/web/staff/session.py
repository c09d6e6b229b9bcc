"""The staff pages' session plumbing: who is signed in, what they may open, and the forms'
CSRF tokens. The session itself is the API's (:mod:`node.api.staff_auth`): the same cookie,
the same table, the same expiry, so a sign-in on a page signs in the API too and vice versa."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict

from node.api.errors import Forbidden
from node.api.keys import CONFIG
from node.api.staff_auth import StaffUser, session_id, signed_in
from node.store.errors import StoreError
from node.web import csrf, i18n
from node.web.render import Handler, language, page
from node.web.staff.access import SIGN_IN, nav_links

__all__ = [
    "checked_form",
    "form_fields",
    "nav_context",
    "page_user",
    "staff_page",
    "token_for",
]


def staff_page(handler: Handler) -> Handler:
    """``handler`` as a page (:func:`node.web.render.page`: errors become pages) whose answer
    no cache keeps: a staff page shows what only its user may see, and after signing out the
    back button must not bring it back."""
    shown = page(handler)

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        response = await shown(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


async def page_user(
    request: web.Request, allowed: Callable[[frozenset[str], str], bool], refusal_key: str
) -> StaffUser:
    """The signed-in user, when ``allowed(roles, organisation)``; a visitor who is not signed
    in is sent to the sign-in page (and back here afterwards), anyone else gets a 403 page
    saying the message ``refusal_key`` in the page's language."""
    user = await signed_in(request)
    if user is None:
        # Back to the page after signing in; not to a form's target, which only takes a POST.
        if request.method == "GET":
            raise web.HTTPSeeOther(f"{SIGN_IN}?{urlencode({'next': request.path_qs})}")
        raise web.HTTPSeeOther(SIGN_IN)
    if not allowed(user.roles, request.app[CONFIG].organisation):
        raise Forbidden(_t(request, refusal_key))
    return user


def _t(request: web.Request, key: str) -> str:
    return i18n.translate(language(request), key)


def token_for(request: web.Request, user: StaffUser) -> str:
    """The CSRF token this session's forms carry."""
    sid = session_id(request)
    assert sid is not None  # signed_in found a session, so there is a cookie
    return csrf.form_token(user.csrf_token, sid)


async def form_fields(request: web.Request) -> MultiDict[str]:
    """The posted form's text fields (a file field is dropped: no form here has one)."""
    posted = await request.post()
    return MultiDict((name, value) for name, value in posted.items() if isinstance(value, str))


async def checked_form(request: web.Request, user: StaffUser) -> MultiDict[str]:
    """The posted form, after its CSRF token was checked against the session: 403 otherwise."""
    form = await form_fields(request)
    if not csrf.check_form_token(user.csrf_token, session_id(request) or "", form.get(csrf.FIELD)):
        raise Forbidden(_t(request, "staff.csrf"), field=csrf.FIELD, code="csrf")
    return form


async def nav_context(request: web.Request) -> Mapping[str, Any]:
    """Every page's staff links: only the pages the signed-in user may open (the sign-in page
    for a visitor), the user, and a sign-out token."""
    try:
        user = await signed_in(request)
    except StoreError:  # the index cannot be read: the page still renders, without the links
        user = None
    t = i18n.translator(language(request))
    organisation = request.app[CONFIG].organisation
    links = nav_links(None if user is None else user.roles, organisation)
    return {
        "staff_nav": [{"href": link.href, "label": t(link.label_key)} for link in links],
        "staff_user": user,
        "staff_token": None if user is None else token_for(request, user),
    }
