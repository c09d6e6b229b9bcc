"""The pages' I/O layer: the Jinja2 environment, rendering a template into a response in the
visitor's language, error pages, and the static files.

Every page handler is wrapped in :func:`page`, which turns the API's errors into an HTML page
with the same status (a bad parameter is a 400 page naming it, an unknown listing a 404 page,
an unreachable index a 503 page), so a page never answers with the API's JSON nor with a 5xx
for bad input. Other modules add to every page's context with :func:`add_context` (the staff
pages use it to put their links in the header).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from node.api.errors import ApiError
from node.api.keys import CONFIG, STORE
from node.store import queries_catalogue as queries
from node.store.errors import StoreError, StoreUnavailableError
from node.web import formats, i18n
from node.web.params import with_param
from onelist.errors import OnelistError

__all__ = [
    "CONTEXT",
    "PREFIX",
    "STATIC",
    "TEMPLATES",
    "ContextProvider",
    "Handler",
    "add_context",
    "add_static_route",
    "environment",
    "language",
    "page",
    "render",
    "render_error",
]

log = logging.getLogger("onelist.node.web")

#: Every page lives under this prefix: the API owns the bare paths (``/listings`` is JSON).
PREFIX = "/web"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: A versioned asset URL (``?v=<hash>``) never changes content, so it is cached for a year.
_IMMUTABLE = "public, max-age=31536000, immutable"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Adds names to every page's context (e.g. the signed-in staff user's links).
ContextProvider = Callable[[web.Request], Awaitable[Mapping[str, Any]]]

ENVIRONMENT = web.AppKey("web_environment", jinja2.Environment)
CONTEXT = web.AppKey[list[ContextProvider]]("web_context")
_ASSETS = web.AppKey[dict[str, str]]("web_assets")  # file name → content hash
_ORGANISATION = web.AppKey[dict[str, str]]("web_organisation")  # code → name, once known


def environment() -> jinja2.Environment:
    """The pages' Jinja2 environment: HTML autoescaped, and an undefined name is an error
    (caught by the tests) rather than an empty string on the page."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fen"] = formats.fen
    env.filters["yuan"] = formats.yuan
    env.filters["when"] = formats.when
    env.filters["short_hash"] = formats.short_hash
    return env


def install(app: web.Application) -> None:
    """Give ``app`` the environment, the context providers and the static files' hashes."""
    app[ENVIRONMENT] = environment()
    app[CONTEXT] = []
    app[_ASSETS] = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(STATIC.iterdir())
        if path.is_file()
    }
    app[_ORGANISATION] = {}


def add_context(app: web.Application, provider: ContextProvider) -> None:
    """Call ``provider`` for every page and add what it returns to the page's context."""
    app[CONTEXT].append(provider)


def language(request: web.Request) -> str:
    """The language the visitor asked for (``?lang=``), remembered or Chinese."""
    return i18n.choose_language(request.query.get("lang"), request.cookies.get(i18n.COOKIE))


async def _organisation(request: web.Request) -> str:
    """The node's organisation as the header names it: the exchange's name from the index
    (kept once found), its code while the index does not know it yet."""
    app = request.app
    code = app[CONFIG].organisation
    names = app[_ORGANISATION]
    if code in names:
        return names[code]
    if code == "regulator":
        return i18n.translate(language(request), "listing.regulator")
    try:
        rows = await asyncio.to_thread(queries.exchanges, app[STORE].engine)
    except (StoreError, KeyError):  # the index is down or not open: the header still renders
        return code
    for row in rows:
        if row["code"] == code and row["name"]:
            names[code] = str(row["name"])
            return names[code]
    return code


def _asset_url(request: web.Request) -> Callable[[str], str]:
    assets = request.app[_ASSETS]

    def asset(name: str) -> str:
        return f"{PREFIX}/static/{name}?v={assets[name]}"

    return asset


async def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """``template`` rendered in the visitor's language; a ``?lang=`` choice is remembered in
    a cookie, so the visitor's next pages keep it without carrying it in every link."""
    lang = language(request)
    values: dict[str, Any] = {
        "lang": lang,
        "t": i18n.translator(lang),
        "label": lambda group, value: i18n.label(lang, group, value),
        "reason": lambda code: i18n.reason(lang, code),
        "prefix": PREFIX,
        "asset": _asset_url(request),
        "organisation": await _organisation(request),
        "organisation_code": request.app[CONFIG].organisation,
        "lang_url": lambda other: with_param(request.path, request.query, "lang", other),
        "path": request.path,
        "staff_nav": [],
        "staff_user": None,
        "staff_token": None,
    }
    for provider in request.app[CONTEXT]:
        values.update(await provider(request))
    values.update(context or {})
    # Rendered in a worker thread, as the API encodes its JSON: the event loop only sends.
    compiled = request.app[ENVIRONMENT].get_template(template)
    html = await asyncio.to_thread(compiled.render, values)
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["Vary"] = "Cookie"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # No script, style or font from anywhere but the node: the machines are offline anyway,
    # and a page showing on-chain text must not run any of it.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    asked = request.query.get("lang")
    if asked in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, asked, max_age=365 * 86400, path="/", samesite="Lax", httponly=True
        )
    return response


async def render_error(
    request: web.Request,
    status: int,
    message: str | None = None,
    field: str | None = None,
    *,
    headline: str | None = None,
) -> web.Response:
    """The error page: its status, the problem in the visitor's language (``headline``, a
    message key, or the status's own) and, for a bad parameter, the parameter and the API's
    own message (the same words the JSON API answers with)."""
    # Any status with its own headline (the staff pages add 401, 403, 409, 422 and 429).
    known = status if f"error.{status}" in i18n.MESSAGES[i18n.DEFAULT] else 500
    values = {
        "status": status,
        "headline_key": headline or f"error.{known}",
        "message": message,
        "field": field,
    }
    return await render(request, "error.html", values, status=status)


def page(handler: Handler) -> Handler:
    """``handler`` answering its failures as error pages instead of the API's JSON."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return await render_error(request, exc.status, exc.message, exc.field)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return await render_error(request, exc.status)
        except StoreUnavailableError:
            return await render_error(request, 503)
        except StoreError:
            log.exception("index error serving %s %s", request.method, request.path)
            return await render_error(request, 500)
        except OnelistError as exc:
            return await render_error(request, 400, exc.message, exc.where)
        except Exception:
            log.exception("unexpected error serving %s %s", request.method, request.path)
            return await render_error(request, 500)

    return wrapped


async def _static(request: web.Request) -> web.StreamResponse:
    """A file of ``node/web/static``, only one listed at start-up (no path is ever joined)."""
    name = request.match_info["name"]
    digest = request.app[_ASSETS].get(name)
    if digest is None:
        raise web.HTTPNotFound()
    versioned = request.query.get("v") == digest
    return web.FileResponse(
        STATIC / name, headers={"Cache-Control": _IMMUTABLE if versioned else "no-cache"}
    )


def add_static_route(app: web.Application) -> None:
    app.router.add_get(PREFIX + "/static/{name}", page(_static))


def markup(svg: str) -> Markup:
    """Server-drawn SVG (already escaped by :mod:`node.web.charts`) for a template."""
    return Markup(svg)
