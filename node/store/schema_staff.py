"""The node's own tables, beside the index: staff accounts and sessions, the transactions the
node sends with its exchange's operator key, and the identity checks behind registrations.

They live in their own ``MetaData``: they are not a fold of the chain's events, so a rollback,
a rebuild (``Store.reset``) or a digest of the index never touches them.

Conventions as in :mod:`node.store.schema`: addresses EIP-55, hashes 0x-hex, unix seconds.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

staff_metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

staff_users = Table(
    "staff_users",
    staff_metadata,
    Column("username", String(64), primary_key=True),
    # "scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>"
    Column("password_hash", Text, nullable=False),
    Column("roles", Text, nullable=False),  # sorted, comma-separated
    Column("created_at", BigInteger, nullable=False),
    Column("failed_signins", Integer, nullable=False, default=0),
    Column("locked_until", BigInteger, nullable=False, default=0),
)

staff_sessions = Table(
    "staff_sessions",
    staff_metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex of the cookie's token
    Column(
        "username",
        String(64),
        ForeignKey("staff_users.username", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)

sent_transactions = Table(
    "sent_transactions",
    staff_metadata,
    Column("idempotency_key", String(160), primary_key=True),  # e.g. "approve:<submission>"
    Column("sender", String(42), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("raw_tx", Text, nullable=False),  # 0x-hex of the signed transaction
    Column("action", Text, nullable=False),  # what was called, for people reading the table
    Column("status", String(16), nullable=False),  # sent | mined | reverted | dropped
    Column("attempts", Integer, nullable=False, default=1),
    Column("requested_by", String(64)),
    Column("block_number", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_sent_transactions_sender_nonce", "sender", "nonce"),
)

participant_identities = Table(
    "participant_identities",
    staff_metadata,
    Column("account", String(42), primary_key=True),
    Column("identity_reference", Text, nullable=False),  # never leaves the node
    Column("salt", String(66), nullable=False),
    Column("identity_hash", String(66), nullable=False),  # keccak(reference || salt): on chain
    Column("roles", Integer, nullable=False),
    Column("checked_by", String(64), nullable=False),
    Column("checked_at", BigInteger, nullable=False),
)

STAFF_TABLES = (staff_users, staff_sessions, sent_transactions, participant_identities)
