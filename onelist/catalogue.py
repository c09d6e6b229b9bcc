"""The public catalogue as the chain carries it: one codec byte, then the catalogue JSON.

The ListingRegistry emits these bytes in its ``Listed`` event so that every node can show the
catalogue without asking anyone; the provider's EIP-712 signature covers ``keccak256(bytes)``
as ``catalogueHash``. Pure functions, shared by the provider toolkit and the node.

Codecs:

- ``0x00``: the RFC 8785 canonical JSON of the catalogue object, uncompressed;
- ``0x01``: the same bytes compressed with raw DEFLATE (RFC 1951; zlib ``wbits=-15``,
  level 9);
- ``0x02``: the same bytes compressed with Brotli (RFC 7932, quality 11, text mode).
  :func:`encode_catalogue` writes this one: Brotli's built-in dictionary holds common Chinese
  text, so 1 KB of Chinese catalogue text shrinks to about 730 bytes where DEFLATE leaves about
  930, and every byte costs 24 gas (16 in calldata, 8 in the event).

Decoding refuses more than :data:`MAX_CATALOGUE_BYTES` of JSON, so a crafted event cannot
exhaust a node's memory (a "zip bomb").
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

import brotli
import rfc8785

from onelist.errors import OnelistError

__all__ = [
    "CODEC_BROTLI",
    "CODEC_DEFLATE",
    "CODEC_JSON",
    "MAX_CATALOGUE_BYTES",
    "CatalogueError",
    "decode_catalogue",
    "encode_catalogue",
    "nesting_exceeds",
]

CODEC_JSON = 0x00
CODEC_DEFLATE = 0x01
CODEC_BROTLI = 0x02
MAX_CATALOGUE_BYTES = 64 * 1024
"""Largest catalogue JSON (decompressed) that is encoded or decoded."""
MAX_DEPTH = 16
"""Deepest nesting of arrays and objects a catalogue may have (it needs 3)."""

_TOKEN = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


class CatalogueError(OnelistError, ValueError):
    """Catalogue bytes that cannot be encoded or decoded."""


def encode_catalogue(catalogue: Mapping[str, Any]) -> bytes:
    """``0x02`` + Brotli (quality 11) of the catalogue's RFC 8785 canonical JSON."""
    try:
        plain = rfc8785.dumps(catalogue)
    except rfc8785.CanonicalizationError as exc:
        raise CatalogueError(f"catalogue is not canonicalisable JSON: {exc}") from None
    if len(plain) > MAX_CATALOGUE_BYTES:
        raise CatalogueError(
            f"catalogue JSON is {len(plain)} bytes, more than {MAX_CATALOGUE_BYTES}"
        )
    return bytes([CODEC_BROTLI]) + bytes(brotli.compress(plain, mode=brotli.MODE_TEXT, quality=11))


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether arrays and objects in JSON ``text`` nest deeper than ``limit``.

    Brackets inside strings don't count. Linear time; run before ``json.loads``, whose C
    parser can exhaust the stack on absurd nesting.
    """
    depth = 0
    in_string = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if in_string:
            in_string = token != '"'
        elif token == '"':
            in_string = True
        elif token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=-15)
    try:
        plain = inflater.decompress(body, MAX_CATALOGUE_BYTES + 1)
    except zlib.error as exc:
        raise CatalogueError(f"catalogue bytes are not raw DEFLATE: {exc}") from None
    if len(plain) > MAX_CATALOGUE_BYTES or inflater.unconsumed_tail:
        raise CatalogueError(
            f"catalogue decompresses to more than {MAX_CATALOGUE_BYTES} bytes; refused"
        )
    if not inflater.eof:
        raise CatalogueError("catalogue DEFLATE stream is truncated")
    if inflater.unused_data:
        raise CatalogueError("catalogue has bytes after the end of its DEFLATE stream")
    return plain


def _unbrotli(body: bytes) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        plain = bytes(decompressor.process(body, output_buffer_limit=MAX_CATALOGUE_BYTES + 1))
    except brotli.error as exc:
        raise CatalogueError(f"catalogue bytes are not Brotli: {exc}") from None
    if len(plain) > MAX_CATALOGUE_BYTES or not decompressor.can_accept_more_data():
        raise CatalogueError(
            f"catalogue decompresses to more than {MAX_CATALOGUE_BYTES} bytes; refused"
        )
    if not decompressor.is_finished():
        raise CatalogueError("catalogue Brotli stream is truncated")
    return plain


def decode_catalogue(data: bytes) -> dict[str, Any]:
    """The catalogue object from its on-chain bytes (codec ``0x00``, ``0x01`` or ``0x02``)."""
    if not data:
        raise CatalogueError("catalogue bytes are empty (no codec byte)")
    codec, body = data[0], bytes(data[1:])
    if codec == CODEC_JSON:
        if len(body) > MAX_CATALOGUE_BYTES:
            raise CatalogueError(
                f"catalogue JSON is {len(body)} bytes, more than {MAX_CATALOGUE_BYTES}; refused"
            )
        plain = body
    elif codec == CODEC_DEFLATE:
        plain = _inflate(body)
    elif codec == CODEC_BROTLI:
        plain = _unbrotli(body)
    else:
        raise CatalogueError(f"unknown catalogue codec 0x{codec:02x}")
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"catalogue JSON is not UTF-8: {exc.reason}") from None
    if nesting_exceeds(text, MAX_DEPTH):
        raise CatalogueError(f"catalogue JSON nests deeper than {MAX_DEPTH}; refused")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CatalogueError(f"catalogue is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CatalogueError(f"catalogue JSON is a {type(value).__name__}, expected an object")
    return value
