"""Signing in and out on the pages: a form over the API's own sign-in (same password check,
same lock-out, same session cookie)."""

from __future__ import annotations

from aiohttp import web

from node.api.errors import Forbidden, Unauthorized
from node.api.keys import CONFIG
from node.api.staff_auth import (
    TooManyRequests,
    close_session,
    credentials,
    open_session,
    set_session_cookie,
    signed_in,
)
from node.web import csrf, i18n, staff_forms
from node.web.render import language, render
from node.web.staff.access import SIGN_IN, home, safe_next
from node.web.staff.session import checked_form, form_fields, page_user, staff_page

__all__ = ["add_routes"]

#: The pre-session cookie lives as long as a sign-in form may sit open.
_PRE_SESSION_SECONDS = 3600


def _pre_session(request: web.Request) -> tuple[str, bool]:
    """The sign-in form's pre-session value, and whether it is new (to be set as a cookie)."""
    kept = request.cookies.get(csrf.SIGN_IN_COOKIE)
    if kept and 20 <= len(kept) <= 64:  # keep it, so two open sign-in tabs both work
        return kept, False
    return csrf.new_pre_session(), True


async def _form(
    request: web.Request, *, status: int = 200, error: str | None = None, username: str = ""
) -> web.Response:
    value, fresh = _pre_session(request)
    next_page = safe_next(request.query.get("next"))
    if request.method == "POST":
        next_page = safe_next((await form_fields(request)).get("next"))
    response = await render(
        request,
        "staff/sign_in.html",
        {
            "form_token": csrf.form_token(value, csrf.SIGN_IN_PURPOSE),
            "next_page": next_page or "",
            "error": error,
            "username": username,
            "signed_out": request.query.get("signed_out") == "1",
            "current": await signed_in(request),
        },
        status=status,
    )
    if fresh:
        response.set_cookie(
            csrf.SIGN_IN_COOKIE,
            value,
            max_age=_PRE_SESSION_SECONDS,
            httponly=True,
            samesite="Strict",
            secure=request.secure,
            path=SIGN_IN,
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@staff_page
async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """``GET /web/staff/sign-in``: the form."""
    return await _form(request)


@staff_page
async def sign_in(request: web.Request) -> web.StreamResponse:
    """``POST /web/staff/sign-in``: check the form's token (bound to the pre-session cookie,
    which a cross-site form never carries), then the password, then open the session."""
    form = await form_fields(request)
    pre = request.cookies.get(csrf.SIGN_IN_COOKIE, "")
    if not csrf.check_form_token(pre, csrf.SIGN_IN_PURPOSE, form.get(csrf.FIELD)):
        raise Forbidden(
            i18n.translate(language(request), "staff.csrf"), field=csrf.FIELD, code="csrf"
        )
    username, password = credentials(staff_forms.credentials(form))
    try:
        user, token = await open_session(request, username, password)
    except (Unauthorized, TooManyRequests) as exc:
        t = i18n.translator(language(request))
        error = (
            t("staff.sign_in.wrong") if exc.status == 401 else f"{t('error.429')}: {exc.message}"
        )
        return await _form(request, status=exc.status, error=error, username=username)
    target = safe_next(form.get("next")) or home(user.roles, request.app[CONFIG].organisation)
    response = web.Response(status=303, headers={"Location": target})
    set_session_cookie(request, response, token)
    response.del_cookie(csrf.SIGN_IN_COOKIE, path=SIGN_IN)
    return response


@staff_page
async def sign_out(request: web.Request) -> web.StreamResponse:
    """``POST /web/staff/sign-out`` (CSRF-checked): end the session, back to the sign-in page."""
    user = await page_user(request, lambda roles, organisation: True, "error.403")
    await checked_form(request, user)
    response = web.Response(status=303, headers={"Location": f"{SIGN_IN}?signed_out=1"})
    await close_session(request, response)
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(SIGN_IN, sign_in_page)
    app.router.add_post(SIGN_IN, sign_in)
    app.router.add_post(SIGN_IN.replace("sign-in", "sign-out"), sign_out)
