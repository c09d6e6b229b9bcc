"""The catalogue search index (listing_terms) and the indexes the catalogue is browsed by.

``listing_terms`` is derived state (:mod:`node.store.schema_search`): an index migrated from
revision 0001 already holds listings, so their versions' terms are computed here from the
catalogue columns of ``listing_versions``, as the projection computes them from the events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 2000


def upgrade() -> None:
    op.create_table(
        "listing_terms",
        sa.Column("listing_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(32), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", "version", "term", name="pk_listing_terms"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_listing_terms_term",
        "listing_terms",
        ["term", "weight", "block", "listing_id", "version"],
    )
    op.create_index(
        "ix_listing_versions_block",
        "listing_versions",
        ["block_number", "listing_id", "version"],
    )
    op.create_index(
        "ix_listings_price",
        "listings",
        [
            sa.func.coalesce(sa.column("price_fen"), sa.literal_column("-1")),
            sa.column("listing_id"),
        ],
    )
    _derive_terms()


def _keywords(text: str | None) -> list[Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def _derive_terms() -> None:
    """The terms of every version already indexed (none in a new index)."""
    from node.store.search_terms import weighted_terms

    versions = sa.table(
        "listing_versions",
        sa.column("listing_id"),
        sa.column("version"),
        sa.column("title"),
        sa.column("description"),
        sa.column("keywords"),
        sa.column("category"),
        sa.column("block_number"),
    )
    terms = sa.table(
        "listing_terms",
        sa.column("listing_id"),
        sa.column("version"),
        sa.column("term"),
        sa.column("weight"),
        sa.column("block"),
    )
    connection = op.get_bind()
    where: Any = sa.true()
    while True:
        chunk = connection.execute(
            sa.select(versions)
            .where(where)
            .order_by(versions.c.listing_id, versions.c.version)
            .limit(_CHUNK)
        ).all()
        rows = [
            {
                "listing_id": v.listing_id,
                "version": v.version,
                "term": term,
                "weight": weight,
                "block": v.block_number,
            }
            for v in chunk
            for term, weight in weighted_terms(
                v.title, v.description, _keywords(v.keywords), v.category
            ).items()
        ]
        if rows:
            connection.execute(sa.insert(terms), rows)
        if len(chunk) < _CHUNK:
            return
        last = chunk[-1]
        where = sa.tuple_(versions.c.listing_id, versions.c.version) > sa.tuple_(
            sa.literal(last.listing_id), sa.literal(last.version)
        )


def downgrade() -> None:
    op.drop_index("ix_listings_price", table_name="listings")
    op.drop_index("ix_listing_versions_block", table_name="listing_versions")
    op.drop_table("listing_terms")  # drops its index with it
