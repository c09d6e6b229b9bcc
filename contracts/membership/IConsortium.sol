// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IConsortium
/// @notice Members, operators, regulators and participants of the consortium; governance by
/// the member exchanges' votes; and the regulators' enforced suspensions. Every event carries
/// `seq`, the contract-wide event sequence number (1, 2, 3, ...) so that a node can prove its
/// mirror of this contract is complete.
interface IConsortium {
    // ----------------------------------------------------------------- membership

    /// @notice An exchange became a member (at deployment, or by proposal `proposalId`; 0 = founding).
    event ExchangeAdmitted(
        bytes8 indexed code, uint8 index, uint32 province, string name, address firstOperator, uint256 proposalId, uint64 seq
    );
    /// @notice An exchange stopped being a member; its operators lose all rights.
    event ExchangeRemoved(bytes8 indexed code, uint256 proposalId, uint64 seq);
    /// @notice `operator` now acts for `exchange`; `actor` is the operator who added it (0 at admission).
    event OperatorAdded(bytes8 indexed exchange, address indexed operator, address indexed actor, uint64 seq);
    /// @notice `operator` no longer acts for `exchange`.
    event OperatorRemoved(bytes8 indexed exchange, address indexed operator, address indexed actor, uint64 seq);
    /// @notice A regulator was added: national when `province` is 0, otherwise that province's.
    event RegulatorAdded(address indexed regulator, uint32 province, string name, uint256 proposalId, uint64 seq);
    /// @notice A regulator was removed.
    event RegulatorRemoved(address indexed regulator, uint256 proposalId, uint64 seq);
    /// @notice A provider or licensee was registered by `exchange` after its identity check.
    event ParticipantRegistered(
        address indexed participant, bytes8 indexed exchange, address indexed actor, uint8 roles, bytes32 identityHash, uint64 seq
    );
    /// @notice `exchange`, which registered `participant`, gave it the roles `added` (through
    /// `actor`, one of its operators); `roles` are all the roles it holds now.
    event ParticipantRolesAdded(
        address indexed participant, bytes8 indexed exchange, address indexed actor, uint8 added, uint8 roles, uint64 seq
    );
    /// @notice The voted fee schedule, in basis points of a licence's price.
    event FeeScheduleSet(uint16 homeBps, uint16 grantingBps, uint16 consortiumBps, uint256 proposalId, uint64 seq);
    /// @notice The voting window of new proposals, in seconds.
    event VotingPeriodSet(uint64 votingPeriod, uint256 proposalId, uint64 seq);

    // ----------------------------------------------------------------- governance

    /// @notice `exchange` (through `actor`) proposed `data` of `kind`; passes with `required` yes votes before `deadline`.
    event ProposalCreated(
        uint256 indexed proposalId,
        bytes8 indexed exchange,
        address indexed actor,
        uint8 kind,
        bytes data,
        uint64 deadline,
        uint16 required,
        uint64 seq
    );
    /// @notice `exchange` voted; `yes` and `no` are the tallies after this vote.
    event VoteCast(
        uint256 indexed proposalId, bytes8 indexed exchange, address indexed actor, bool support, uint16 yes, uint16 no, uint64 seq
    );
    /// @notice A passed proposal was carried out by `actor` (anyone may).
    event ProposalExecuted(uint256 indexed proposalId, address indexed actor, uint64 seq);

    // ----------------------------------------------------------------- oversight

    /// @notice A regulator suspended `subject` in `scope` until `until` (type(uint64).max: until reinstated).
    event Suspended(
        uint8 indexed scope,
        bytes32 indexed subject,
        address indexed regulator,
        uint32 regulatorProvince,
        uint16 reasonCode,
        bytes32 legalBasis,
        uint64 until,
        uint64 seq
    );
    /// @notice A regulator lifted the suspension of `subject` in `scope`.
    event Reinstated(
        uint8 indexed scope, bytes32 indexed subject, address indexed regulator, uint16 reasonCode, bytes32 legalBasis, uint64 seq
    );

    // ----------------------------------------------------------------- errors

    error ConsortiumNotOperator(address account);
    error ConsortiumExchangeNotActive(bytes8 code);
    error ConsortiumExchangeExists(bytes8 code);
    error ConsortiumInvalidExchange(bytes8 code, uint32 province);
    error ConsortiumTooManyExchanges(uint256 count);
    error ConsortiumLastMember(bytes8 code);
    error ConsortiumLastOperator(bytes8 exchange, address operator);
    error ConsortiumNotOperatorOf(address account, bytes8 exchange);
    error ConsortiumAccountInUse(address account);
    error ConsortiumZeroAddress();
    error ConsortiumNotRegulator(address account);
    error ConsortiumRegulatorExists(address account);
    error ConsortiumInvalidRoles(uint8 roles);
    error ConsortiumParticipantExists(address account, bytes8 registeredBy);
    error ConsortiumNotParticipant(address account, uint8 role);
    /// @notice Roles were to be added to `account`, which is not a registered participant.
    error ConsortiumParticipantNotRegistered(address account);
    /// @notice Only `registeredBy`, the exchange that checked `account`'s identity, may add roles
    /// to it; the caller acts for `exchange`.
    error ConsortiumNotRegisteringExchange(address account, bytes8 registeredBy, bytes8 exchange);
    /// @notice `account` already holds every role of `roles` (it holds `held`): nothing to add.
    error ConsortiumRolesAlreadyHeld(address account, uint8 roles, uint8 held);
    error ConsortiumInvalidFeeSchedule(uint16 homeBps, uint16 grantingBps, uint16 consortiumBps);
    error ConsortiumInvalidVotingPeriod(uint64 votingPeriod);
    error ConsortiumFoundingMismatch();

    error GovernanceUnknownKind(uint8 kind);
    /// @notice A proposal's `data` is too short for its kind's ABI encoding (`length` bytes, at least
    /// `minimum` needed; exactly `minimum` for the kinds without a string).
    error GovernanceMalformedData(uint8 kind, uint256 length, uint256 minimum);
    error GovernanceUnknownProposal(uint256 proposalId);
    error GovernanceVotingClosed(uint256 proposalId, uint64 deadline);
    error GovernanceAlreadyVoted(uint256 proposalId, bytes8 exchange);
    error GovernanceNotPassed(uint256 proposalId, uint16 yes, uint16 required);
    error GovernanceAlreadyExecuted(uint256 proposalId);
    error GovernanceDataMismatch(uint256 proposalId);

    error OversightInvalidScope(uint8 scope);
    error OversightUnknownSubject(uint8 scope, bytes32 subject);
    error OversightOutOfJurisdiction(address regulator, uint8 scope, bytes32 subject);
    error OversightInvalidUntil(uint64 until);
    error OversightNotSuspended(uint8 scope, bytes32 subject);
    /// @notice A grant or listing was refused because `subject` is suspended in `scope` until `until`.
    error OversightSuspended(uint8 scope, bytes32 subject, uint64 until);

    // ----------------------------------------------------------------- membership functions

    /// @notice Adds `account` as an operator of the caller's exchange.
    /// @dev Requires the caller to be an operator of an active exchange and `account` to hold no
    /// other role. Emits {OperatorAdded}.
    function addOperator(address account) external;

    /// @notice Removes `account` from the caller's exchange's operators (not the last one).
    /// @dev Emits {OperatorRemoved}.
    function removeOperator(address account) external;

    /// @notice Registers a provider and/or licensee after the caller's exchange checked its identity
    /// (DSL art. 33); the registration is recognised network-wide.
    /// @param roles bit 0 provider, bit 1 licensee.
    /// @param identityHash hash of the legal entity's identity record, kept off chain by the exchange.
    /// @dev Requires an operator of an active exchange; refuses an account already registered.
    /// Emits {ParticipantRegistered}.
    function registerParticipant(address account, uint8 roles, bytes32 identityHash) external;

    /// @notice Gives a registered participant more roles: a licensee that will also provide data,
    /// or a provider that will also license others' data. Roles are only ever added; the
    /// registration (its exchange and identity hash) is unchanged and still recognised network-wide.
    /// @param roles the roles to add (bit 0 provider, bit 1 licensee); roles already held may be
    /// named again, but at least one must be new.
    /// @dev Only an operator of the exchange that registered `account` may call it: that exchange
    /// checked the legal entity's identity (DSL art. 33) and answers for the registration, so it
    /// alone widens what the entity may do on it; another exchange never checked this entity
    /// (an account is registered once), so it has no check of its own to vouch for the new role.
    /// A participant whose registering exchange was removed keeps its roles but gains none.
    /// A provider suspended by a regulator is refused while the suspension lasts: the suspension
    /// was decided about this participant, and a new role would let it trade in a way the
    /// regulator did not weigh; the registering exchange adds it once the provider is reinstated
    /// or the suspension has ended.
    /// Requires an operator of an active exchange (ConsortiumNotOperator,
    /// ConsortiumExchangeNotActive); `roles` not 0 and with no bit but provider and licensee
    /// (ConsortiumInvalidRoles); a registered `account` (ConsortiumParticipantNotRegistered);
    /// the caller's exchange the registering one (ConsortiumNotRegisteringExchange); at least one
    /// role not held yet (ConsortiumRolesAlreadyHeld); a provider not suspended now
    /// (OversightSuspended, scope provider). Emits {ParticipantRolesAdded}.
    function grantParticipantRoles(address account, uint8 roles) external;

    // ----------------------------------------------------------------- governance functions

    /// @notice Proposes `data` (the ABI-encoded arguments of `kind`) for the members' vote; the
    /// caller's exchange votes yes.
    /// @dev Kinds and data: 0 admit (bytes8 code, string name, uint32 province, address firstOperator);
    /// 1 remove (bytes8 code); 2 add regulator (address, uint32 province, string name); 3 remove
    /// regulator (address); 4 fee schedule (uint16 homeBps, uint16 grantingBps, uint16 consortiumBps);
    /// 5 voting period (uint64 seconds). Emits {ProposalCreated} and {VoteCast}.
    function propose(uint8 kind, bytes calldata data) external returns (uint256 proposalId);

    /// @notice Casts the caller's exchange's one vote on `proposalId`, before its deadline.
    /// @dev Emits {VoteCast}.
    function vote(uint256 proposalId, bool support) external;

    /// @notice Carries out a proposal that reached two thirds of the members active at its creation,
    /// within its voting window. Anyone may call it.
    /// @param data the proposal's data, checked against the hash stored at creation.
    /// @dev Emits {ProposalExecuted} and the event of the change made.
    function execute(uint256 proposalId, bytes calldata data) external;

    // ----------------------------------------------------------------- oversight functions

    /// @notice Suspends `subject` in `scope`: a listing (id), a provider (address), a licence (id) or an
    /// exchange's right to grant (code, left-aligned). `until` 0 suspends until reinstated.
    /// @dev Requires a regulator whose jurisdiction covers the subject: national regulators cover
    /// everything, a province's regulator the subjects whose exchange (home, registering or granting)
    /// is in its province. Emits {Suspended}.
    function suspend(uint8 scope, bytes32 subject, uint16 reasonCode, bytes32 legalBasis, uint64 until) external;

    /// @notice Lifts a suspension before its end. Same jurisdiction rules as {suspend}.
    /// @dev Emits {Reinstated}.
    function reinstate(uint8 scope, bytes32 subject, uint16 reasonCode, bytes32 legalBasis) external;

    // ----------------------------------------------------------------- checks used by the registries

    /// @notice The exchange `operator` lists for, after checking it may list a product of `provider`.
    /// @dev Reverts when the operator or its exchange is not active, the provider is not a
    /// registered provider, or the provider is suspended.
    function listingContext(address operator, address provider) external view returns (bytes8 code, uint8 index);

    /// @notice The exchange `operator` grants for and the fee schedule, after checking that the
    /// exchange is active and not suspended from granting, `licensee` is a registered licensee and
    /// `provider` is not suspended. (The listing's own suspension is checked by the ListingRegistry.)
    /// @return code the granting exchange.
    /// @return index its index.
    /// @return fees the home, granting and consortium basis points, packed as three uint16 from the low bits.
    function grantContext(address operator, address licensee, address provider)
        external
        view
        returns (bytes8 code, uint8 index, uint48 fees);

    /// @notice The exchange `account` operates for; reverts unless it is an operator of an
    /// active exchange (ConsortiumNotOperator, ConsortiumExchangeNotActive).
    function requireOperator(address account) external view returns (bytes8 code, uint8 index);

    /// @notice The exchange that `account` operates for (or operated for, if it was removed), or zero.
    function operatorExchange(address account) external view returns (bytes8 code, uint8 index);

    /// @notice Whether `account` is an active regulator whose jurisdiction covers exchange `index`.
    function regulatorCovers(address account, uint8 exchangeIndex) external view returns (bool);

    /// @notice Whether `subject` is suspended in `scope` now.
    function isSuspended(uint8 scope, bytes32 subject) external view returns (bool);
}
