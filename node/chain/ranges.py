"""How many blocks to ask ``eth_getLogs`` for at once: grow on success, shrink on refusal.

Pure state, no I/O. Nodes limit a log query by result count or response size (geth, Besu,
anvil, hosted RPCs all differ), so the range adapts: it doubles while queries come back small
and halves when one is refused or times out. At one block it cannot shrink further, and the
caller gets the error instead of a loop that never ends.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RangeSizer:
    size: int = 10  # small at first: a dense chain can hold thousands of logs per block
    minimum: int = 1
    maximum: int = 50_000
    # About one store transaction's worth; bounds the node's memory (two ranges are in flight,
    # some 10 kB a log once decoded, projected and prepared). 5,000 took a backfill of 100,000
    # events past 300 MB of peak RSS; 2,000 costs no measurable speed.
    target_logs: int = 2_000

    def __post_init__(self) -> None:
        self.size = max(self.minimum, min(self.size, self.maximum))

    def next_range(self, start: int, last: int) -> tuple[int, int]:
        """The next ``(from, to)`` block range starting at ``start``, never past ``last``."""
        return start, min(last, start + self.size - 1)

    def succeeded(self, blocks: int, logs: int) -> None:
        if blocks >= self.size and logs < self.target_logs // 2:
            self.size = min(self.maximum, self.size * 2)
        elif logs > self.target_logs:
            self.size = max(self.minimum, self.size // 2)

    def refused(self, blocks: int) -> bool:
        """Shrink after a refusal of a ``blocks``-long query; False when it cannot shrink."""
        if blocks <= self.minimum:
            return False
        self.size = max(self.minimum, min(self.size, blocks) // 2)
        return True
