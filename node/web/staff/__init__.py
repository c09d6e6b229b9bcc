"""The node's staff pages: sign-in and sign-out; on an exchange's node the review desk, its
licence requests and participant registrations; the audit explorer, its licences and, on a
regulator's node, suspensions and revocations.

- :mod:`node.web.staff.messages`: their words, added to the catalogue on import;
- :mod:`node.web.staff.access`: which role may open which page (pure, the API's rules);
- :mod:`node.web.staff.session`: the signed-in user, role checks and the forms' CSRF tokens;
- :mod:`node.web.staff.sign_in`, :mod:`node.web.staff.desk`,
  :mod:`node.web.staff.licence_requests`, :mod:`node.web.staff.participants`,
  :mod:`node.web.staff.audit_explorer`, :mod:`node.web.staff.licences`: the pages.

Every state-changing form carries a CSRF token (:mod:`node.web.csrf`); every action calls the
API's own function, so a page and the JSON API never disagree.
"""

from __future__ import annotations

from aiohttp import web

from node.web.render import add_context
from node.web.staff import (
    audit_explorer,
    desk,
    licence_requests,
    licences,
    messages,
    participants,
    sign_in,
)
from node.web.staff.session import nav_context

__all__ = ["add_routes", "messages"]


def add_routes(app: web.Application) -> None:
    """The staff pages and their header links (called by :func:`node.web.register_pages`)."""
    add_context(app, nav_context)
    sign_in.add_routes(app)
    desk.add_routes(app)
    licence_requests.add_routes(app)
    participants.add_routes(app)
    audit_explorer.add_routes(app)
    licences.add_routes(app)
