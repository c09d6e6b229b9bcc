// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {LicenceTerms, ListingRecord} from "../common/OnelistTypes.sol";

/// @title ILicenceRegistry
/// @notice Licence grants for listed products, by any member exchange the listing admits, each with
/// the licensee's signed acceptance of exactly its terms. A licence's id is the EIP-712 digest of
/// those terms, so the same acceptance cannot be used twice. Events carry the listing's sequence
/// number (`seq`), shared with the ListingRegistry's events about that listing.
interface ILicenceRegistry {
    /// @notice A licence was granted by `actor` for `grantingExchange` on exactly the terms the licensee
    /// signed (the LicenceTerms fields, listed one by one). `split` is the price split in fen by the
    /// voted fee schedule, four uint64 from the low bits: provider, home exchange, granting exchange,
    /// consortium; see {split}.
    event LicenceGranted(
        bytes32 indexed licenceId,
        bytes32 indexed listingId,
        address indexed licensee,
        bytes8 grantingExchange,
        address actor,
        uint32 version,
        uint32 purposes,
        uint64 start,
        uint64 end,
        uint8 territory,
        uint8 deliveryMode,
        uint8 onwardTransfer,
        bool modelTraining,
        uint64 priceFen,
        bytes32 settlementHash,
        uint64 deadline,
        uint256 split,
        uint64 seq
    );
    /// @notice A licence was revoked: by the provider for cause, or by a regulator (`byRegulator`).
    event LicenceRevoked(
        bytes32 indexed licenceId,
        bytes32 indexed listingId,
        address indexed actor,
        bool byRegulator,
        uint16 reasonCode,
        bytes32 evidenceHash,
        uint64 seq
    );
    /// @notice Provider and licensee ended a licence by agreement; `actor` submitted their signatures.
    event LicenceTerminated(bytes32 indexed licenceId, bytes32 indexed listingId, address indexed actor, uint64 seq);

    error LicenceRegistryExpiredSignature(uint64 deadline, uint256 now_);
    error LicenceRegistryInvalidSignature(bytes32 licenceId, address signer);
    error LicenceRegistryAlreadyGranted(bytes32 licenceId);
    error LicenceRegistryUnknownLicence(bytes32 licenceId);
    error LicenceRegistryNotActive(bytes32 licenceId, uint8 status);
    error LicenceRegistryVersionMismatch(bytes32 listingId, uint32 current, uint32 given);
    error LicenceRegistryInvalidTerm(uint64 start, uint64 end, uint16 maxTermDays);
    error LicenceRegistryPurposesNotAllowed(uint32 purposes, uint32 allowed);
    error LicenceRegistryTerritoryNotAllowed(uint8 territory, uint8 allowed);
    error LicenceRegistryDeliveryModeNotOffered(uint8 deliveryMode, uint8 offered);
    error LicenceRegistryOnwardTransferNotAllowed(uint8 onwardTransfer, uint8 allowed);
    error LicenceRegistryTrainingNotAllowed(bytes32 listingId);
    error LicenceRegistryPriceBelowFloor(uint64 priceFen, uint64 floorFen);
    error LicenceRegistryWrongGrantingExchange(bytes8 operatorExchange, bytes8 grantingExchange);
    error LicenceRegistryExchangeNotAdmitted(bytes32 listingId, bytes8 exchange);
    error LicenceRegistryNotProvider(address account, bytes32 listingId);
    error LicenceRegistryRecordMismatch(bytes32 listingId);
    error LicenceRegistryNotRegulator(address account, bytes32 licenceId);
    error LicenceRegistryUnauthorized(address account);

    /// @notice Grants a licence on `terms`, which the licensee accepted by signing them.
    /// @param record the listing's current record (checked against the ListingRegistry's hash).
    /// @param acceptance the licensee's EIP-712 LicenceAcceptance signature (EOA or ERC-1271).
    /// @dev Requires an operator of an active member exchange that the listing's distribution
    /// policy admits and that is not suspended from granting; a registered, unsuspended licensee;
    /// a listed, unsuspended listing of an unsuspended provider at `terms.version`; terms within
    /// the envelope. Emits {LicenceGranted}.
    function grant(LicenceTerms calldata terms, ListingRecord calldata record, bytes calldata acceptance)
        external
        returns (bytes32 licenceId);

    /// @notice The provider revokes an active licence for cause.
    /// @dev Emits {LicenceRevoked}.
    function revokeByProvider(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        uint16 reasonCode,
        bytes32 evidenceHash
    ) external;

    /// @notice A regulator whose jurisdiction covers the granting exchange revokes an active licence.
    /// @dev Emits {LicenceRevoked}.
    function revokeByRegulator(LicenceTerms calldata terms, uint16 reasonCode, bytes32 legalBasis) external;

    /// @notice Ends an active licence by agreement: both provider and licensee signed an EIP-712
    /// LicenceTermination. Anyone may submit it.
    /// @dev Emits {LicenceTerminated}.
    function terminate(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        uint64 deadline,
        bytes calldata providerSignature,
        bytes calldata licenseeSignature
    ) external;

    /// @notice Whether the licence is in force now: active, within its term and not suspended.
    function inForce(bytes32 licenceId) external view returns (bool);

    /// @notice A licence's status (0 none, 1 active, 2 revoked, 3 terminated), granting exchange
    /// index, start, end and the end of a regulator's suspension (in force while later than now).
    function licenceState(bytes32 licenceId)
        external
        view
        returns (uint8 status, uint8 grantingIndex, uint64 start, uint64 end, uint64 suspendedUntil);
}
