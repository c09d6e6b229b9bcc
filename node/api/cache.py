"""The public catalogue's answers, kept until the index or the clock could change them.

A search page or a listing page is a function of the index, the request and the time (a
regulator's suspension shows while ``now < until``). The index changes only when this node's
indexer commits a range or rolls one back, and the time matters only when it passes the end of
a listing's suspension. So an answer is keyed by an *epoch*, ``(reorgs, indexed block, how many
listing-suspension ends have passed)``, and is exact for as long as the epoch holds: a new
block, a rollback or a suspension that runs out starts a new epoch, and the answers of the old
one are dropped. No time-to-live, no staleness.

The epoch is read before the index is, so an answer computed from a newer index than its epoch
says is only ever stored under an epoch that is already over. This assumes what the node is
built for: its own indexer (same process) is the only writer of the catalogue's tables.

:class:`Answers` is pure (an LRU of bodies bounded in bytes, one epoch at a time); the epoch's
reads are in :mod:`node.api.catalogue`.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Hashable, Sequence

__all__ = ["Answers", "Epoch", "epoch_of"]

#: (reorgs, indexed block or None, listing-suspension ends passed).
Epoch = tuple[int, int | None, int]


def epoch_of(reorgs: int, indexed: int | None, suspension_ends: Sequence[int], now: int) -> Epoch:
    """The epoch at unix time ``now``: a suspension ending at ``until`` is in force while
    ``now < until`` (as the catalogue shows it), so the count of ends at or before ``now``
    changes exactly when some listing's shown status can (``suspension_ends`` sorted)."""
    return reorgs, indexed, bisect.bisect_right(suspension_ends, now)


class Answers:
    """Response bodies of one epoch, least recently used dropped first beyond ``max_bytes``.
    Used from the event loop only (no lock)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.epoch: Epoch | None = None
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, epoch: Epoch, key: Hashable) -> bytes | None:
        """The body kept for ``key`` in ``epoch``; a request of a new epoch ends the old one."""
        if epoch != self.epoch:
            self._bodies.clear()
            self.bytes = 0
            self.epoch = epoch
        body = self._bodies.get(key)
        if body is None:
            self.misses += 1
            return None
        self._bodies.move_to_end(key)
        self.hits += 1
        return body

    def put(self, epoch: Epoch, key: Hashable, body: bytes) -> None:
        """Keep ``body``, unless its epoch is over (the index moved on while it was read) or
        it alone is larger than a tenth of the bound."""
        if epoch != self.epoch or self.max_bytes <= 0 or len(body) > self.max_bytes // 10:
            return
        old = self._bodies.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        self._bodies[key] = body
        self.bytes += len(body)
        while self.bytes > self.max_bytes:
            _, dropped = self._bodies.popitem(last=False)
            self.bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._bodies)
