"""The participants' area's pure helpers for licence terms."""

from __future__ import annotations

import pytest

from node.api.submissions import exchange_label


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        (b"SH\0\0\0\0\0\0", "SH"),
        (b"GUANGDON", "GUANGDON"),
        (bytes.fromhex("4a6f7e3b1793fd8d"), "0x4a6f7e3b1793fd8d"),
        (b"S\nH\0\0\0\0\0", "0x530a480000000000"),
        (b"\0" * 8, ""),
    ],
    ids=[
        "an exchange code shows as its code",
        "a code of eight letters has no padding",
        "bytes that are not ASCII show as hex instead of failing",
        "a control character shows as hex",
        "no exchange at all is empty",
    ],
)
def test_exchange_label(raw: bytes, label: str) -> None:
    assert exchange_label(raw) == label
