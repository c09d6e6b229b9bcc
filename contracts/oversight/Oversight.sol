// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Membership} from "../membership/Membership.sol";
import {IConsortium} from "../membership/IConsortium.sol";
import {Codes} from "../common/OnelistTypes.sol";

/// @notice What oversight reads of the registries to find a subject's exchange.
interface IRegistryJurisdiction {
    function jurisdictionOf(bytes32 id) external view returns (bool exists, uint8 exchangeIndex);
}

/// @title Oversight
/// @notice Regulators' suspensions, scoped to a listing, a provider (all its listings), a licence
/// or an exchange's right to grant; each with a reason code, a legal-basis hash and an optional
/// end. The registries check every scope on every grant through {grantContext}.
abstract contract Oversight is Membership {
    uint64 internal constant INDEFINITE = type(uint64).max;

    IRegistryJurisdiction private immutable _listingRegistry;
    IRegistryJurisdiction private immutable _licenceRegistry;

    /// @dev keccak256(scope, subject) => the end of the suspension (0: not suspended).
    mapping(bytes32 key => uint64 until) private _suspendedUntil;

    constructor(address listingRegistry_, address licenceRegistry_) {
        _listingRegistry = IRegistryJurisdiction(listingRegistry_);
        _licenceRegistry = IRegistryJurisdiction(licenceRegistry_);
    }

    /// @inheritdoc IConsortium
    function suspend(uint8 scope, bytes32 subject, uint16 reasonCode, bytes32 legalBasis, uint64 until) external {
        uint32 province = _requireJurisdiction(scope, subject);
        if (until == 0) until = INDEFINITE;
        else if (until <= block.timestamp) revert OversightInvalidUntil(until);
        _suspendedUntil[_key(scope, subject)] = until;
        emit Suspended(scope, subject, msg.sender, province, reasonCode, legalBasis, until, _nextSeq());
    }

    /// @inheritdoc IConsortium
    function reinstate(uint8 scope, bytes32 subject, uint16 reasonCode, bytes32 legalBasis) external {
        _requireJurisdiction(scope, subject);
        bytes32 key = _key(scope, subject);
        if (_suspendedUntil[key] <= block.timestamp) revert OversightNotSuspended(scope, subject);
        delete _suspendedUntil[key];
        emit Reinstated(scope, subject, msg.sender, reasonCode, legalBasis, _nextSeq());
    }

    /// @inheritdoc IConsortium
    function isSuspended(uint8 scope, bytes32 subject) public view returns (bool) {
        return _suspendedUntil[_key(scope, subject)] > block.timestamp;
    }

    /// @notice When the suspension of `subject` in `scope` ends (0: none; type(uint64).max: until reinstated).
    function suspendedUntil(uint8 scope, bytes32 subject) external view returns (uint64) {
        uint64 until = _suspendedUntil[_key(scope, subject)];
        return until > block.timestamp ? until : 0;
    }

    /// @dev Reverts with {OversightSuspended} when `subject` is suspended in `scope`.
    function _requireNotSuspended(uint8 scope, bytes32 subject) internal view {
        uint64 until = _suspendedUntil[_key(scope, subject)];
        if (until > block.timestamp) revert OversightSuspended(scope, subject, until);
    }

    function _key(uint8 scope, bytes32 subject) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(scope, subject));
    }

    /// @dev The caller must be a regulator covering the subject's exchange; returns its province.
    function _requireJurisdiction(uint8 scope, bytes32 subject) private view returns (uint32 province) {
        Regulator memory r = _regulatorOf(msg.sender);
        if (!r.active) revert ConsortiumNotRegulator(msg.sender);
        bool exists;
        uint8 index;
        if (scope == Codes.SCOPE_LISTING) {
            (exists, index) = _listingRegistry.jurisdictionOf(subject);
        } else if (scope == Codes.SCOPE_LICENCE) {
            (exists, index) = _licenceRegistry.jurisdictionOf(subject);
        } else if (scope == Codes.SCOPE_PROVIDER) {
            if (uint256(subject) >> 160 != 0) revert OversightUnknownSubject(scope, subject);
            bytes8 code = _participantExchange(address(uint160(uint256(subject))));
            (exists, index) = (code != bytes8(0), _exchangeIndex(code));
        } else if (scope == Codes.SCOPE_EXCHANGE_GRANTING) {
            bytes8 code = bytes8(subject);
            if (bytes32(code) != subject) revert OversightUnknownSubject(scope, subject);
            (exists, index) = (_exchangeStatus(code) != 0, _exchangeIndex(code));
        } else {
            revert OversightInvalidScope(scope);
        }
        if (!exists) revert OversightUnknownSubject(scope, subject);
        if (!regulatorCovers(msg.sender, index)) revert OversightOutOfJurisdiction(msg.sender, scope, subject);
        return r.province;
    }
}
