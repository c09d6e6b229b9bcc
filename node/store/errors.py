"""The store's errors: one root, told apart by what the caller should do next.

- :class:`StoreUnavailableError`: the database cannot be reached (retry later, keep serving);
- :class:`RowChangeError`: one row change cannot be applied (dead-letter its event);
- :class:`StoreError` itself: anything else (a bad URL, an index of another chain, a batch that
  overlaps the index).

Messages name the database by its URL with the password hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onelist.errors import OnelistError

if TYPE_CHECKING:
    from node.events import DecodedEvent, RowChange

__all__ = ["RowChangeError", "StoreError", "StoreUnavailableError"]


class StoreError(OnelistError, RuntimeError):
    """The SQL index could not do what was asked; ``where`` names the database or table."""


class StoreUnavailableError(StoreError, ConnectionError):
    """The database is unreachable (refused, timed out, disconnected, locked too long)."""


class RowChangeError(StoreError, ValueError):
    """A row change could not be applied: an Update or Increment of a missing row, a duplicate
    Insert, a value the column refuses. The batch's transaction was rolled back.

    ``change_index`` is the change's position in the batch's ``changes``, and ``event`` the event
    that produced it when the batch says so (:attr:`node.store.writer.Batch.owners`), so that the
    indexer can dead-letter that event and apply the rest.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str,
        change: RowChange,
        change_index: int,
        event: DecodedEvent | None = None,
    ) -> None:
        super().__init__(message, where=table)
        self.table = table
        self.change = change
        self.change_index = change_index
        self.event = event
