"""Participants' submissions and request nonces.

The tables of :mod:`node.store.schema_submissions`: what providers and licensees sent to this
node (off chain), and the nonces of their signed requests. Written out by hand, like 0001.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "submissions",
        _id(),
        sa.Column("provider", sa.String(42), nullable=False),
        sa.Column("home_exchange", sa.String(8), nullable=False),
        sa.Column("listing_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("product_ref", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("manifest_hash", sa.String(66), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint(
            "provider",
            "manifest_hash",
            "version",
            name="uq_submissions_provider_manifest_hash_version",
        ),
    )
    op.create_index("ix_submissions_provider_id", "submissions", ["provider", "id"])
    op.create_index("ix_submissions_status_id", "submissions", ["status", "id"])

    op.create_table(
        "licence_requests",
        _id(),
        sa.Column("licensee", sa.String(42), nullable=False),
        sa.Column("listing_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("granting_exchange", sa.String(8), nullable=False),
        sa.Column("licence_id", sa.String(66), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("acceptance", sa.String(132), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_licence_requests"),
        sa.UniqueConstraint("licence_id", name="uq_licence_requests_licence_id"),
    )
    op.create_index("ix_licence_requests_listing_id", "licence_requests", ["listing_id"])
    op.create_index("ix_licence_requests_licensee_id", "licence_requests", ["licensee", "id"])
    op.create_index("ix_licence_requests_status_id", "licence_requests", ["status", "id"])

    op.create_table(
        "request_nonces",
        sa.Column("account", sa.String(42), nullable=False),
        sa.Column("nonce", sa.String(66), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account", "nonce", name="pk_request_nonces"),
    )
    op.create_index("ix_request_nonces_expires_at", "request_nonces", ["expires_at"])


def downgrade() -> None:
    for table in ("request_nonces", "licence_requests", "submissions"):
        op.drop_table(table)  # drops the table's indexes with it
