"""Plain values from ABI values: one converter per parameter, chosen once from its ABI type.

The node's values are JSON-able as they are: addresses as EIP-55 checksum strings, exchange codes
(``bytes8``) as text, other fixed bytes and ``bytes`` as 0x-prefixed lower-case hex, integers and
booleans as themselves, structs as dicts keyed by their field names (a ``ListingRecord`` through
:func:`onelist.records.record_from_tuple`), arrays as lists.

:func:`data_converter` takes what eth-abi decoded from an event's data; :func:`topic_converter`
takes a raw 32-byte topic. Both are built once per event parameter by the catalog, so decoding a
log never parses a type string.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from node.decode.errors import DecodeError
from onelist.addresses import checksum
from onelist.codes import exchange_code_text
from onelist.records import record_from_tuple

Converter = Callable[[Any], Any]
"""A decoded ABI value (or a raw topic) → its plain value."""

_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")
_LISTING_RECORD = "struct ListingRecord"


#: EIP-55 of a 0x-hex address, remembered: eth-utils hashes the text each time (2.5 µs, several
#: times per event), and a consortium's events name a bounded set of accounts.
checksum_text: Callable[[str], str] = functools.lru_cache(maxsize=1 << 16)(checksum)


def hex0x(value: bytes) -> str:
    return "0x" + value.hex()


def exchange_text(raw: bytes) -> str:
    """An exchange code's text; a ``bytes8`` that is not ASCII with zero padding is refused."""
    text = raw.rstrip(b"\0")
    if b"\0" in text or not text.isascii():
        raise DecodeError("bad_value", f"bytes8 {hex0x(raw)} is not an exchange code")
    return exchange_code_text(raw)


def _identity(value: Any) -> Any:
    return value


def _fields_converter(components: list[Mapping[str, Any]]) -> Converter:
    """The converter of a struct already turned into a dict (nested structs too), by field name."""
    fields = [
        (
            str(c["name"]),
            _fields_converter(c["components"]) if c["type"] == "tuple" else data_converter(c),
        )
        for c in components
    ]
    return lambda value: {name: convert(value[name]) for name, convert in fields}


def data_converter(param: Mapping[str, Any]) -> Converter:
    """The converter for an ABI parameter's value as eth-abi decodes it (non-indexed)."""
    typ = str(param["type"])
    array = _ARRAY.match(typ)
    if array:
        item = data_converter({**param, "type": array.group(1)})
        return lambda value: [item(v) for v in value]
    if typ == "tuple":
        if param.get("internalType") == _LISTING_RECORD:
            fields = _fields_converter(param["components"])
            return lambda value: fields(record_from_tuple(value))
        names = [str(c["name"]) for c in param["components"]]
        converters = [data_converter(c) for c in param["components"]]
        return lambda value: {
            name: convert(v) for name, convert, v in zip(names, converters, value, strict=True)
        }
    if typ == "address":
        return checksum_text
    if typ == "bytes8":
        return exchange_text
    if typ.startswith("bytes"):  # bytesN and bytes
        return hex0x
    if typ.startswith(("uint", "int")) or typ in ("bool", "string"):
        return _identity
    raise ValueError(f"no converter for ABI type {typ!r}")


def topic_converter(param: Mapping[str, Any]) -> Converter:
    """The converter for an indexed parameter's raw 32-byte topic.

    Value types are encoded in the topic (addresses in the last 20 bytes, ``bytesN`` in the first
    N, integers big-endian); a dynamic type's topic is its keccak256, kept as hex.
    """
    typ = str(param["type"])
    if typ == "address":
        return lambda topic: checksum(topic[12:])
    if typ == "bytes8":
        return lambda topic: exchange_text(topic[:8])
    if typ == "bool":
        return lambda topic: topic != bytes(32)
    if typ.startswith("uint"):
        return lambda topic: int.from_bytes(topic, "big")
    if typ.startswith("int"):
        return lambda topic: int.from_bytes(topic, "big", signed=True)
    if typ.startswith("bytes") and typ != "bytes":
        size = int(typ[len("bytes") :])
        return lambda topic: hex0x(topic[:size])
    return hex0x  # string, bytes, arrays and tuples: the topic is the value's hash
