// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";
import {Codes} from "../common/OnelistTypes.sol";

/// @title Membership
/// @notice Exchanges, their operators, regulators and participants, plus the consortium-wide
/// parameters. Changes to exchanges, regulators and parameters come only through {Governance}.
abstract contract Membership is IConsortium {
    /// @dev One slot, read on every grant: the right to grant is suspended here too.
    struct Exchange {
        uint8 index;
        uint8 status;
        uint16 operatorCount;
        uint32 province;
        uint64 grantingSuspendedUntil;
    }

    struct Regulator {
        bool active;
        uint32 province; // 0: national
    }

    /// @dev One slot: a provider's suspension sits beside its registration.
    struct Participant {
        bytes8 registeredBy;
        uint8 roles;
        uint64 suspendedUntil;
    }

    struct Operator {
        bytes8 code;
        uint8 index;
    }

    struct Params {
        uint64 votingPeriod;
        uint16 activeMembers;
        uint64 eventSeq;
    }

    /// @dev The one slot every grant reads besides the parties': the fee schedule, and a bit per
    /// exchange that may not grant now (removed, or suspended from granting), so that the common
    /// case needs no read of the exchange itself.
    struct GrantParams {
        uint16 homeBps;
        uint16 grantingBps;
        uint16 consortiumBps;
        uint208 blocked;
    }

    uint64 internal constant MIN_VOTING_PERIOD = 60;
    uint64 internal constant MAX_VOTING_PERIOD = 90 days;
    /// @dev One bit each in {GrantParams.blocked}.
    uint256 internal constant MAX_EXCHANGES = 208;

    mapping(bytes8 code => Exchange) private _exchanges;
    bytes8[] private _exchangeCodes;
    mapping(address account => Operator) private _operators;
    mapping(address account => Regulator) private _regulators;
    mapping(address account => Participant) private _participants;
    Params internal _params;
    GrantParams internal _grantParams;

    // ----------------------------------------------------------------- external

    /// @inheritdoc IConsortium
    function addOperator(address account) external {
        (bytes8 code,) = _requireOperator(msg.sender);
        _addOperator(code, account, msg.sender);
    }

    /// @inheritdoc IConsortium
    function removeOperator(address account) external {
        (bytes8 code,) = _requireOperator(msg.sender);
        if (_operators[account].code != code) revert ConsortiumNotOperatorOf(account, code);
        Exchange storage ex = _exchanges[code];
        if (ex.operatorCount == 1) revert ConsortiumLastOperator(code, account);
        ex.operatorCount -= 1;
        delete _operators[account];
        emit OperatorRemoved(code, account, msg.sender, _nextSeq());
    }

    /// @inheritdoc IConsortium
    function registerParticipant(address account, uint8 roles, bytes32 identityHash) external {
        (bytes8 code,) = _requireOperator(msg.sender);
        if (roles == 0 || roles > (Codes.ROLE_PROVIDER | Codes.ROLE_LICENSEE)) revert ConsortiumInvalidRoles(roles);
        _requireUnused(account);
        _participants[account] = Participant({registeredBy: code, roles: roles, suspendedUntil: 0});
        emit ParticipantRegistered(account, code, msg.sender, roles, identityHash, _nextSeq());
    }

    /// @inheritdoc IConsortium
    function grantParticipantRoles(address account, uint8 roles) external {
        (bytes8 code,) = _requireOperator(msg.sender);
        if (roles == 0 || roles > (Codes.ROLE_PROVIDER | Codes.ROLE_LICENSEE)) revert ConsortiumInvalidRoles(roles);
        _addParticipantRoles(code, account, roles, msg.sender);
    }

    // ----------------------------------------------------------------- views

    /// @notice An exchange's index, status (1 active, 2 removed), province and operator count.
    function exchange(bytes8 code)
        external
        view
        returns (uint8 index, uint8 status, uint32 province, uint16 operatorCount)
    {
        Exchange memory ex = _exchanges[code];
        return (ex.index, ex.status, ex.province, ex.operatorCount);
    }

    /// @notice The code of the exchange with `index`.
    function exchangeCodeAt(uint8 index) external view returns (bytes8) {
        return _exchangeCodes[index];
    }

    /// @notice How many exchanges were ever admitted; indexes run from 0 to this minus one.
    function exchangeCount() external view returns (uint256) {
        return _exchangeCodes.length;
    }

    /// @notice A regulator's status and province (0: national).
    function regulator(address account) external view returns (bool active, uint32 province) {
        Regulator memory r = _regulators[account];
        return (r.active, r.province);
    }

    /// @notice The exchange that registered `account` and its roles (bit 0 provider, bit 1 licensee).
    function participant(address account) external view returns (bytes8 registeredBy, uint8 roles) {
        Participant memory p = _participants[account];
        return (p.registeredBy, p.roles);
    }

    /// @notice The voted fee schedule in basis points.
    function feeSchedule() external view returns (uint16 homeBps, uint16 grantingBps, uint16 consortiumBps) {
        GrantParams memory g = _grantParams;
        return (g.homeBps, g.grantingBps, g.consortiumBps);
    }

    /// @notice The voting window of new proposals, the number of active members and the number of
    /// events this contract has emitted (the last `seq`).
    function parameters() external view returns (uint64 votingPeriod, uint16 activeMembers, uint64 eventCount) {
        return (_params.votingPeriod, _params.activeMembers, _params.eventSeq);
    }

    /// @inheritdoc IConsortium
    function requireOperator(address account) external view returns (bytes8 code, uint8 index) {
        return _requireOperator(account);
    }

    /// @inheritdoc IConsortium
    function operatorExchange(address account) public view returns (bytes8 code, uint8 index) {
        Operator memory op = _operators[account];
        return (op.code, op.index);
    }

    /// @inheritdoc IConsortium
    function regulatorCovers(address account, uint8 exchangeIndex) public view returns (bool) {
        Regulator memory r = _regulators[account];
        if (!r.active) return false;
        if (r.province == 0) return true;
        return exchangeIndex < _exchangeCodes.length
            && _exchanges[_exchangeCodes[exchangeIndex]].province == r.province;
    }

    // ----------------------------------------------------------------- internal

    function _nextSeq() internal returns (uint64) {
        return ++_params.eventSeq;
    }

    /// @dev The caller's exchange, which must be active.
    function _requireOperator(address account) internal view returns (bytes8 code, uint8 index) {
        Exchange memory ex;
        (code, ex) = _operatorExchange(account);
        index = ex.index;
    }

    function _operatorExchange(address account) internal view returns (bytes8 code, Exchange memory ex) {
        code = _operators[account].code;
        if (code == bytes8(0)) revert ConsortiumNotOperator(account);
        ex = _exchanges[code];
        if (ex.status != Codes.EXCHANGE_ACTIVE) revert ConsortiumExchangeNotActive(code);
    }

    /// @dev The exchange `account` grants for, the fee schedule packed as three uint16 (home,
    /// granting, consortium) from the low bits; reverts unless the exchange may grant now.
    function _grantingExchange(address account) internal view returns (bytes8 code, uint8 index, uint48 fees) {
        Operator memory op = _operators[account];
        if (op.code == bytes8(0)) revert ConsortiumNotOperator(account);
        GrantParams memory g = _grantParams;
        if ((g.blocked >> op.index) & 1 != 0) {
            Exchange memory ex = _exchanges[op.code];
            if (ex.status != Codes.EXCHANGE_ACTIVE) revert ConsortiumExchangeNotActive(op.code);
            if (ex.grantingSuspendedUntil > block.timestamp) {
                revert OversightSuspended(Codes.SCOPE_EXCHANGE_GRANTING, bytes32(op.code), ex.grantingSuspendedUntil);
            }
        }
        fees = uint48(g.homeBps) | (uint48(g.grantingBps) << 16) | (uint48(g.consortiumBps) << 32);
        return (op.code, op.index, fees);
    }

    function _requireUnused(address account) internal view {
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (_operators[account].code != bytes8(0) || _regulators[account].active) revert ConsortiumAccountInUse(account);
        Participant memory p = _participants[account];
        if (p.roles != 0) revert ConsortiumParticipantExists(account, p.registeredBy);
    }

    function _requireParticipant(address account, uint8 role) internal view returns (Participant memory p) {
        p = _participants[account];
        if (p.roles & role == 0) revert ConsortiumNotParticipant(account, role);
    }

    /// @dev Adds `roles` (checked: non-zero, known bits) to `account` for the registering exchange `code`.
    function _addParticipantRoles(bytes8 code, address account, uint8 roles, address actor) internal {
        Participant storage p = _participants[account];
        (bytes8 registeredBy, uint8 held, uint64 until) = (p.registeredBy, p.roles, p.suspendedUntil);
        if (held == 0) revert ConsortiumParticipantNotRegistered(account);
        if (registeredBy != code) revert ConsortiumNotRegisteringExchange(account, registeredBy, code);
        uint8 added = roles & ~held;
        if (added == 0) revert ConsortiumRolesAlreadyHeld(account, roles, held);
        if (until > block.timestamp) {
            revert OversightSuspended(Codes.SCOPE_PROVIDER, bytes32(uint256(uint160(account))), until);
        }
        p.roles = held | added;
        emit ParticipantRolesAdded(account, code, actor, added, held | added, _nextSeq());
    }

    /// @dev Sets a provider's suspension; returns whether it is a registered provider (a licensee
    /// only is not: nothing would enforce it), its exchange's index and the previous end.
    function _setProviderSuspension(address account, uint64 until)
        internal
        returns (bool exists, uint8 index, uint64 previous)
    {
        Participant storage p = _participants[account];
        if (p.roles & Codes.ROLE_PROVIDER == 0) return (false, 0, 0);
        previous = p.suspendedUntil;
        p.suspendedUntil = until;
        return (true, _exchanges[p.registeredBy].index, previous);
    }

    function _providerSuspendedUntil(address account) internal view returns (uint64) {
        return _participants[account].suspendedUntil;
    }

    /// @dev Sets the suspension of an exchange's right to grant.
    function _setExchangeSuspension(bytes8 code, uint64 until)
        internal
        returns (bool exists, uint8 index, uint64 previous)
    {
        Exchange storage ex = _exchanges[code];
        if (ex.status == 0) return (false, 0, 0);
        previous = ex.grantingSuspendedUntil;
        ex.grantingSuspendedUntil = until;
        if (ex.status == Codes.EXCHANGE_ACTIVE) _setBlocked(ex.index, until != 0);
        return (true, ex.index, previous);
    }

    function _setBlocked(uint8 index, bool blocked) private {
        uint208 bit = uint208(1) << index;
        if (blocked) _grantParams.blocked |= bit;
        else _grantParams.blocked &= ~bit;
    }

    function _exchangeSuspendedUntil(bytes8 code) internal view returns (uint64) {
        return _exchanges[code].grantingSuspendedUntil;
    }

    function _regulatorOf(address account) internal view returns (Regulator memory) {
        return _regulators[account];
    }

    /// @dev A GB/T 2260 province-level code (110000 to 820000, ending in 0000), as the founding
    /// TOML requires: a regulator's jurisdiction is an exact match of the exchange's province, so a
    /// city or county code would leave an exchange or a regulator outside every jurisdiction.
    function _isProvince(uint32 province) private pure returns (bool) {
        return province >= 110000 && province <= 829999 && province % 10_000 == 0;
    }

    function _validateNewExchange(bytes8 code, uint32 province, address firstOperator) internal view {
        if (code == bytes8(0) || !_isProvince(province)) revert ConsortiumInvalidExchange(code, province);
        if (_exchanges[code].status != 0) revert ConsortiumExchangeExists(code);
        if (_exchangeCodes.length >= MAX_EXCHANGES) revert ConsortiumTooManyExchanges(_exchangeCodes.length);
        _requireUnused(firstOperator);
    }

    function _admitExchange(bytes8 code, string memory name, uint32 province, address firstOperator, uint256 proposalId)
        internal
    {
        _validateNewExchange(code, province, firstOperator);
        uint8 index = uint8(_exchangeCodes.length);
        _exchangeCodes.push(code);
        _exchanges[code] = Exchange({
            index: index, status: Codes.EXCHANGE_ACTIVE, operatorCount: 0, province: province, grantingSuspendedUntil: 0
        });
        _params.activeMembers += 1;
        emit ExchangeAdmitted(code, index, province, name, firstOperator, proposalId, _nextSeq());
        _addOperator(code, firstOperator, address(0));
    }

    function _validateRemoveExchange(bytes8 code) internal view {
        if (_exchanges[code].status != Codes.EXCHANGE_ACTIVE) revert ConsortiumExchangeNotActive(code);
        if (_params.activeMembers <= 1) revert ConsortiumLastMember(code);
    }

    function _removeExchange(bytes8 code, uint256 proposalId) internal {
        _validateRemoveExchange(code);
        _exchanges[code].status = Codes.EXCHANGE_REMOVED;
        _setBlocked(_exchanges[code].index, true);
        _params.activeMembers -= 1;
        emit ExchangeRemoved(code, proposalId, _nextSeq());
    }

    function _addOperator(bytes8 code, address account, address actor) internal {
        _requireUnused(account);
        Exchange storage ex = _exchanges[code];
        _operators[account] = Operator({code: code, index: ex.index});
        ex.operatorCount += 1;
        emit OperatorAdded(code, account, actor, _nextSeq());
    }

    function _validateNewRegulator(address account, uint32 province) internal view {
        if (province != 0 && !_isProvince(province)) revert ConsortiumInvalidExchange(bytes8(0), province);
        if (_regulators[account].active) revert ConsortiumRegulatorExists(account);
        _requireUnused(account);
    }

    function _addRegulator(address account, uint32 province, string memory name, uint256 proposalId) internal {
        _validateNewRegulator(account, province);
        _regulators[account] = Regulator({active: true, province: province});
        emit RegulatorAdded(account, province, name, proposalId, _nextSeq());
    }

    function _validateRemoveRegulator(address account) internal view {
        if (!_regulators[account].active) revert ConsortiumNotRegulator(account);
    }

    function _removeRegulator(address account, uint256 proposalId) internal {
        _validateRemoveRegulator(account);
        _regulators[account].active = false;
        emit RegulatorRemoved(account, proposalId, _nextSeq());
    }

    function _validateFeeSchedule(uint16 homeBps, uint16 grantingBps, uint16 consortiumBps) internal pure {
        if (uint256(homeBps) + grantingBps + consortiumBps > 10_000) {
            revert ConsortiumInvalidFeeSchedule(homeBps, grantingBps, consortiumBps);
        }
    }

    function _setFeeSchedule(uint16 homeBps, uint16 grantingBps, uint16 consortiumBps, uint256 proposalId) internal {
        _validateFeeSchedule(homeBps, grantingBps, consortiumBps);
        GrantParams storage g = _grantParams;
        (g.homeBps, g.grantingBps, g.consortiumBps) = (homeBps, grantingBps, consortiumBps);
        emit FeeScheduleSet(homeBps, grantingBps, consortiumBps, proposalId, _nextSeq());
    }

    function _validateVotingPeriod(uint64 votingPeriod) internal pure {
        if (votingPeriod < MIN_VOTING_PERIOD || votingPeriod > MAX_VOTING_PERIOD) {
            revert ConsortiumInvalidVotingPeriod(votingPeriod);
        }
    }

    function _setVotingPeriod(uint64 votingPeriod, uint256 proposalId) internal {
        _validateVotingPeriod(votingPeriod);
        _params.votingPeriod = votingPeriod;
        emit VotingPeriodSet(votingPeriod, proposalId, _nextSeq());
    }
}
