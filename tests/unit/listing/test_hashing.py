"""Canonical JSON (RFC 8785) and the manifest hash."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from eth_utils import keccak
from hypothesis import given, settings

from listing.hashing import canonical_json, keccak_hex, manifest_hash
from listing.manifest import manifest_from_data
from tests.unit.listing.manifests import edited, valid_manifest

from .json_values import json_values

# RFC 8785 section 3.2.2 (the sample) and 3.2.3 (sorting), verbatim.
RFC_SAMPLE = (
    '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n'
    '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
    '  "literals": [null, true, false]\n}'
)
RFC_SAMPLE_CANONICAL = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)
RFC_SORTING = (
    '{\n  "\\u20ac": "Euro Sign",\n  "\\r": "Carriage Return",\n'
    '  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "1": "One",\n'
    '  "\\ud83d\\ude00": "Emoji: Grinning Face",\n  "\\u0080": "Control",\n'
    '  "\\u00f6": "Latin Small Letter O With Diaeresis"\n}'
)
RFC_SORTING_CANONICAL = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign",'
    '"😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
)


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        pytest.param(
            RFC_SAMPLE, RFC_SAMPLE_CANONICAL, id="the RFC's sample canonicalises as given"
        ),
        pytest.param(
            RFC_SORTING, RFC_SORTING_CANONICAL, id="keys sort by UTF-16 code units as the RFC shows"
        ),
        pytest.param(
            '{"b": 1, "a": {"d": [], "c": {}}}',
            '{"a":{"c":{},"d":[]},"b":1}',
            id="nested keys sort too",
        ),
        pytest.param('"数据交易"', '"数据交易"', id="Chinese is written as UTF-8, not escaped"),
    ],
)
def test_rfc8785_documents(source: str, canonical: str) -> None:
    assert canonical_json(json.loads(source)) == canonical.encode("utf-8")


# RFC 8785 appendix B: IEEE 754 doubles (as hex) and their ECMAScript serialisation.
NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(
    ("bits", "text"),
    [pytest.param(b, t, id=f"the double 0x{b} is written {t}") for b, t in NUMBERS],
)
def test_rfc8785_numbers(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json(value) == text.encode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(float("nan"), id="NaN cannot be canonicalised"),
        pytest.param(float("inf"), id="infinity cannot be canonicalised"),
        pytest.param(2**53, id="an integer beyond 2**53 - 1 cannot be canonicalised"),
        pytest.param("\ud800", id="a lone surrogate cannot be canonicalised"),
    ],
)
def test_what_json_cannot_carry_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)


def test_keccak_hex_is_keccak256() -> None:
    assert keccak_hex(b"") == "0x" + (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak_hex(b"abc") == "0x" + keccak(b"abc").hex()


def test_the_manifest_hash_ignores_key_order_and_whitespace() -> None:
    data = valid_manifest()
    shuffled = json.loads(json.dumps(dict(reversed(list(data.items()))), indent=7))
    spaced = json.loads(json.dumps(data, separators=(" ,  ", " :\n")))
    escaped = json.loads(json.dumps(data, ensure_ascii=True))
    hashes = {manifest_hash(manifest_from_data(d)) for d in (data, shuffled, spaced, escaped)}
    assert len(hashes) == 1


def test_the_manifest_hash_is_keccak_of_the_canonical_normal_form() -> None:
    data = valid_manifest()
    expected = "0x" + keccak(canonical_json(data)).hex()
    assert manifest_hash(manifest_from_data(data)) == expected
    with_null = edited({"source.authorisation_id": None})
    assert manifest_hash(manifest_from_data(with_null)) == expected


def test_any_change_changes_the_manifest_hash() -> None:
    base = manifest_hash(manifest_from_data(valid_manifest()))
    changed = manifest_hash(manifest_from_data(edited({"catalogue.price_fen": 100001})))
    assert base != changed


@settings(max_examples=100, deadline=None)
@given(json_values())
def test_canonical_json_is_stable_under_a_round_trip(value: Any) -> None:
    try:
        first = canonical_json(value)
    except ValueError:
        return
    # JSON numbers are doubles (RFC 8785 section 3.2.2.3): read them back as such.
    assert canonical_json(json.loads(first, parse_int=float)) == first
