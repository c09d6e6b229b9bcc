"""The first tables: membership, governance, listings, licences, oversight, the audit trail of
every event, and the indexer's bookkeeping.

Written out, not generated at run time: later revisions change this schema step by step, and
this file must keep building exactly what revision 0001 was.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _address(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(42), nullable=nullable)


def _hash(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(66), nullable=nullable)


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _policy_columns() -> list[sa.Column[object]]:
    """The listing record and policy, shared by ``listings`` and ``listing_versions``."""
    return [
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("open_class", sa.Integer(), nullable=False),
        sa.Column("personal_info", sa.Integer(), nullable=False),
        sa.Column("pi_flags", sa.Integer(), nullable=False),
        sa.Column("consent_evidence", sa.String(66), nullable=False),
        sa.Column("risk_assessment", sa.String(66), nullable=False),
        sa.Column("authorisation_id", sa.String(66), nullable=False),
        sa.Column("purposes", sa.BigInteger(), nullable=False),
        sa.Column("max_term_days", sa.Integer(), nullable=False),
        sa.Column("territory", sa.Integer(), nullable=False),
        sa.Column("onward_transfer", sa.Integer(), nullable=False),
        sa.Column("model_training", sa.Boolean(), nullable=False),
        sa.Column("delivery_modes", sa.Integer(), nullable=False),
        sa.Column("granting_exchanges", sa.String(80), nullable=False),
        sa.Column("price_floor_fen", sa.BigInteger(), nullable=False),
    ]


def _catalogue_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("keywords", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("product_form", sa.String(32), nullable=True),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("catalogue", sa.Text(), nullable=True),
        sa.Column("catalogue_error", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    # ------------------------------------------------------------------------- membership
    op.create_table(
        "exchanges",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("province", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_operator", sa.String(42), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("granting_suspended_until", sa.BigInteger(), nullable=False),
        sa.Column("admitted_block", sa.BigInteger(), nullable=False),
        sa.Column("removed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_exchanges"),
        sa.UniqueConstraint("idx", name="uq_exchanges_idx"),
    )
    op.create_table(
        "operators",
        _address("address"),
        sa.Column("exchange", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _address("added_by", nullable=True),
        sa.Column("added_block", sa.BigInteger(), nullable=False),
        sa.Column("removed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("address", name="pk_operators"),
    )
    op.create_index("ix_operators_exchange", "operators", ["exchange"])
    op.create_table(
        "regulators",
        _address("address"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("province", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("added_block", sa.BigInteger(), nullable=False),
        sa.Column("removed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("address", name="pk_regulators"),
    )
    op.create_table(
        "participants",
        _address("address"),
        sa.Column("registered_by", sa.String(8), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        _hash("identity_hash"),
        _address("actor"),
        sa.Column("suspended_until", sa.BigInteger(), nullable=False),
        sa.Column("registered_block", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_participants"),
    )
    op.create_index("ix_participants_registered_by", "participants", ["registered_by"])
    op.create_table(
        "fee_schedules",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("home_bps", sa.Integer(), nullable=False),
        sa.Column("granting_bps", sa.Integer(), nullable=False),
        sa.Column("consortium_bps", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name="pk_fee_schedules"),
    )
    op.create_table(
        "parameters",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_parameters"),
    )

    # ------------------------------------------------------------------------- governance
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("exchange", sa.String(8), nullable=False),
        _address("actor"),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("yes", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("executed", sa.Boolean(), nullable=False),
        _address("executed_by", nullable=True),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("executed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("proposal_id", name="pk_proposals"),
    )
    op.create_table(
        "votes",
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(8), nullable=False),
        _address("actor"),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "exchange", name="pk_votes"),
    )

    # ------------------------------------------------------------------------- listings
    op.create_table(
        "listings",
        _hash("listing_id"),
        _address("provider"),
        sa.Column("home_exchange", sa.String(8), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _hash("manifest_hash"),
        _hash("fingerprint"),
        *_policy_columns(),
        *_catalogue_columns(),
        sa.Column("suspended_until", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("licence_count", sa.Integer(), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("listed_block", sa.BigInteger(), nullable=False),
        sa.Column("listed_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", name="pk_listings"),
    )
    op.create_index("ix_listings_provider", "listings", ["provider"])
    op.create_index("ix_listings_home_exchange", "listings", ["home_exchange"])
    op.create_table(
        "listing_versions",
        _hash("listing_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        _address("provider"),
        sa.Column("home_exchange", sa.String(8), nullable=False),
        _address("actor"),
        _hash("manifest_hash"),
        _hash("fingerprint"),
        *_policy_columns(),
        *_catalogue_columns(),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        _hash("tx_hash"),
        sa.PrimaryKeyConstraint("listing_id", "version", name="pk_listing_versions"),
    )
    op.create_table(
        "duplicate_attempts",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _hash("fingerprint"),
        _address("provider"),
        _address("actor"),
        _hash("listing_id"),
        sa.Column("home_exchange", sa.String(8), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name="pk_duplicate_attempts"),
    )
    op.create_index("ix_duplicate_attempts_fingerprint", "duplicate_attempts", ["fingerprint"])

    # ------------------------------------------------------------------------- licences
    op.create_table(
        "licences",
        _hash("licence_id"),
        _hash("listing_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        _address("licensee"),
        sa.Column("granting_exchange", sa.String(8), nullable=False),
        _address("actor"),
        sa.Column("purposes", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("territory", sa.Integer(), nullable=False),
        sa.Column("delivery_mode", sa.Integer(), nullable=False),
        sa.Column("onward_transfer", sa.Integer(), nullable=False),
        sa.Column("model_training", sa.Boolean(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        _hash("settlement_hash"),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("provider_fen", sa.BigInteger(), nullable=False),
        sa.Column("home_fen", sa.BigInteger(), nullable=False),
        sa.Column("granting_fen", sa.BigInteger(), nullable=False),
        sa.Column("consortium_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("suspended_until", sa.BigInteger(), nullable=False),
        sa.Column("ended_reason", sa.Integer(), nullable=True),
        _hash("ended_evidence", nullable=True),
        _address("ended_by", nullable=True),
        sa.Column("granted_block", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("licence_id", name="pk_licences"),
    )
    op.create_index("ix_licences_listing_id", "licences", ["listing_id"])
    op.create_index("ix_licences_licensee", "licences", ["licensee"])
    op.create_index("ix_licences_granting_exchange", "licences", ["granting_exchange"])

    # ------------------------------------------------------------------------- oversight
    op.create_table(
        "suspensions",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        _hash("subject"),
        _address("regulator"),
        sa.Column("regulator_province", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.Integer(), nullable=False),
        _hash("legal_basis"),
        sa.Column("until", sa.BigInteger(), nullable=True),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name="pk_suspensions"),
    )
    op.create_index("ix_suspensions_subject", "suspensions", ["subject"])

    # ------------------------------------------------------------------------- audit trail
    op.create_table(
        "events",
        _id(),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        _hash("block_hash"),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        _hash("tx_hash"),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        _address("actor", nullable=True),
        sa.Column("acting_exchange", sa.String(8), nullable=True),
        _address("acting_regulator", nullable=True),
        _hash("listing_id", nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("args", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name="uq_events_chain_id_tx_hash_log_index"
        ),
    )
    op.create_index("ix_events_block", "events", ["block_number", "log_index"])
    op.create_index("ix_events_listing", "events", ["listing_id", "seq"])
    op.create_index("ix_events_actor", "events", ["actor"])
    op.create_index("ix_events_name", "events", ["name"])
    op.create_index("ix_events_exchange", "events", ["acting_exchange"])

    # ------------------------------------------------------------------------- bookkeeping
    op.create_table(
        "cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        _hash("block_hash"),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cursor"),
    )
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        _hash("hash"),
        _hash("parent_hash"),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_blocks"),
    )
    op.create_table(
        "dead_letters",
        _id(),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        _hash("block_hash"),
        _hash("tx_hash"),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _address("address"),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name="uq_dead_letters_chain_id_tx_hash_log_index"
        ),
    )


def downgrade() -> None:
    for table in (
        "dead_letters",
        "blocks",
        "cursor",
        "events",
        "suspensions",
        "licences",
        "duplicate_attempts",
        "listing_versions",
        "listings",
        "votes",
        "proposals",
        "parameters",
        "fee_schedules",
        "participants",
        "regulators",
        "operators",
        "exchanges",
    ):
        op.drop_table(table)  # drops the table's indexes with it
