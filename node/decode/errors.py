"""Why a log could not be decoded."""

from __future__ import annotations

from node.errors import NodeError


class DecodeError(NodeError, ValueError):
    """A log that is not a consortium event this node can read.

    ``reason`` is one of :data:`REASONS` (stable, for counting dead letters); the message says
    what exactly was wrong, and ``where`` names the log (block, transaction, log index).
    """

    REASONS = (
        "removed",  # the log was removed by a reorg
        "unknown_address",  # not one of the deployment's contracts
        "unknown_topic",  # topic0 is no event of that contract
        "topic_count",  # the event has another number of indexed arguments
        "bad_data",  # the data does not decode as the event's non-indexed arguments
        "bad_value",  # a value decodes but is not what the event's type promises
    )

    def __init__(self, reason: str, message: str, *, where: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, where=where)
