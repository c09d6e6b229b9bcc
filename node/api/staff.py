"""The node's staff area: sign-in (:mod:`node.api.staff_auth`) and, on an exchange's node, the
review desk, participant registrations and licence grants."""

from __future__ import annotations

from aiohttp import web

from node.api import staff_auth


def add_routes(app: web.Application) -> None:
    staff_auth.add_routes(app)
