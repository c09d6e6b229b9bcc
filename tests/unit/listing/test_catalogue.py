"""The catalogue's on-chain bytes: codec byte, raw DEFLATE, and the zip-bomb guard."""

from __future__ import annotations

import contextlib
import zlib
from typing import Any

import brotli
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from onelist.catalogue import (
    MAX_CATALOGUE_BYTES,
    CatalogueError,
    decode_catalogue,
    encode_catalogue,
    nesting_exceeds,
)

CATALOGUE: dict[str, Any] = {
    "title": "城市交通出行 OD 数据",
    "keywords": ["交通", "OD"],
    "coverage": {"time_from": "2025-01-01", "regions": ["440300"]},
    "price_fen": 48000000,
}
canonical_json = rfc8785.dumps


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(level=9, wbits=-15)
    return compressor.compress(data) + compressor.flush()


def test_encoding_is_codec_two_then_brotli_of_canonical_json() -> None:
    encoded = encode_catalogue(CATALOGUE)
    assert encoded[0] == 0x02
    assert brotli.decompress(encoded[1:]) == canonical_json(CATALOGUE)


def test_brotli_is_smaller_than_deflate_on_chinese_text() -> None:
    assert len(encode_catalogue(CATALOGUE)) < 1 + len(deflate(canonical_json(CATALOGUE)))


def test_encoding_ignores_key_order() -> None:
    reordered = dict(reversed(list(CATALOGUE.items())))
    assert encode_catalogue(reordered) == encode_catalogue(CATALOGUE)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode_catalogue(CATALOGUE), id="codec 0x02 (Brotli) decodes"),
        pytest.param(
            b"\x01" + deflate(canonical_json(CATALOGUE)), id="codec 0x01 (DEFLATE) decodes"
        ),
        pytest.param(b"\x00" + canonical_json(CATALOGUE), id="codec 0x00 (plain JSON) decodes"),
    ],
)
def test_decoding_round_trips(data: bytes) -> None:
    assert decode_catalogue(data) == CATALOGUE


def test_a_catalogue_of_exactly_the_limit_decodes() -> None:
    padding = MAX_CATALOGUE_BYTES - len(canonical_json({"d": ""}))
    value = {"d": "x" * padding}
    assert len(canonical_json(value)) == MAX_CATALOGUE_BYTES
    assert decode_catalogue(b"\x01" + deflate(canonical_json(value))) == value
    assert decode_catalogue(encode_catalogue(value)) == value


BOMB = b"\x01" + deflate(b'{"d":"' + b"x" * (MAX_CATALOGUE_BYTES - 7) + b'"}')
HUGE_BOMB = b"\x01" + deflate(b" " * (64 << 20))

BROTLI_BOMB = b"\x02" + brotli.compress(b" " * (64 << 20), quality=1)
DEFLATED = b"\x01" + deflate(canonical_json(CATALOGUE))
REFUSED = [
    pytest.param(b"", "empty", id="no bytes at all"),
    pytest.param(b"\x03{}", "unknown catalogue codec 0x03", id="an unknown codec"),
    pytest.param(b"\x02not brotli", "not Brotli", id="bytes that are not Brotli"),
    pytest.param(BROTLI_BOMB, "more than 65536 bytes", id="a 64 MiB Brotli bomb is refused"),
    pytest.param(encode_catalogue(CATALOGUE)[:-3], "Brotli", id="a truncated Brotli stream"),
    pytest.param(BOMB, "more than 65536 bytes", id="one byte over the limit is refused"),
    pytest.param(HUGE_BOMB, "more than 65536 bytes", id="a 64 MiB zip bomb is refused"),
    pytest.param(
        b"\x00" + b" " * (MAX_CATALOGUE_BYTES + 1), "more than 65536", id="oversize plain JSON"
    ),
    pytest.param(b"\x01not deflate", "not raw DEFLATE", id="bytes that are not DEFLATE"),
    pytest.param(DEFLATED[:-3], "truncated", id="a truncated DEFLATE stream"),
    pytest.param(DEFLATED + b"junk", "after the end", id="bytes after the DEFLATE stream"),
    pytest.param(b"\x00[1, 2]", "expected an object", id="JSON that is not an object"),
    pytest.param(b"\x00{", "not JSON", id="malformed JSON"),
    pytest.param(b"\x00\xff", "not UTF-8", id="bytes that are not UTF-8"),
    pytest.param(b"\x00" + b"[" * 10_000, "nests deeper", id="absurd nesting"),
]


@pytest.mark.parametrize(("data", "fragment"), REFUSED)
def test_bad_bytes_are_refused_clearly(data: bytes, fragment: str) -> None:
    with pytest.raises(CatalogueError, match=fragment):
        decode_catalogue(data)


def test_encoding_refuses_what_cannot_be_canonical_or_is_too_big() -> None:
    with pytest.raises(CatalogueError, match="canonicalisable"):
        encode_catalogue({"n": float("nan")})
    with pytest.raises(CatalogueError, match="more than"):
        encode_catalogue({"d": "x" * MAX_CATALOGUE_BYTES})


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        pytest.param("[[[]]]", 3, False, id="three levels fit a limit of three"),
        pytest.param("[[[[]]]]", 3, True, id="four levels exceed it"),
        pytest.param('["[[[[[["]', 1, False, id="brackets inside strings do not count"),
        pytest.param('["\\"[[[["]', 1, False, id="an escaped quote does not end the string"),
        pytest.param('{"a": {"b": {}}}', 2, True, id="objects count like arrays"),
    ],
)
def test_nesting_depth(text: str, limit: int, exceeds: bool) -> None:
    assert nesting_exceeds(text, limit) is exceeds


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_refused_with_a_catalogue_error(data: bytes) -> None:
    with contextlib.suppress(CatalogueError):
        assert isinstance(decode_catalogue(data), dict)
