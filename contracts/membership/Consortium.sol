// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Governance} from "./Governance.sol";
import {Membership} from "./Membership.sol";
import {IConsortium} from "./IConsortium.sol";
import {Oversight} from "../oversight/Oversight.sol";
import {Codes} from "../common/OnelistTypes.sol";

/// @title Consortium
/// @notice The consortium of data exchanges: membership, governance and regulators' oversight in
/// one deployment, so that a grant checks every party and every suspension in a single call.
/// The founding members, regulators and parameters come from the constructor; afterwards no
/// account has any power except through proposals the members vote on.
contract Consortium is Governance, Oversight {
    struct FoundingExchange {
        bytes8 code;
        string name;
        uint32 province;
        address firstOperator;
    }

    struct FoundingRegulator {
        address account;
        uint32 province;
        string name;
    }

    /// @param listingRegistry_ the ListingRegistry (its address is known before it is deployed).
    /// @param licenceRegistry_ the LicenceRegistry.
    constructor(
        FoundingExchange[] memory exchanges,
        FoundingRegulator[] memory regulators,
        uint16[3] memory feeBps,
        uint64 votingPeriod,
        address listingRegistry_,
        address licenceRegistry_
    ) Oversight(listingRegistry_, licenceRegistry_) {
        if (exchanges.length == 0) revert ConsortiumFoundingMismatch();
        for (uint256 i = 0; i < exchanges.length; ++i) {
            FoundingExchange memory ex = exchanges[i];
            _admitExchange(ex.code, ex.name, ex.province, ex.firstOperator, 0);
        }
        for (uint256 i = 0; i < regulators.length; ++i) {
            _addRegulator(regulators[i].account, regulators[i].province, regulators[i].name, 0);
        }
        _setFeeSchedule(feeBps[0], feeBps[1], feeBps[2], 0);
        _setVotingPeriod(votingPeriod, 0);
    }

    /// @inheritdoc IConsortium
    function listingContext(address operator, address provider) external view returns (bytes8 code, uint8 index) {
        (code, index) = _requireOperator(operator);
        uint64 until = _requireParticipant(provider, Codes.ROLE_PROVIDER).suspendedUntil;
        if (until > block.timestamp) {
            revert OversightSuspended(Codes.SCOPE_PROVIDER, bytes32(uint256(uint160(provider))), until);
        }
    }

    /// @inheritdoc IConsortium
    function grantContext(address operator, address licensee, address provider)
        external
        view
        returns (bytes8 code, uint8 index, uint48 fees)
    {
        (code, index, fees) = _grantingExchange(operator);
        _requireParticipant(licensee, Codes.ROLE_LICENSEE);
        uint64 until = _providerSuspendedUntil(provider);
        if (until > block.timestamp) {
            revert OversightSuspended(Codes.SCOPE_PROVIDER, bytes32(uint256(uint160(provider))), until);
        }
    }
}
