"""The node's errors: one root, each subclass also a matching built-in, carrying what failed."""

from __future__ import annotations

from onelist.errors import OnelistError


class NodeError(OnelistError):
    """Base class of the node's errors."""


class RpcUnavailable(NodeError, ConnectionError):
    """The chain's JSON-RPC endpoint did not answer (after the retries)."""


class RpcError(NodeError, RuntimeError):
    """The endpoint answered with a JSON-RPC error."""

    def __init__(self, message: str, *, code: int | None = None, where: str | None = None) -> None:
        self.code = code
        super().__init__(message, where=where)


class RangeTooLarge(RpcError):
    """``eth_getLogs`` refused a block range as too large (too many results, response too big)."""


class ReorgBeyondWindow(NodeError, RuntimeError):
    """The chain's history changed below the blocks the node keeps: indexing must halt."""
