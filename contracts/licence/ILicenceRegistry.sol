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
    /// @notice An exclusive, franchise-style licence of public data was granted (DOMAIN: only through
    /// an open auction, with an approval reference, a term of at most five years and public
    /// disclosure). The one event of this grant, emitted instead of {LicenceGranted}: it carries every
    /// field {LicenceGranted} does, in the same order, then `approvalRef` (hash of the approval
    /// document) and `auctionRef` (hash of the open-auction record), then `seq`. While the licence
    /// stands (not revoked or terminated) and `end` has not passed, the listing takes no other grant.
    event ExclusiveLicenceGranted(
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
        bytes32 approvalRef,
        bytes32 auctionRef,
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
    /// @notice Exclusive licences are for public data only (the listing's `openClass` is 0).
    error LicenceRegistryExclusiveNotPublicData(bytes32 listingId, uint8 openClass);
    /// @notice An exclusive grant names both the approval and the open-auction record (nonzero hashes).
    error LicenceRegistryExclusiveReferenceRequired(bytes32 listingId, bytes32 approvalRef, bytes32 auctionRef);
    /// @notice An exclusive licence runs at most `maxDays` days, counted from its start or from the
    /// grant (`now_`), whichever is earlier.
    error LicenceRegistryExclusiveInvalidTerm(uint64 start, uint64 end, uint256 now_, uint16 maxDays);
    /// @notice The listing is under the exclusive licence `licenceId` until `end`: no other grant.
    error LicenceRegistryUnderExclusiveLicence(bytes32 listingId, bytes32 licenceId, uint64 end);
    /// @notice A licence granted on the listing may be in force until `latestEnd`: no exclusive grant
    /// before then.
    error LicenceRegistryOtherLicencesInForce(bytes32 listingId, uint64 latestEnd);

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

    /// @notice Grants an exclusive, franchise-style licence of public data on `terms`, which the
    /// licensee accepted by signing them, as the outcome of the open auction `auctionRef` approved by
    /// `approvalRef`. While it stands (until it is revoked or terminated, or `terms.end` passes) the
    /// listing takes no other grant, exclusive or not; a regulator's suspension of it does not free
    /// the listing, a revocation or termination does.
    /// @param record the listing's current record (checked against the ListingRegistry's hash).
    /// @param acceptance the licensee's EIP-712 LicenceAcceptance signature over `terms`, the same
    /// message {grant} takes. The licensee does not sign the exclusivity itself: exclusivity gives the
    /// licensee no wider use (purposes, territory, transfer, training and price are the signed
    /// terms) and only restricts other grants; it is the granting exchange's act, accountable
    /// through `actor`, the approval and auction references it must name, and the public record,
    /// and a regulator can revoke it. The licence id is the same digest either way, so one
    /// acceptance grants one licence, exclusive or not.
    /// @param approvalRef hash of the approval document (nonzero).
    /// @param auctionRef hash of the open-auction record (nonzero).
    /// @dev Requires everything {grant} does, and: public data (`policy.openClass` != 0); nonzero
    /// references; `terms.end` at most 1,826 days (five years) after `terms.start` and after now; no
    /// exclusive licence standing on the listing and no other licence whose term has not ended.
    /// Emits {ExclusiveLicenceGranted} (not {LicenceGranted}).
    function grantExclusive(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        bytes calldata acceptance,
        bytes32 approvalRef,
        bytes32 auctionRef
    ) external returns (bytes32 licenceId);

    /// @notice The provider revokes an active licence for cause. Revoking the listing's standing
    /// exclusive licence frees the listing for other grants.
    /// @dev Emits {LicenceRevoked}.
    function revokeByProvider(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        uint16 reasonCode,
        bytes32 evidenceHash
    ) external;

    /// @notice A regulator whose jurisdiction covers the granting exchange revokes an active licence.
    /// Revoking the listing's standing exclusive licence frees the listing for other grants.
    /// @dev Emits {LicenceRevoked}.
    function revokeByRegulator(LicenceTerms calldata terms, uint16 reasonCode, bytes32 legalBasis) external;

    /// @notice Ends an active licence by agreement: both provider and licensee signed an EIP-712
    /// LicenceTermination. Anyone may submit it. Terminating the listing's standing exclusive licence
    /// frees the listing for other grants.
    /// @dev Emits {LicenceTerminated}.
    function terminate(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        uint64 deadline,
        bytes calldata providerSignature,
        bytes calldata licenseeSignature
    ) external;

    /// @notice What stands in the way of grants on a listing: the exclusive licence standing on it
    /// (`exclusiveLicenceId`, zero when none) and its `exclusiveEnd`, and the latest end among the
    /// listing's grants (`latestEnd`: no exclusive grant before it has passed). Kept for public-data
    /// listings only, the only ones an exclusive licence can be granted on: zeros for any other.
    function listingLicensing(bytes32 listingId)
        external
        view
        returns (bytes32 exclusiveLicenceId, uint64 exclusiveEnd, uint64 latestEnd);

    /// @notice Whether the licence is in force now: active, within its term and not suspended.
    function inForce(bytes32 licenceId) external view returns (bool);

    /// @notice A licence's status (0 none, 1 active, 2 revoked, 3 terminated), granting exchange
    /// index, start, end and the end of a regulator's suspension (in force while later than now).
    function licenceState(bytes32 licenceId)
        external
        view
        returns (uint8 status, uint8 grantingIndex, uint64 start, uint64 end, uint64 suspendedUntil);
}
