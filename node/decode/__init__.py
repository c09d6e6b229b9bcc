"""Raw logs → decoded consortium events: pure functions over a catalog built once from the ABIs."""

from node.decode.audit import AUDIT, audit_fields
from node.decode.catalog import EventCatalog, EventSpec
from node.decode.decoder import decode_log, unpack_shares
from node.decode.errors import DecodeError

__all__ = [
    "AUDIT",
    "DecodeError",
    "EventCatalog",
    "EventSpec",
    "audit_fields",
    "decode_log",
    "unpack_shares",
]
