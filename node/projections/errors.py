"""Why a decoded event could not be projected."""

from __future__ import annotations

from node.errors import NodeError


class ProjectionError(NodeError, ValueError):
    """A decoded event that gives no valid row changes: no handler for it, or a value its column
    cannot hold. ``where`` names the event, or the table and column."""
