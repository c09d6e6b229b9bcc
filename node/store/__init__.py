"""The node's SQL index: the only package that talks SQL.

``schema`` defines the tables, ``migrate`` builds them (Alembic), ``database`` opens SQLite or
PostgreSQL, ``writer`` commits batches and rolls back reorgs, ``digest`` proves two indexes equal.
"""

from node.store.database import open_engine, safe_url
from node.store.digest import Difference, IndexDigest, TableDigest, first_difference
from node.store.errors import RowChangeError, StoreError, StoreUnavailableError
from node.store.migrate import current_revision, head_revision, upgrade
from node.store.writer import Cursor, DeadLetter, Rejection, Store, WriteBatch

__all__ = [
    "Cursor",
    "DeadLetter",
    "Difference",
    "IndexDigest",
    "Rejection",
    "RowChangeError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "TableDigest",
    "WriteBatch",
    "current_revision",
    "first_difference",
    "head_revision",
    "open_engine",
    "safe_url",
    "upgrade",
]
