"""Granted licences as the regulator reads them: the ``licences`` table, filtered, in the order
they were granted, in pages that start where the one before ended (keyset pagination on
(granted block, licence id), which survives a rebuild of the index).

Read-only: the indexer's projections fill the table (:mod:`node.projections.licences`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Engine, and_, select, tuple_

from node.store import schema
from node.store.database import read_connection

__all__ = ["LICENCE_STATES", "LicenceFilter", "LicencePosition", "read_licence", "read_licences"]

_Li = schema.licences

#: The states a licence is shown in: the table's status, except that an active licence under a
#: regulator's suspension that has not yet run out is "suspended".
LICENCE_STATES = ("active", "suspended", "revoked", "terminated")


class LicencePosition(NamedTuple):
    """Where a page ends: the last licence's grant block and id."""

    granted_block: int
    licence_id: str


@dataclass(frozen=True, slots=True)
class LicenceFilter:
    """Which licences to read; every field given must match. Ids are 0x-prefixed lower-case hex,
    the exchange a code ("ZJ"), times unix seconds; ``now`` decides what "suspended" means."""

    now: int
    listing: str | None = None
    exchange: str | None = None
    state: str | None = None
    expiring_before: int | None = None  # the term ends before this time (exclusive)


def _conditions(where: LicenceFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if where.listing is not None:
        out.append(_Li.c.listing_id == where.listing)
    if where.exchange is not None:
        out.append(_Li.c.granting_exchange == where.exchange)
    if where.expiring_before is not None:
        out.append(_Li.c.end < where.expiring_before)
    suspended = _Li.c.suspended_until > where.now
    if where.state == "active":
        out.append(and_(_Li.c.status == "active", ~suspended))
    elif where.state == "suspended":
        out.append(and_(_Li.c.status == "active", suspended))
    elif where.state is not None:
        out.append(_Li.c.status == where.state)
    return out


def read_licences(
    engine: Engine, where: LicenceFilter, *, after: LicencePosition | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` licences matching ``where`` after ``after``, in grant order; each row a
    dict of the table's columns."""
    conditions = _conditions(where)
    if after is not None:
        conditions.append(tuple_(_Li.c.granted_block, _Li.c.licence_id) > tuple(after))
    statement = (
        select(_Li).where(*conditions).order_by(_Li.c.granted_block, _Li.c.licence_id).limit(limit)
    )
    with read_connection(engine) as connection:
        return [dict(row) for row in connection.execute(statement).mappings()]


def read_licence(engine: Engine, licence_id: str) -> dict[str, Any] | None:
    """One licence's row, or None when the index holds no such licence."""
    with read_connection(engine) as connection:
        row = connection.execute(select(_Li).where(_Li.c.licence_id == licence_id)).mappings()
        found = row.first()
        return None if found is None else dict(found)
