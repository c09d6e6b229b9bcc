// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ListingRecord, Policy} from "../common/OnelistTypes.sol";

/// @title IListingRegistry
/// @notice Listings signed by their providers and listed by their home exchange, recognised by
/// every member. Every event carries `seq`, the listing's own sequence number (1, 2, 3, ...),
/// shared with the LicenceRegistry's events about the same listing, so that a node can prove it
/// holds every event of a listing.
interface IListingRegistry {
    /// @notice A listing's first version was listed at `homeExchange` by `actor`, one of its operators.
    /// @param catalogue the public catalogue: codec byte 0x00 (canonical JSON) or 0x01 (raw DEFLATE
    /// of canonical JSON); the provider's signature covers its keccak256.
    event Listed(
        bytes32 indexed listingId,
        address indexed provider,
        bytes8 indexed homeExchange,
        address actor,
        ListingRecord record,
        bytes catalogue,
        uint64 seq
    );
    /// @notice A new version, signed again and reviewed again, replaced the current one.
    event VersionPublished(
        bytes32 indexed listingId,
        address indexed provider,
        bytes8 indexed homeExchange,
        address actor,
        ListingRecord record,
        bytes catalogue,
        uint64 seq
    );
    /// @notice The listing was delisted (final) by its provider or an operator of its home exchange
    /// (`actingExchange` zero when the provider acted).
    event Delisted(
        bytes32 indexed listingId, address indexed actor, bytes8 actingExchange, uint16 reasonCode, bytes32 evidenceHash, uint64 seq
    );
    /// @notice The provider withdrew the consent evidence; the listing is suspended until a new version.
    event ConsentWithdrawn(bytes32 indexed listingId, address indexed provider, bytes32 evidenceHash, uint64 seq);
    /// @notice A provider's signed listing (or new version) was refused because a dataset with the
    /// same fingerprint is already listed (DOMAIN rule 6). `listingId` is the listing the attempt was for.
    event DuplicateFingerprintRefused(
        bytes32 indexed fingerprint, address indexed provider, address indexed actor, bytes32 listingId, bytes8 homeExchange
    );

    error ListingRegistryNotHomeOperator(address account, bytes32 listingId);
    error ListingRegistryUnknownListing(bytes32 listingId);
    error ListingRegistryRecordMismatch(bytes32 listingId);
    error ListingRegistryWrongVersion(bytes32 listingId, uint32 expected, uint32 given);
    error ListingRegistryProviderChanged(bytes32 listingId, address provider, address given);
    error ListingRegistryNotListed(bytes32 listingId, uint8 status);
    error ListingRegistryDelisted(bytes32 listingId);
    error ListingRegistryExpiredSignature(uint64 deadline, uint256 now_);
    error ListingRegistryInvalidSignature(bytes32 listingId, address provider);
    error ListingRegistryNotProvider(address account, bytes32 listingId);
    error ListingRegistryUnauthorized(address account);
    error ListingRegistryNoConsent(bytes32 listingId);
    /// @notice A regulator suspended the listing until `until`: it takes part in no grant.
    error ListingRegistrySuspended(bytes32 listingId, uint64 until);
    /// @notice Core data (核心数据) is never listed; `grade` above 2 is not a grade.
    error ListingRegistryGradeNotListable(bytes32 listingId, uint8 grade);
    /// @notice Public data classed 不予开放 is never listed; `openClass` above 3 is not a class.
    error ListingRegistryOpenClassNotListable(bytes32 listingId, uint8 openClass);
    error ListingRegistryAuthorisationRequired(bytes32 listingId);
    error ListingRegistryPersonalDataWithoutEvidence(bytes32 listingId, uint8 personalInfo);
    error ListingRegistryInvalidPersonalInfo(bytes32 listingId, uint8 personalInfo, uint8 piFlags);
    error ListingRegistryRiskAssessmentRequired(bytes32 listingId);
    error ListingRegistryImportantDataCrossBorder(bytes32 listingId);
    error ListingRegistryInvalidEnvelope(bytes32 listingId, string field);
    /// @notice A new version may not make a listing public data (`policy.openClass` nonzero) or
    /// stop it being public data; a change between 无条件开放 and 有条件开放 is allowed. Whether a
    /// product is public data is part of what the product is, and the LicenceRegistry's
    /// exclusive-licence rules rely on it: it records the grants of public-data listings only, so a
    /// listing that turned public could take an exclusive licence while licences granted before
    /// still run. Such a change is a new listing.
    error ListingRegistryPublicDataChanged(bytes32 listingId, uint8 current, uint8 proposed);

    /// @notice Lists version 1 of a provider's data product at the caller's exchange. The listing's
    /// id is the dataset fingerprint of this first version.
    /// @param record provider, version 1, manifest hash, dataset fingerprint and policy.
    /// @param catalogue the public catalogue bytes emitted for every node.
    /// @param deadline the provider's signature is void after this time.
    /// @param signature the provider's EIP-712 ListingAuthorization (EOA or ERC-1271).
    /// @return listingId the fingerprint, or zero when that dataset is already listed (then
    /// {DuplicateFingerprintRefused} records the attempt and nothing else changes).
    /// @dev Requires an operator of an active exchange, a registered and unsuspended provider, a
    /// policy that passes the on-chain rules. Emits {Listed}.
    function list(ListingRecord calldata record, bytes calldata catalogue, uint64 deadline, bytes calldata signature)
        external
        returns (bytes32 listingId);

    /// @notice Publishes version `current.version + 1`, signed again by the provider; also restores
    /// a listing whose consent evidence was withdrawn.
    /// @dev Requires an operator of the home exchange, `current` to be the stored record, and
    /// `next` to be public data exactly when `current` is ({ListingRegistryPublicDataChanged}).
    /// Emits {VersionPublished}.
    function publishVersion(
        bytes32 listingId,
        ListingRecord calldata current,
        ListingRecord calldata next,
        bytes calldata catalogue,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice Delists for good. Callable by the provider or an operator of the home exchange.
    /// @dev Emits {Delisted}.
    function delist(bytes32 listingId, ListingRecord calldata current, uint16 reasonCode, bytes32 evidenceHash)
        external;

    /// @notice The provider withdraws the consent (or anonymisation) evidence; the listing is
    /// suspended and takes part in no grant until a new version carries fresh evidence.
    /// @dev Emits {ConsentWithdrawn}.
    function withdrawConsent(bytes32 listingId, ListingRecord calldata current, bytes32 evidenceHash) external;

    /// @notice For the LicenceRegistry: checks `recordHash` is the listing's, that it is listed and
    /// not suspended, and takes the listing's next sequence number for the grant event.
    function recordGrant(bytes32 listingId, bytes32 recordHash) external returns (uint8 homeIndex, uint64 seq);

    /// @notice For the LicenceRegistry: takes the listing's next sequence number.
    function nextSequence(bytes32 listingId) external returns (uint64 seq);

    /// @notice A listing's status (0 none, 1 listed, 2 consent withdrawn, 3 delisted), home exchange
    /// index, last sequence number, the end of a regulator's suspension (in force while later than
    /// now) and its record hash (the top 168 bits).
    function listingState(bytes32 listingId)
        external
        view
        returns (uint8 status, uint8 homeIndex, uint64 seq, uint64 suspendedUntil, bytes21 recordHash);

    /// @notice Whether `record` is the listing's current record.
    function isCurrentRecord(bytes32 listingId, ListingRecord calldata record) external view returns (bool);
}
