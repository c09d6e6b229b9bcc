"""Decoded events → row changes: pure, one ``on_<Event>`` handler per event in ``HANDLERS``."""

from node.projections.errors import ProjectionError
from node.projections.project import HANDLERS, Handler, project

__all__ = ["HANDLERS", "Handler", "ProjectionError", "project"]
