"""SQL for the participants' area: submissions, licence requests, request nonces, and the few
reads of the index that checking them needs (participants, exchanges, listings).

Plain functions over an engine, called by the API through ``asyncio.to_thread``. Writes go
through :func:`node.store.database.write_transaction`, which serialises the node's writers, so
an idempotent insert (look, then insert) cannot race with itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Table, and_, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from node.store import schema
from node.store.database import read_connection, write_transaction
from node.store.errors import StoreError
from node.store.schema_submissions import (
    LICENCE_REQUEST_STATUSES,
    SUBMISSION_STATUSES,
    licence_requests,
    request_nonces,
    submissions,
)
from node.store.writer import dumps

__all__ = [
    "ExchangeRow",
    "LicenceRequest",
    "ListingRow",
    "NewLicenceRequest",
    "NewSubmission",
    "ParticipantRow",
    "StatusChangeError",
    "Submission",
    "create_licence_request",
    "create_submission",
    "exchange",
    "exchange_indexes",
    "fingerprint_owners",
    "get_licence_request",
    "get_submission",
    "list_licence_requests",
    "list_submissions",
    "listing",
    "participant",
    "previous_version",
    "set_licence_request_status",
    "set_submission_status",
    "use_nonce",
]

#: The statuses a submission may move to from each status (a status may also be set again,
#: so that a retried step changes nothing); ``rejected`` and ``listed`` are final.
SUBMISSION_MOVES: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"approved", "rejected", "listed"}),
    "approved": frozenset({"listed", "rejected"}),
    "rejected": frozenset(),
    "listed": frozenset(),
}
LICENCE_REQUEST_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"granted", "rejected"}),
    "granted": frozenset(),
    "rejected": frozenset(),
}
assert set(SUBMISSION_MOVES) == set(SUBMISSION_STATUSES)
assert set(LICENCE_REQUEST_MOVES) == set(LICENCE_REQUEST_STATUSES)


class StatusChangeError(StoreError, ValueError):
    """An unknown status, a move the status's life does not allow (from a final status), or a
    final status set again with another reason, listing id or transaction than it holds: what
    a decision recorded never changes. ``status`` and ``reason`` are the row's own (None for
    an unknown status)."""

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        status: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, where=where)
        self.status = status
        self.reason = reason


# ----------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class ParticipantRow:
    address: str
    roles: int  # bit 0 provider, bit 1 licensee (onelist.codes.ParticipantRole)
    registered_by: str
    suspended_until: int  # the provider's suspension; 0 when none


@dataclass(frozen=True)
class ExchangeRow:
    code: str
    idx: int
    status: str  # active | removed
    granting_suspended_until: int


@dataclass(frozen=True)
class ListingRow:
    """What a licence request is checked against: the listing's current version and envelope."""

    listing_id: str
    provider: str
    home_exchange: str
    status: str  # listed | consent_withdrawn | delisted
    version: int
    suspended_until: int
    purposes: int
    max_term_days: int
    territory: int
    onward_transfer: int
    model_training: bool
    delivery_modes: int
    granting_exchanges: int  # bitmask of exchange indexes; 0: every member
    price_floor_fen: int
    open_class: int  # onelist.codes.OpenClass; 0: not public data


@dataclass(frozen=True)
class NewSubmission:
    provider: str
    home_exchange: str
    listing_id: str
    version: int
    product_ref: str
    title: str
    manifest_hash: str
    manifest: Mapping[str, Any]
    signature: Mapping[str, Any]
    fingerprint: Mapping[str, Any] | None
    findings: list[dict[str, str]]


@dataclass(frozen=True)
class Submission:
    id: int
    provider: str
    home_exchange: str
    listing_id: str
    version: int
    product_ref: str
    title: str
    manifest_hash: str
    manifest: dict[str, Any]
    signature: dict[str, Any]
    fingerprint: dict[str, Any] | None
    findings: list[dict[str, str]]
    status: str
    reason: str | None
    tx_hash: str | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class NewLicenceRequest:
    licensee: str
    listing_id: str
    version: int
    granting_exchange: str
    licence_id: str
    terms: Mapping[str, Any]
    acceptance: str


@dataclass(frozen=True)
class LicenceRequest:
    id: int
    licensee: str
    listing_id: str
    version: int
    granting_exchange: str
    licence_id: str
    terms: dict[str, Any]
    acceptance: str
    status: str
    reason: str | None
    tx_hash: str | None
    created_at: int
    updated_at: int


def _submission(row: RowMapping) -> Submission:
    values = dict(row)
    for name in ("manifest", "signature", "findings"):
        values[name] = json.loads(values[name])
    if values["fingerprint"] is not None:
        values["fingerprint"] = json.loads(values["fingerprint"])
    return Submission(**values)


def _licence_request(row: RowMapping) -> LicenceRequest:
    values = dict(row)
    values["terms"] = json.loads(values["terms"])
    return LicenceRequest(**values)


# ----------------------------------------------------------------------------- nonces


def use_nonce(engine: Engine, account: str, nonce: str, *, expires_at: int, now: int) -> bool:
    """Record ``account``'s request nonce; False when it was already used (a replay).

    A nonce is kept until ``expires_at`` (the end of its request's time window); expired ones
    are deleted on the way, so the table holds one window's requests at most.
    """
    table = request_nonces
    with write_transaction(engine) as connection:
        connection.execute(delete(table).where(table.c.expires_at < now))
        seen = connection.execute(
            select(table.c.nonce).where(table.c.account == account, table.c.nonce == nonce)
        ).first()
        if seen is not None:
            return False
        connection.execute(
            insert(table).values(account=account, nonce=nonce, expires_at=expires_at)
        )
        return True


# ----------------------------------------------------------------------------- the index


def participant(engine: Engine, address: str) -> ParticipantRow | None:
    """The registered participant at ``address`` (EIP-55), or None."""
    table = schema.participants
    with read_connection(engine) as connection:
        row = connection.execute(
            select(
                table.c.address, table.c.roles, table.c.registered_by, table.c.suspended_until
            ).where(table.c.address == address)
        ).first()
    if row is None:
        return None
    return ParticipantRow(row.address, row.roles, row.registered_by, row.suspended_until or 0)


def exchange_indexes(engine: Engine) -> dict[str, int]:
    """The active member exchanges' consortium indexes, by code."""
    table = schema.exchanges
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(table.c.code, table.c.idx).where(table.c.status == "active")
        ).all()
    return {row.code: row.idx for row in rows}


def exchange(engine: Engine, code: str) -> ExchangeRow | None:
    table = schema.exchanges
    with read_connection(engine) as connection:
        row = connection.execute(
            select(
                table.c.code, table.c.idx, table.c.status, table.c.granting_suspended_until
            ).where(table.c.code == code)
        ).first()
    if row is None:
        return None
    return ExchangeRow(row.code, row.idx, row.status, row.granting_suspended_until or 0)


def fingerprint_owners(engine: Engine, fingerprint: str) -> dict[str, str]:
    """``{fingerprint: provider}`` when a listed version carries this dataset fingerprint
    (for rule R6); empty when none does."""
    fingerprint = fingerprint.lower()
    owners: dict[str, str] = {}
    with read_connection(engine) as connection:
        for table in (schema.listing_versions, schema.listings):
            row = connection.execute(
                select(table.c.provider).where(table.c.fingerprint == fingerprint).limit(1)
            ).first()
            if row is not None:
                owners[fingerprint] = row.provider
    return owners


def listing(engine: Engine, listing_id: str) -> ListingRow | None:
    """The listing's current version and usage envelope, or None when it is not in the index."""
    t = schema.listings
    with read_connection(engine) as connection:
        row = connection.execute(
            select(
                t.c.listing_id,
                t.c.provider,
                t.c.home_exchange,
                t.c.status,
                t.c.version,
                t.c.suspended_until,
                t.c.purposes,
                t.c.max_term_days,
                t.c.territory,
                t.c.onward_transfer,
                t.c.model_training,
                t.c.delivery_modes,
                t.c.granting_exchanges,
                t.c.price_floor_fen,
                t.c.open_class,
            ).where(t.c.listing_id == listing_id.lower())
        ).first()
    if row is None:
        return None
    values = dict(row._mapping)
    values["granting_exchanges"] = int(values["granting_exchanges"])
    values["model_training"] = bool(values["model_training"])
    values["suspended_until"] = values["suspended_until"] or 0
    return ListingRow(**values)


# ----------------------------------------------------------------------------- submissions


def create_submission(engine: Engine, new: NewSubmission, *, now: int) -> tuple[Submission, bool]:
    """Store a submission as ``pending_review``; ``(submission, True)``.

    Idempotent: when the provider already submitted this manifest hash and version, that
    submission comes back unchanged, as ``(submission, False)``.
    """
    t = submissions
    same = and_(
        t.c.provider == new.provider,
        t.c.manifest_hash == new.manifest_hash,
        t.c.version == new.version,
    )
    values = {
        "provider": new.provider,
        "home_exchange": new.home_exchange,
        "listing_id": new.listing_id,
        "version": new.version,
        "product_ref": new.product_ref,
        "title": new.title,
        "manifest_hash": new.manifest_hash,
        "manifest": dumps(new.manifest),
        "signature": dumps(new.signature),
        "fingerprint": None if new.fingerprint is None else dumps(new.fingerprint),
        "findings": dumps(new.findings),
        "status": "pending_review",
        "created_at": now,
        "updated_at": now,
    }
    return _insert_once(engine, t, same, values, _submission)


def get_submission(engine: Engine, submission_id: int) -> Submission | None:
    return _get(engine, submissions, submission_id, _submission)


def list_submissions(
    engine: Engine,
    *,
    provider: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Submission]:
    """Submissions newest first: a provider's own (or everyone's, for the staff), optionally
    of one status, with ids below ``before`` (the previous page's last id)."""
    t = submissions
    return _list(engine, t, t.c.provider, provider, status, before, limit, _submission)


def previous_version(engine: Engine, submission: Submission) -> Submission | None:
    """The listed submission of the version before ``submission``'s (same provider and listing),
    or None: for a first version, or when the version before was listed through another node.
    The review desk shows the two manifests side by side."""
    if submission.version <= 1:
        return None
    t = submissions
    query = (
        select(t)
        .where(
            t.c.provider == submission.provider,
            func.lower(t.c.listing_id) == submission.listing_id.lower(),
            t.c.version == submission.version - 1,
            t.c.status == "listed",
        )
        .order_by(t.c.id.desc())
        .limit(1)
    )
    with read_connection(engine) as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _submission(row)


def _check_move(moves: Mapping[str, frozenset[str]], current: str, status: str, what: str) -> None:
    if status not in moves:
        raise StatusChangeError(
            f"unknown status {status!r} (known: {', '.join(moves)})", where=what
        )
    if status != current and status not in moves[current]:
        raise StatusChangeError(
            f"a {current} {what} cannot become {status}", where=what, status=current
        )


def set_submission_status(
    engine: Engine,
    id: int,
    status: str,
    reason: str | None,
    listing_id: str | None = None,
    tx: str | None = None,
    *,
    now: int | None = None,
) -> Submission | None:
    """Move a submission on (the staff's review desk): ``approved``, ``rejected`` with a
    reason, ``listed`` with the listing's id and transaction. None when there is no such id;
    :class:`StatusChangeError` for an unknown status or a move from a final one. Setting the
    current status again updates the reason, listing id and transaction given, unless the
    status is final: then the same values change nothing and others are refused
    (:class:`StatusChangeError`), so a second rejection never overwrites the first's reason."""
    values: dict[str, Any] = {"reason": reason, "tx_hash": None if tx is None else tx.lower()}
    values["listing_id"] = None if listing_id is None else listing_id.lower()
    move = (SUBMISSION_MOVES, "submission")
    return _set_status(engine, submissions, move, id, status, values, now, _submission)


# ----------------------------------------------------------------------------- licence requests


def create_licence_request(
    engine: Engine, new: NewLicenceRequest, *, now: int
) -> tuple[LicenceRequest, bool]:
    """Store a licence request as ``pending``; idempotent by licence id (the terms' digest):
    the same signed terms again return the stored request, as ``(request, False)``."""
    t = licence_requests
    values = {
        "licensee": new.licensee,
        "listing_id": new.listing_id,
        "version": new.version,
        "granting_exchange": new.granting_exchange,
        "licence_id": new.licence_id,
        "terms": dumps(new.terms),
        "acceptance": new.acceptance,
        "status": "pending",
        "created_at": now,
        "updated_at": now,
    }
    return _insert_once(engine, t, t.c.licence_id == new.licence_id, values, _licence_request)


def get_licence_request(engine: Engine, request_id: int) -> LicenceRequest | None:
    return _get(engine, licence_requests, request_id, _licence_request)


def list_licence_requests(
    engine: Engine,
    *,
    licensee: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[LicenceRequest]:
    """Licence requests newest first, as :func:`list_submissions`."""
    t = licence_requests
    return _list(engine, t, t.c.licensee, licensee, status, before, limit, _licence_request)


def set_licence_request_status(
    engine: Engine,
    id: int,
    status: str,
    reason: str | None,
    tx: str | None = None,
    *,
    now: int | None = None,
) -> LicenceRequest | None:
    """Move a licence request on: ``granted`` (with the grant's transaction) or ``rejected``
    (with a reason); as :func:`set_submission_status`."""
    values = {"reason": reason, "tx_hash": None if tx is None else tx.lower()}
    move = (LICENCE_REQUEST_MOVES, "licence request")
    return _set_status(engine, licence_requests, move, id, status, values, now, _licence_request)


# ----------------------------------------------------------------------------- shared by both
#
# Submissions and licence requests are both queues of signed requests with an id, an owner, a
# status that moves on, and an idempotent insert: one implementation serves the two tables.

_Row = TypeVar("_Row")


def _insert_once(
    engine: Engine,
    t: Table,
    same: ColumnElement[bool],
    values: Mapping[str, Any],
    convert: Callable[[RowMapping], _Row],
) -> tuple[_Row, bool]:
    """Insert ``values`` unless a row matching ``same`` exists: ``(row, True)`` for the new
    one, ``(row, False)`` for the one already there."""
    with write_transaction(engine) as connection:
        existing = connection.execute(select(t).where(same)).mappings().first()
        if existing is not None:
            return convert(existing), False
        result = connection.execute(insert(t).values(**values))
        (new_id,) = result.inserted_primary_key or (None,)
        row = connection.execute(select(t).where(t.c.id == new_id)).mappings().one()
        return convert(row), True


def _get(engine: Engine, t: Table, id: int, convert: Callable[[RowMapping], _Row]) -> _Row | None:
    with read_connection(engine) as connection:
        row = connection.execute(select(t).where(t.c.id == id)).mappings().first()
    return None if row is None else convert(row)


def _list(
    engine: Engine,
    t: Table,
    owner_column: ColumnElement[str],
    owner: str | None,
    status: str | None,
    before: int | None,
    limit: int,
    convert: Callable[[RowMapping], _Row],
) -> list[_Row]:
    """Rows newest first, optionally of one owner and one status, with ids below ``before``."""
    query = select(t).order_by(t.c.id.desc()).limit(limit)
    if owner is not None:
        query = query.where(owner_column == owner)
    if status is not None:
        query = query.where(t.c.status == status)
    if before is not None:
        query = query.where(t.c.id < before)
    with read_connection(engine) as connection:
        rows = connection.execute(query).mappings().all()
    return [convert(row) for row in rows]


def _set_status(
    engine: Engine,
    t: Table,
    move: tuple[Mapping[str, frozenset[str]], str],
    id: int,
    status: str,
    values: Mapping[str, Any],
    now: int | None,
    convert: Callable[[RowMapping], _Row],
) -> _Row | None:
    """Move row ``id`` to ``status`` if ``move`` (the moves, what the row is called) allows
    it, also setting the ``values`` given (None: left as it is). A final status set again
    keeps what it holds: the same values return the row unchanged, others are refused."""
    moves, what = move
    stamp = int(time.time()) if now is None else now
    with write_transaction(engine) as connection:
        row = connection.execute(select(t).where(t.c.id == id)).mappings().first()
        if row is None:
            return None
        current = row["status"]
        _check_move(moves, current, status, what)
        changes = {name: value for name, value in values.items() if value is not None}
        if status == current and not moves[current]:
            differ = sorted(name for name, value in changes.items() if row[name] != value)
            if differ:
                held = f" (reason: {row['reason']})" if row["reason"] is not None else ""
                raise StatusChangeError(
                    f"the {what} is already {current}{held}; its {', '.join(differ)} stays",
                    where=what,
                    status=current,
                    reason=row["reason"],
                )
            return convert(row)
        changes.update(status=status, updated_at=stamp)
        connection.execute(update(t).where(t.c.id == id).values(**changes))
        row = connection.execute(select(t).where(t.c.id == id)).mappings().one()
        return convert(row)
