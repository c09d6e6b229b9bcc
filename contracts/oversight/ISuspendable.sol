// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISuspendable
/// @notice A registry that keeps the regulators' suspension of its records in the record's own
/// storage slot, so that a grant reads it for free. Only the Consortium (where regulators act and
/// jurisdiction is checked) may set it.
interface ISuspendable {
    /// @notice Sets the end of `id`'s suspension (0 lifts it).
    /// @return exists whether `id` is a record of this registry (nothing is written otherwise).
    /// @return exchangeIndex the exchange whose regulators have jurisdiction (home or granting).
    /// @return previous the end of the suspension before this call.
    function setSuspension(bytes32 id, uint64 until)
        external
        returns (bool exists, uint8 exchangeIndex, uint64 previous);

    /// @notice The end of `id`'s suspension as stored (it is in force while later than now).
    function suspendedUntil(bytes32 id) external view returns (uint64);
}
