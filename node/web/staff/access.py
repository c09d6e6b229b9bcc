"""Who may use which staff page (pure): the API's own role rules, so that a page never shows a
link, a form or a row to someone the API would refuse.

- the review desk and its licence requests: role ``reviewer``, on an exchange's node (a
  regulator's node has none);
- participant registrations: :data:`node.api.staff.REGISTRARS` (admin, reviewer), on an
  exchange's node;
- the audit explorer: the roles that read the trail (:data:`node.api.audit.READERS`);
- suspensions and reinstatements: :data:`node.api.audit.OFFICERS`, on a regulator's node.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.api.audit import OFFICERS, READERS
from node.api.staff import REGISTRARS
from node.web.render import PREFIX

__all__ = [
    "DESK",
    "DESK_ROLES",
    "EXPLORER",
    "LICENCE_REQUESTS",
    "PARTICIPANTS",
    "SIGN_IN",
    "NavLink",
    "home",
    "may_read_audit",
    "may_register",
    "may_review",
    "may_suspend",
    "nav_links",
    "safe_next",
]

#: The review desk's roles (the API's ``require_staff(request, "reviewer")``).
DESK_ROLES = ("reviewer",)
REGULATOR = "regulator"
SIGN_IN = PREFIX + "/staff/sign-in"
DESK = PREFIX + "/desk"
LICENCE_REQUESTS = DESK + "/licence-requests"
PARTICIPANTS = DESK + "/participants"
EXPLORER = PREFIX + "/audit"


@dataclass(frozen=True)
class NavLink:
    href: str
    label_key: str


def _holds(roles: frozenset[str], allowed: tuple[str, ...]) -> bool:
    return bool(roles.intersection(allowed))


def may_review(roles: frozenset[str], organisation: str) -> bool:
    return organisation != REGULATOR and _holds(roles, DESK_ROLES)


def may_register(roles: frozenset[str], organisation: str) -> bool:
    return organisation != REGULATOR and _holds(roles, REGISTRARS)


def may_read_audit(roles: frozenset[str]) -> bool:
    return _holds(roles, READERS)


def may_suspend(roles: frozenset[str], organisation: str) -> bool:
    return organisation == REGULATOR and _holds(roles, OFFICERS)


def nav_links(roles: frozenset[str] | None, organisation: str) -> list[NavLink]:
    """The staff links the header shows: only pages the user may open; for a visitor who is
    not signed in, the sign-in page."""
    if roles is None:
        return [NavLink(SIGN_IN, "staff.nav.sign_in")]
    links = []
    if may_review(roles, organisation):
        links.append(NavLink(DESK, "staff.nav.desk"))
        links.append(NavLink(LICENCE_REQUESTS, "staff.nav.licence_requests"))
    if may_register(roles, organisation):
        links.append(NavLink(PARTICIPANTS, "staff.nav.participants"))
    if may_read_audit(roles):
        links.append(NavLink(EXPLORER, "staff.nav.audit"))
    if may_suspend(roles, organisation):
        links.append(NavLink(EXPLORER + "/suspend", "staff.nav.suspend"))
    return links


def home(roles: frozenset[str], organisation: str) -> str:
    """Where a user lands after signing in: their first page, else the catalogue."""
    links = nav_links(roles, organisation)
    return links[0].href if links else PREFIX + "/"


def safe_next(value: str | None) -> str | None:
    """A ``next`` page to return to after sign-in, only when it is one of this node's pages
    (a path under the pages' prefix): never another site (an open redirect)."""
    if not value or len(value) > 2000:
        return None
    if not value.startswith(PREFIX + "/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(c) < 0x20 for c in value):
        return None
    return value
