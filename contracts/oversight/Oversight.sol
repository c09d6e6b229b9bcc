// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Membership} from "../membership/Membership.sol";
import {IConsortium} from "../membership/IConsortium.sol";
import {ISuspendable} from "./ISuspendable.sol";
import {Codes} from "../common/OnelistTypes.sol";

/// @title Oversight
/// @notice Regulators' suspensions, scoped to a listing, a provider (all its listings), a licence
/// or an exchange's right to grant; each with a reason code, a legal-basis hash and an optional
/// end. Regulators act here, where jurisdiction is checked; the suspension itself is stored in the
/// slot a grant reads anyway (the listing's, the licence's, the provider's registration, the
/// exchange's), so enforcing it on every grant costs no extra storage read.
abstract contract Oversight is Membership {
    uint64 internal constant INDEFINITE = type(uint64).max;

    ISuspendable private immutable _listingRegistry;
    ISuspendable private immutable _licenceRegistry;

    constructor(address listingRegistry_, address licenceRegistry_) {
        _listingRegistry = ISuspendable(listingRegistry_);
        _licenceRegistry = ISuspendable(licenceRegistry_);
    }

    /// @inheritdoc IConsortium
    function suspend(uint8 scope, bytes32 subject, uint16 reasonCode, bytes32 legalBasis, uint64 until) external {
        uint32 province = _requireRegulator();
        if (until == 0) until = INDEFINITE;
        else if (until <= block.timestamp) revert OversightInvalidUntil(until);
        _setSuspension(scope, subject, until);
        emit Suspended(scope, subject, msg.sender, province, reasonCode, legalBasis, until, _nextSeq());
    }

    /// @inheritdoc IConsortium
    function reinstate(uint8 scope, bytes32 subject, uint16 reasonCode, bytes32 legalBasis) external {
        _requireRegulator();
        uint64 previous = _setSuspension(scope, subject, 0);
        if (previous <= block.timestamp) revert OversightNotSuspended(scope, subject);
        emit Reinstated(scope, subject, msg.sender, reasonCode, legalBasis, _nextSeq());
    }

    /// @inheritdoc IConsortium
    function isSuspended(uint8 scope, bytes32 subject) external view returns (bool) {
        return suspendedUntil(scope, subject) > block.timestamp;
    }

    /// @notice When the suspension of `subject` in `scope` ends, as stored (in force while later
    /// than now; type(uint64).max: until reinstated; 0: never suspended or reinstated).
    function suspendedUntil(uint8 scope, bytes32 subject) public view returns (uint64) {
        if (scope == Codes.SCOPE_LISTING) return _listingRegistry.suspendedUntil(subject);
        if (scope == Codes.SCOPE_LICENCE) return _licenceRegistry.suspendedUntil(subject);
        if (scope == Codes.SCOPE_PROVIDER) return _providerSuspendedUntil(_subjectAddress(scope, subject));
        if (scope == Codes.SCOPE_EXCHANGE_GRANTING) return _exchangeSuspendedUntil(_subjectCode(scope, subject));
        revert OversightInvalidScope(scope);
    }

    /// @dev Writes the suspension where its scope keeps it; reverts (undoing the write) unless the
    /// subject exists and the caller's jurisdiction covers its exchange. Returns the previous end.
    function _setSuspension(uint8 scope, bytes32 subject, uint64 until) private returns (uint64 previous) {
        bool exists;
        uint8 index;
        if (scope == Codes.SCOPE_LISTING) {
            (exists, index, previous) = _listingRegistry.setSuspension(subject, until);
        } else if (scope == Codes.SCOPE_LICENCE) {
            (exists, index, previous) = _licenceRegistry.setSuspension(subject, until);
        } else if (scope == Codes.SCOPE_PROVIDER) {
            (exists, index, previous) = _setProviderSuspension(_subjectAddress(scope, subject), until);
        } else if (scope == Codes.SCOPE_EXCHANGE_GRANTING) {
            (exists, index, previous) = _setExchangeSuspension(_subjectCode(scope, subject), until);
        } else {
            revert OversightInvalidScope(scope);
        }
        if (!exists) revert OversightUnknownSubject(scope, subject);
        if (!regulatorCovers(msg.sender, index)) revert OversightOutOfJurisdiction(msg.sender, scope, subject);
    }

    function _requireRegulator() private view returns (uint32 province) {
        Regulator memory r = _regulatorOf(msg.sender);
        if (!r.active) revert ConsortiumNotRegulator(msg.sender);
        return r.province;
    }

    /// @dev A provider subject is its address, right-aligned.
    function _subjectAddress(uint8 scope, bytes32 subject) private pure returns (address) {
        if (uint256(subject) >> 160 != 0) revert OversightUnknownSubject(scope, subject);
        return address(uint160(uint256(subject)));
    }

    /// @dev An exchange subject is its code, left-aligned.
    function _subjectCode(uint8 scope, bytes32 subject) private pure returns (bytes8 code) {
        code = bytes8(subject);
        if (bytes32(code) != subject) revert OversightUnknownSubject(scope, subject);
    }
}
