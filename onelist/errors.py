"""The root of onelist's errors: each carries what failed and where, and maps to an exit code."""

from __future__ import annotations


class OnelistError(Exception):
    """Base class: a one-line, user-facing message; ``where`` names the field, file or URL."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(OnelistError, ValueError):
    """A configuration file or option is wrong."""

    exit_code = 2


class ToolchainError(OnelistError, RuntimeError):
    """The compiler, Node tooling or a local chain could not do its job."""


class ChainError(OnelistError, ConnectionError):
    """The JSON-RPC endpoint is unreachable or is not the chain we expect."""
