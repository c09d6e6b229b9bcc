"""The node's web pages: server-rendered HTML (Jinja2), no front-end build, no CDN.

- :mod:`node.web.render`: the environment, :func:`render`, error pages, static files;
- :mod:`node.web.i18n`: the words in Chinese (default) and English;
- :mod:`node.web.params`, :mod:`node.web.formats`, :mod:`node.web.charts`: pure helpers;
- :mod:`node.web.public`: the catalogue, a listing's page and the disclosure report;
- ``node.web.staff``: the staff pages, when written (any module of :data:`PAGE_AREAS` with
  ``add_routes(app)`` is picked up).

Every page is under :data:`~node.web.render.PREFIX` (``/web``), since the API owns the bare
paths; ``/`` leads to the catalogue.
"""

from __future__ import annotations

from aiohttp import web

from node.api.routes import import_areas
from node.web.render import (
    PREFIX,
    ContextProvider,
    add_context,
    add_static_route,
    install,
    language,
    page,
    render,
    render_error,
)

__all__ = [
    "PAGE_AREAS",
    "PREFIX",
    "ContextProvider",
    "add_context",
    "language",
    "page",
    "register_pages",
    "render",
    "render_error",
]

#: The pages' areas, each a module with ``add_routes(app)``.
PAGE_AREAS = (
    "node.web.public",  # anyone: catalogue, listing pages, disclosure report
    "node.web.staff",  # the node's staff: sign-in, review desk, audit explorer
)


async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(PREFIX + "/")


@page
async def _not_found(request: web.Request) -> web.StreamResponse:
    return await render_error(request, 404)


def register_pages(app: web.Application) -> None:
    """Add the pages, their static files and ``/`` to ``app`` (after the API's routes)."""
    install(app)
    add_static_route(app)
    app.router.add_get("/", _home)
    app.router.add_get(PREFIX, _home)
    for module in import_areas(PAGE_AREAS):
        add_routes = getattr(module, "add_routes", None)
        if add_routes is not None:  # None: a package whose routes are not written yet
            add_routes(app)
    # Last, so that it only catches what no page matched: an HTML 404 under the pages' prefix.
    app.router.add_get(PREFIX + "/{tail:.*}", _not_found)
