// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Membership} from "./Membership.sol";
import {IConsortium} from "./IConsortium.sol";
import {Codes} from "../common/OnelistTypes.sol";

/// @title Governance
/// @notice Proposals that member exchanges vote on, one vote per exchange. A proposal passes with
/// at least two thirds of the members active when it was created and must be executed within its
/// voting window; execution is permissionless. No account holds any other power over membership.
abstract contract Governance is Membership {
    struct Proposal {
        bytes32 dataHash;
        uint64 deadline;
        uint16 required;
        uint16 yes;
        uint16 no;
        uint8 kind;
        bool executed;
    }

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(bytes8 exchange => bool)) private _voted;
    uint256 private _proposalCount;

    /// @inheritdoc IConsortium
    function propose(uint8 kind, bytes calldata data) external returns (uint256 proposalId) {
        (bytes8 code,) = _requireOperator(msg.sender);
        _validateProposal(kind, data);
        uint16 active = _params.activeMembers;
        // ceil(2n/3): "at least two thirds of the active members"
        uint16 required = uint16((uint256(active) * 2 + 2) / 3);
        uint64 deadline = uint64(block.timestamp) + _params.votingPeriod;
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal({
            dataHash: keccak256(data),
            deadline: deadline,
            required: required,
            yes: 0,
            no: 0,
            kind: kind,
            executed: false
        });
        emit ProposalCreated(proposalId, code, msg.sender, kind, data, deadline, required, _nextSeq());
        _castVote(proposalId, code, true);
    }

    /// @inheritdoc IConsortium
    function vote(uint256 proposalId, bool support) external {
        (bytes8 code,) = _requireOperator(msg.sender);
        _castVote(proposalId, code, support);
    }

    /// @inheritdoc IConsortium
    function execute(uint256 proposalId, bytes calldata data) external {
        Proposal storage p = _existing(proposalId);
        if (p.executed) revert GovernanceAlreadyExecuted(proposalId);
        if (block.timestamp > p.deadline) revert GovernanceVotingClosed(proposalId, p.deadline);
        if (p.yes < p.required) revert GovernanceNotPassed(proposalId, p.yes, p.required);
        if (keccak256(data) != p.dataHash) revert GovernanceDataMismatch(proposalId);
        p.executed = true;
        emit ProposalExecuted(proposalId, msg.sender, _nextSeq());
        _apply(p.kind, data, proposalId);
    }

    /// @notice A proposal: its data hash, deadline, required yes votes, tallies, kind and whether it was executed.
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @notice Whether `exchange` has voted on `proposalId`.
    function hasVoted(uint256 proposalId, bytes8 exchange) external view returns (bool) {
        return _voted[proposalId][exchange];
    }

    /// @notice How many proposals were made; ids run from 1 to this.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    function _existing(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.deadline == 0) revert GovernanceUnknownProposal(proposalId);
    }

    function _castVote(uint256 proposalId, bytes8 code, bool support) private {
        Proposal storage p = _existing(proposalId);
        if (p.executed) revert GovernanceAlreadyExecuted(proposalId);
        if (block.timestamp > p.deadline) revert GovernanceVotingClosed(proposalId, p.deadline);
        if (_voted[proposalId][code]) revert GovernanceAlreadyVoted(proposalId, code);
        _voted[proposalId][code] = true;
        if (support) p.yes += 1;
        else p.no += 1;
        emit VoteCast(proposalId, code, msg.sender, support, p.yes, p.no, _nextSeq());
    }

    /// @dev Refuses at proposal time what could never be executed, so members do not vote on it.
    function _validateProposal(uint8 kind, bytes calldata data) private view {
        _checkDataLength(kind, data.length);
        if (kind == Codes.PROPOSAL_ADMIT_EXCHANGE) {
            (bytes8 code,, uint32 province, address firstOperator) = abi.decode(data, (bytes8, string, uint32, address));
            _validateNewExchange(code, province, firstOperator);
        } else if (kind == Codes.PROPOSAL_REMOVE_EXCHANGE) {
            _validateRemoveExchange(abi.decode(data, (bytes8)));
        } else if (kind == Codes.PROPOSAL_ADD_REGULATOR) {
            (address account, uint32 province,) = abi.decode(data, (address, uint32, string));
            _validateNewRegulator(account, province);
        } else if (kind == Codes.PROPOSAL_REMOVE_REGULATOR) {
            _validateRemoveRegulator(abi.decode(data, (address)));
        } else if (kind == Codes.PROPOSAL_SET_FEE_SCHEDULE) {
            (uint16 homeBps, uint16 grantingBps, uint16 consortiumBps) = abi.decode(data, (uint16, uint16, uint16));
            _validateFeeSchedule(homeBps, grantingBps, consortiumBps);
        } else if (kind == Codes.PROPOSAL_SET_VOTING_PERIOD) {
            _validateVotingPeriod(abi.decode(data, (uint64)));
        } else {
            revert GovernanceUnknownKind(kind);
        }
    }

    /// @dev Without this, data too short for its kind's tuple would make `abi.decode` revert with no
    /// reason at all. The tuples of static types have one exact length; those with a string
    /// (admit an exchange, add a regulator) need their head words, the string's offset among
    /// them, and its length word at least. `abi.decode` still checks the rest (offsets, values).
    function _checkDataLength(uint8 kind, uint256 length) private pure {
        uint256 minimum;
        bool exact = true;
        if (kind == Codes.PROPOSAL_ADMIT_EXCHANGE) {
            (minimum, exact) = (5 * 32, false); // bytes8, string, uint32, address + the string's length
        } else if (kind == Codes.PROPOSAL_ADD_REGULATOR) {
            (minimum, exact) = (4 * 32, false); // address, uint32, string + the string's length
        } else if (kind == Codes.PROPOSAL_SET_FEE_SCHEDULE) {
            minimum = 3 * 32; // uint16, uint16, uint16
        } else if (kind <= Codes.PROPOSAL_SET_VOTING_PERIOD) {
            minimum = 32; // one bytes8, address or uint64
        } else {
            revert GovernanceUnknownKind(kind);
        }
        if (length < minimum || (exact && length != minimum)) {
            revert GovernanceMalformedData(kind, length, minimum);
        }
    }

    function _apply(uint8 kind, bytes calldata data, uint256 proposalId) private {
        if (kind == Codes.PROPOSAL_ADMIT_EXCHANGE) {
            (bytes8 code, string memory name, uint32 province, address firstOperator) =
                abi.decode(data, (bytes8, string, uint32, address));
            _admitExchange(code, name, province, firstOperator, proposalId);
        } else if (kind == Codes.PROPOSAL_REMOVE_EXCHANGE) {
            _removeExchange(abi.decode(data, (bytes8)), proposalId);
        } else if (kind == Codes.PROPOSAL_ADD_REGULATOR) {
            (address account, uint32 province, string memory name) = abi.decode(data, (address, uint32, string));
            _addRegulator(account, province, name, proposalId);
        } else if (kind == Codes.PROPOSAL_REMOVE_REGULATOR) {
            _removeRegulator(abi.decode(data, (address)), proposalId);
        } else if (kind == Codes.PROPOSAL_SET_FEE_SCHEDULE) {
            (uint16 homeBps, uint16 grantingBps, uint16 consortiumBps) = abi.decode(data, (uint16, uint16, uint16));
            _setFeeSchedule(homeBps, grantingBps, consortiumBps, proposalId);
        } else {
            _setVotingPeriod(abi.decode(data, (uint64)), proposalId);
        }
    }
}
