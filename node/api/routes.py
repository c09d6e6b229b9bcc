"""Every route of the node's API, declared in one place (the OpenAPI document lists the same)."""

from __future__ import annotations

from aiohttp import web

from node.api import health


def add_routes(app: web.Application) -> None:
    app.router.add_get("/health", health.health)
    app.router.add_get("/ready", health.ready)
    app.router.add_get("/status", health.status)
