"""The store's functions for the node's own tables (:mod:`node.store.schema_staff`): staff
accounts and sessions, the transactions the node sends, identity checks; and the two reads of
the index the review desk needs to rebuild what the chain holds.

Synchronous, each in one transaction; the API calls them through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, exc, func, insert, select, update
from sqlalchemy.engine import RowMapping

from node.store import schema
from node.store.database import read_connection, write_transaction
from node.store.errors import StoreError
from node.store.schema_staff import (
    participant_identities,
    sent_transactions,
    staff_sessions,
    staff_users,
)

__all__ = [
    "SentTransaction",
    "StaffAccount",
    "StaffSession",
    "StaffUserExists",
    "add_user",
    "create_session",
    "delete_session",
    "exchange_indexes",
    "get_user",
    "last_nonce",
    "list_users",
    "listing_row",
    "record_identity",
    "record_sent",
    "record_signin_failure",
    "sent_transaction",
    "session",
    "slide_session",
    "unmined",
    "update_sent",
]


class StaffUserExists(StoreError, ValueError):
    """``onelist node user add`` for a name that is taken."""


@dataclass(frozen=True)
class StaffAccount:
    username: str
    password_hash: str
    roles: frozenset[str]
    created_at: int
    failed_signins: int
    locked_until: int


@dataclass(frozen=True)
class StaffSession:
    token_hash: str
    username: str
    roles: frozenset[str]
    csrf_token: str
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class SentTransaction:
    idempotency_key: str
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: str
    action: str
    status: str  # sent | mined | reverted | dropped
    attempts: int
    requested_by: str | None
    block_number: int | None


def _roles(text: str) -> frozenset[str]:
    return frozenset(r for r in text.split(",") if r)


def _account(row: RowMapping) -> StaffAccount:
    return StaffAccount(
        username=row["username"],
        password_hash=row["password_hash"],
        roles=_roles(row["roles"]),
        created_at=int(row["created_at"]),
        failed_signins=int(row["failed_signins"]),
        locked_until=int(row["locked_until"]),
    )


# --------------------------------------------------------------------------- accounts


def add_user(
    engine: Engine, username: str, password_hash: str, roles: Iterable[str], now: int
) -> None:
    """A new staff account; :class:`StaffUserExists` when the name is taken."""
    with write_transaction(engine) as connection:
        taken = connection.execute(
            select(staff_users.c.username).where(staff_users.c.username == username)
        ).first()
        if taken is not None:
            raise StaffUserExists("a staff user of that name exists", where=username)
        connection.execute(
            insert(staff_users).values(
                username=username,
                password_hash=password_hash,
                roles=",".join(sorted(set(roles))),
                created_at=now,
                failed_signins=0,
                locked_until=0,
            )
        )


def get_user(engine: Engine, username: str) -> StaffAccount | None:
    with read_connection(engine) as connection:
        row = (
            connection.execute(select(staff_users).where(staff_users.c.username == username))
            .mappings()
            .first()
        )
    return None if row is None else _account(row)


def list_users(engine: Engine) -> list[StaffAccount]:
    with read_connection(engine) as connection:
        rows = connection.execute(select(staff_users).order_by(staff_users.c.username)).mappings()
        return [_account(row) for row in rows]


def record_signin_failure(
    engine: Engine, username: str, now: int, *, lock_after: int, lock_seconds: int
) -> None:
    """Count a wrong password; after ``lock_after`` in a row the account waits ``lock_seconds``."""
    with write_transaction(engine) as connection:
        row = connection.execute(
            select(staff_users.c.failed_signins).where(staff_users.c.username == username)
        ).first()
        if row is None:
            return
        failures = int(row[0]) + 1
        values: dict[str, int] = {"failed_signins": failures}
        if failures >= lock_after:
            values = {"failed_signins": 0, "locked_until": now + lock_seconds}
        connection.execute(
            update(staff_users).where(staff_users.c.username == username).values(**values)
        )


# --------------------------------------------------------------------------- sessions


def create_session(
    engine: Engine, token_hash: str, username: str, csrf_token: str, now: int, expires_at: int
) -> None:
    """A new session; also clears the account's failed sign-ins and drops expired sessions."""
    with write_transaction(engine) as connection:
        connection.execute(delete(staff_sessions).where(staff_sessions.c.expires_at <= now))
        connection.execute(
            update(staff_users)
            .where(staff_users.c.username == username)
            .values(failed_signins=0, locked_until=0)
        )
        connection.execute(
            insert(staff_sessions).values(
                token_hash=token_hash,
                username=username,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        )


def session(engine: Engine, token_hash: str, now: int) -> StaffSession | None:
    """The unexpired session of ``token_hash`` with its user's current roles, or None."""
    query = (
        select(staff_sessions, staff_users.c.roles)
        .join(staff_users, staff_users.c.username == staff_sessions.c.username)
        .where(staff_sessions.c.token_hash == token_hash, staff_sessions.c.expires_at > now)
    )
    with read_connection(engine) as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return StaffSession(
        token_hash=row["token_hash"],
        username=row["username"],
        roles=_roles(row["roles"]),
        csrf_token=row["csrf_token"],
        created_at=int(row["created_at"]),
        expires_at=int(row["expires_at"]),
    )


def slide_session(engine: Engine, token_hash: str, expires_at: int) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            update(staff_sessions)
            .where(staff_sessions.c.token_hash == token_hash)
            .values(expires_at=expires_at)
        )


def delete_session(engine: Engine, token_hash: str) -> None:
    with write_transaction(engine) as connection:
        connection.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash))


# --------------------------------------------------------------------------- transactions


def _sent(row: RowMapping) -> SentTransaction:
    return SentTransaction(
        idempotency_key=row["idempotency_key"],
        sender=row["sender"],
        nonce=int(row["nonce"]),
        tx_hash=row["tx_hash"],
        raw_tx=row["raw_tx"],
        action=row["action"],
        status=row["status"],
        attempts=int(row["attempts"]),
        requested_by=row["requested_by"],
        block_number=None if row["block_number"] is None else int(row["block_number"]),
    )


def sent_transaction(engine: Engine, idempotency_key: str) -> SentTransaction | None:
    with read_connection(engine) as connection:
        row = (
            connection.execute(
                select(sent_transactions).where(
                    sent_transactions.c.idempotency_key == idempotency_key
                )
            )
            .mappings()
            .first()
        )
    return None if row is None else _sent(row)


def last_nonce(engine: Engine, sender: str) -> int | None:
    """The highest nonce this node used for ``sender`` (a dropped transaction used none), or
    None before its first."""
    t = sent_transactions
    with read_connection(engine) as connection:
        value = connection.execute(
            select(func.max(t.c.nonce)).where(t.c.sender == sender, t.c.status != "dropped")
        ).scalar()
    return None if value is None else int(value)


def unmined(engine: Engine, sender: str, from_nonce: int) -> list[SentTransaction]:
    """``sender``'s transactions sent but not seen mined, from nonce ``from_nonce`` on."""
    t = sent_transactions
    query = (
        select(t)
        .where(t.c.sender == sender, t.c.status == "sent", t.c.nonce >= from_nonce)
        .order_by(t.c.nonce)
    )
    with read_connection(engine) as connection:
        return [_sent(row) for row in connection.execute(query).mappings()]


def record_sent(engine: Engine, tx: SentTransaction, now: int) -> None:
    """Keep a signed transaction before it is broadcast (replacing a reverted or dropped try
    of the same key)."""
    values: dict[str, Any] = {
        "sender": tx.sender,
        "nonce": tx.nonce,
        "tx_hash": tx.tx_hash,
        "raw_tx": tx.raw_tx,
        "action": tx.action,
        "status": tx.status,
        "attempts": tx.attempts,
        "requested_by": tx.requested_by,
        "block_number": tx.block_number,
        "updated_at": now,
    }
    key = sent_transactions.c.idempotency_key == tx.idempotency_key
    with write_transaction(engine) as connection:
        try:
            existing = connection.execute(select(sent_transactions.c.status).where(key)).first()
            if existing is None:
                connection.execute(
                    insert(sent_transactions).values(
                        idempotency_key=tx.idempotency_key, created_at=now, **values
                    )
                )
            elif existing[0] in ("reverted", "dropped"):
                connection.execute(update(sent_transactions).where(key).values(**values))
            else:
                raise StoreError(
                    f"a {existing[0]} transaction is kept for this key", where=tx.idempotency_key
                )
        except exc.IntegrityError:
            raise StoreError(
                "a transaction is kept for this key", where=tx.idempotency_key
            ) from None


def update_sent(
    engine: Engine, idempotency_key: str, status: str, now: int, block_number: int | None = None
) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            update(sent_transactions)
            .where(sent_transactions.c.idempotency_key == idempotency_key)
            .values(status=status, block_number=block_number, updated_at=now)
        )


# --------------------------------------------------------------------------- identities


def record_identity(
    engine: Engine,
    account: str,
    reference: str,
    salt: str,
    identity_hash: str,
    roles: int,
    checked_by: str,
    now: int,
) -> str:
    """Keep an identity check; returns the identity hash kept for ``account`` (an earlier
    check's, when there is one, so that a retried registration sends the same hash)."""
    with write_transaction(engine) as connection:
        row = connection.execute(
            select(participant_identities.c.identity_hash).where(
                participant_identities.c.account == account
            )
        ).first()
        if row is not None:
            return str(row[0])
        connection.execute(
            insert(participant_identities).values(
                account=account,
                identity_reference=reference,
                salt=salt,
                identity_hash=identity_hash,
                roles=roles,
                checked_by=checked_by,
                checked_at=now,
            )
        )
    return identity_hash


# --------------------------------------------------------------------------- the index


def exchange_indexes(engine: Engine) -> dict[str, int]:
    """Each member exchange's index in the consortium (``grantingExchanges`` bit positions)."""
    with read_connection(engine) as connection:
        rows = connection.execute(select(schema.exchanges.c.code, schema.exchanges.c.idx))
        return {str(code): int(idx) for code, idx in rows}


def listing_row(engine: Engine, listing_id: str) -> dict[str, Any] | None:
    """The indexed listing (its current version), or None."""
    with read_connection(engine) as connection:
        row = (
            connection.execute(
                select(schema.listings).where(schema.listings.c.listing_id == listing_id)
            )
            .mappings()
            .first()
        )
    return None if row is None else dict(row)
