"""Staff accounts, sessions and the node's outgoing transactions.

Written out by hand, as ``0001_initial.py`` is: this file must keep building exactly what
revision 0004 was, whatever ``node/store/schema_staff.py`` becomes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("failed_signins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_staff_users"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_staff_sessions"),
        sa.ForeignKeyConstraint(
            ["username"],
            ["staff_users.username"],
            name="fk_staff_sessions_username_staff_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_staff_sessions_username", "staff_sessions", ["username"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_table(
        "sent_transactions",
        sa.Column("idempotency_key", sa.String(160), nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_sent_transactions"),
    )
    op.create_index("ix_sent_transactions_sender_nonce", "sent_transactions", ["sender", "nonce"])
    op.create_table(
        "participant_identities",
        sa.Column("account", sa.String(42), nullable=False),
        sa.Column("identity_reference", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(66), nullable=False),
        sa.Column("identity_hash", sa.String(66), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.Column("checked_by", sa.String(64), nullable=False),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_participant_identities"),
    )


def downgrade() -> None:
    for table in ("participant_identities", "sent_transactions", "staff_sessions", "staff_users"):
        op.drop_table(table)  # drops the table's indexes with it
