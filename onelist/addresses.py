"""EIP-55 checksum addresses, cached: the indexer meets the same few hundred accounts in every
block, and computing a checksum costs a keccak each time."""

from __future__ import annotations

import functools

from eth_utils import to_checksum_address


@functools.lru_cache(maxsize=65_536)
def checksum(address: str | bytes) -> str:
    """``address`` (0x-hex in any case, or 20 bytes) in EIP-55 form."""
    return str(to_checksum_address(address))
