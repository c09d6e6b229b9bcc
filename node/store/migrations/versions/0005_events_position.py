"""The audit trail's events told apart by their place in the chain, not by transaction hash.

``events`` had a unique constraint on (chain_id, tx_hash, log_index) and an index on
(block_number, log_index). Transaction hashes are random, so every batch inserted its ~2,000
keys all over the first b-tree and dirtied most of its pages (the commit writes each dirty page
to the WAL: about a quarter of the table's write cost per event, growing with the trail). An
index holds one chain (the store refuses a batch of another), and on it a log's (block_number,
log_index) is as unique as its (tx_hash, log_index), so the block index becomes the unique one
and the random one goes: one b-tree fewer, the other appended to in chain order.

Written out by hand: this file must keep building exactly what revision 0005 was, whatever
``node/store/schema.py`` becomes. SQLite cannot drop a table's constraint, so Alembic copies
``events`` there (once, in the migration's transaction).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_UNIQUE = "uq_events_chain_id_tx_hash_log_index"
_BLOCK = "ix_events_block"


def upgrade() -> None:
    op.drop_index(_BLOCK, table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(_OLD_UNIQUE, type_="unique")
    op.create_index(_BLOCK, "events", ["block_number", "log_index"], unique=True)


def downgrade() -> None:
    op.drop_index(_BLOCK, table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.create_unique_constraint(_OLD_UNIQUE, ["chain_id", "tx_hash", "log_index"])
    op.create_index(_BLOCK, "events", ["block_number", "log_index"])
