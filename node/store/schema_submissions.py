"""The participants' tables: submissions, licence requests and the nonces of signed requests.

Unlike the tables of :mod:`node.store.schema`, these are not a fold of the chain's events: they
hold what participants sent to this node (off chain), so they have a metadata of their own and a
rebuild of the index (``Store.reset``) leaves them alone. Migration 0003 creates them.

Conventions as in :mod:`node.store.schema`: addresses EIP-55, hashes 0x lower-case hex, times
unix seconds; JSON documents are stored as text (sorted keys, UTF-8 as is).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "LICENCE_REQUEST_STATUSES",
    "SUBMISSION_STATUSES",
    "licence_requests",
    "metadata",
    "request_nonces",
    "submissions",
]

#: A submission's life at its home exchange's node; the staff's review desk moves it on.
SUBMISSION_STATUSES = ("pending_review", "approved", "rejected", "listed")
#: A licence request's life: the staff grant it on chain after settlement, or reject it.
LICENCE_REQUEST_STATUSES = ("pending", "granted", "rejected")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[int]:
    return Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )


submissions = Table(
    "submissions",
    metadata,
    _id(),
    Column("provider", String(42), nullable=False),
    Column("home_exchange", String(8), nullable=False),
    Column("listing_id", String(66), nullable=False),  # the manifest's; the chain's once listed
    Column("version", Integer, nullable=False),
    Column("product_ref", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("manifest_hash", String(66), nullable=False),
    Column("manifest", Text, nullable=False),  # the manifest's normal form, JSON
    Column("signature", Text, nullable=False),  # the toolkit's signature document, JSON
    Column("fingerprint", Text),  # the fingerprint file's summary, JSON, when sent
    Column("findings", Text, nullable=False),  # the rules' findings (warnings only), JSON
    Column("status", String(16), nullable=False),  # SUBMISSION_STATUSES
    Column("reason", Text),  # why it was rejected (or another status note from the staff)
    Column("tx_hash", String(66)),  # the listing transaction, once sent
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("provider", "manifest_hash", "version"),
    Index("ix_submissions_provider_id", "provider", "id"),
    Index("ix_submissions_status_id", "status", "id"),
)

licence_requests = Table(
    "licence_requests",
    metadata,
    _id(),
    Column("licensee", String(42), nullable=False),
    Column("listing_id", String(66), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("granting_exchange", String(8), nullable=False),
    Column("licence_id", String(66), nullable=False, unique=True),  # the terms' EIP-712 digest
    Column("terms", Text, nullable=False),  # LicenceAcceptance message, JSON (bytes as 0x hex)
    Column("acceptance", String(132), nullable=False),  # the licensee's 65-byte signature
    Column("status", String(16), nullable=False),  # LICENCE_REQUEST_STATUSES
    Column("reason", Text),
    Column("tx_hash", String(66)),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_licence_requests_licensee_id", "licensee", "id"),
    Index("ix_licence_requests_status_id", "status", "id"),
)

request_nonces = Table(
    "request_nonces",
    metadata,
    Column("account", String(42), nullable=False),
    Column("nonce", String(66), nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    PrimaryKeyConstraint("account", "nonce"),
)
