"""Turning one block range's raw logs into what the store writes: pure, no I/O.

Each log is decoded, then projected into row changes. A log that cannot be decoded or projected
becomes a dead letter with its stage and reason, and the rest of the range goes on: one poison
event never stalls the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from node.decode import DecodeError, EventCatalog, decode_log
from node.events import DecodedEvent, RawLog, RowChange
from node.projections import ProjectionError

Project = Callable[[DecodedEvent], list[RowChange]]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A log the pipeline could not take, and why."""

    log: RawLog
    stage: str  # decode | project | store
    reason: str


@dataclass
class RangeBatch:
    projected: list[tuple[DecodedEvent, list[RowChange]]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def reject(self, event: DecodedEvent, log: RawLog, reason: str) -> None:
        """Move ``event`` (refused by the store) to the dead letters."""
        self.projected = [pair for pair in self.projected if pair[0] is not event]
        self.rejected.append(Rejected(log, "store", reason))


def build_batch(
    logs: Sequence[RawLog],
    block_times: Mapping[int, int],
    catalog: EventCatalog,
    chain_id: int,
    project: Project,
) -> RangeBatch:
    batch = RangeBatch()
    for log in logs:
        try:
            event = decode_log(log, catalog, chain_id, block_times[log.block_number])
        except DecodeError as exc:
            batch.rejected.append(Rejected(log, "decode", str(exc)))
            continue
        try:
            changes = project(event)
        except ProjectionError as exc:
            batch.rejected.append(Rejected(log, "project", str(exc)))
            continue
        batch.projected.append((event, changes))
    return batch
