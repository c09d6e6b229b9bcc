// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CalldataHash
/// @notice keccak256 over a static struct as it lies in calldata, without copying it through the
/// ABI decoder into memory first.
/// @dev For a static struct (fixed-size fields only) the calldata bytes are its ABI encoding, so
/// the hash equals `keccak256(abi.encode(s))` whenever the caller encoded it canonically. A
/// non-canonical encoding (dirty high bits) hashes to a value that matches nothing stored or
/// signed, so the call fails closed. Saves the memory copy and per-field validation of 15-19
/// words on every listing and grant.
library CalldataHash {
    /// @dev keccak256(calldata[offset : offset + length]).
    function hash(uint256 offset, uint256 length) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, offset, length)
            result := keccak256(ptr, length)
        }
    }

    /// @dev keccak256(typehash ‖ calldata[offset : offset + length]): an EIP-712 `hashStruct` of a
    /// struct whose fields are all atomic types.
    function hashStruct(bytes32 typehash, uint256 offset, uint256 length) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), offset, length)
            result := keccak256(ptr, add(length, 0x20))
        }
    }
}
