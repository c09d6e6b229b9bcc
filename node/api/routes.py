"""Every route of the node's API. Each area module exposes ``add_routes(app)``; the OpenAPI
document (``node/api/openapi``) lists the same routes, and a test checks the two agree."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from types import ModuleType

from aiohttp import web

from node.api import health, metrics

#: The API's areas, each a module with ``add_routes(app)``.
AREAS = (
    "node.api.catalogue",  # public: search, listing pages, exchanges, disclosure
    "node.api.submissions",  # participants: signed submissions and licence requests
    "node.api.staff",  # the node's staff: sign-in, review desk, registrations, grants
    "node.api.audit",  # the regulator: audit trail, export, suspensions
)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/health", health.health)
    app.router.add_get("/ready", health.ready)
    app.router.add_get("/status", health.status)
    app.router.add_get("/openapi.json", openapi_document)
    app.router.add_get("/metrics", metrics.metrics)
    for module in import_areas(AREAS):
        module.add_routes(app)


def import_areas(names: Iterable[str]) -> Iterator[ModuleType]:
    """The modules named, in order, each imported; a name whose module is not written yet is
    passed over (a module that fails to import something else still raises)."""
    for name in names:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


async def openapi_document(request: web.Request) -> web.Response:
    from node.api.openapi import document

    return web.json_response(document())
