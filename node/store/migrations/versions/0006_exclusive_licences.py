"""Exclusive licences of public data: the licence's flag and its approval and auction references,
and the listing's latest exclusive licence.

``licences.exclusive`` is true for a licence granted by ``LicenceRegistry.grantExclusive``
(event ``ExclusiveLicenceGranted``), whose ``approval_ref`` and ``auction_ref`` hold the hashes of
the approval document and the open-auction record (NULL on other licences). A listing's
``exclusive_licence_id`` names its latest exclusive licence; the listing is under it while that
licence is active and its end has not passed; ``ix_licences_exclusive_end`` holds only the
exclusive licences' ends. Existing rows are ordinary licences and listings
without one (the server default and NULL), which is what they were.

Written out by hand: this file must keep building exactly what revision 0006 was, whatever
``node/store/schema.py`` becomes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "licences",
        sa.Column("exclusive", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("licences", sa.Column("approval_ref", sa.String(66), nullable=True))
    op.add_column("licences", sa.Column("auction_ref", sa.String(66), nullable=True))
    op.add_column("listings", sa.Column("exclusive_licence_id", sa.String(66), nullable=True))
    # Partial: only the exclusive licences, whose ends the catalogue reads once per block.
    exclusive = sa.column("exclusive", sa.Boolean()) == sa.true()
    op.create_index(
        "ix_licences_exclusive_end",
        "licences",
        ["end"],
        sqlite_where=exclusive,
        postgresql_where=exclusive,
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), not Alembic's batch mode: on
    # SQLite that copies the table, and the copy would lose ``ix_listings_price``, an index on
    # an expression that reflection cannot read back.
    op.drop_index("ix_licences_exclusive_end", table_name="licences")
    for table, column in (
        ("listings", "exclusive_licence_id"),
        ("licences", "auction_ref"),
        ("licences", "approval_ref"),
        ("licences", "exclusive"),
    ):
        op.execute(f'ALTER TABLE {table} DROP COLUMN "{column}"')
