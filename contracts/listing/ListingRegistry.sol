// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IListingRegistry} from "./IListingRegistry.sol";
import {IConsortium} from "../membership/IConsortium.sol";
import {Codes, ListingRecord, Policy} from "../common/OnelistTypes.sol";

/// @title ListingRegistry
/// @notice Listings of data products. Storage holds one slot per listing (sequence number, status,
/// home exchange and a hash of the current record) and one per dataset fingerprint; everything
/// else travels in events, and later calls pass the record in calldata to be checked against the
/// hash.
contract ListingRegistry is IListingRegistry, EIP712 {
    /// @dev keccak256("Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)")
    bytes32 public constant POLICY_TYPEHASH = keccak256(
        "Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)"
    );

    /// @dev keccak256("ListingAuthorization(bytes32 listingId,uint32 version,bytes8 homeExchange,bytes32 manifestHash,bytes32 fingerprint,bytes32 catalogueHash,Policy policy,uint64 deadline)Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)")
    bytes32 public constant LISTING_AUTHORIZATION_TYPEHASH = keccak256(
        "ListingAuthorization(bytes32 listingId,uint32 version,bytes8 homeExchange,bytes32 manifestHash,bytes32 fingerprint,bytes32 catalogueHash,Policy policy,uint64 deadline)Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)"
    );

    IConsortium private immutable _consortium;
    address private immutable _licenceRegistry;

    /// @dev listingId => seq (bits 192-255) | status (184-191) | home index (176-183) | record hash (0-175).
    mapping(bytes32 listingId => uint256 packed) private _listings;
    /// @dev fingerprint => the provider who first listed that dataset.
    mapping(bytes32 fingerprint => address provider) private _fingerprintOwner;

    constructor(address consortium_, address licenceRegistry_) EIP712("onelist ListingRegistry", "1") {
        _consortium = IConsortium(consortium_);
        _licenceRegistry = licenceRegistry_;
    }

    modifier onlyLicenceRegistry() {
        if (msg.sender != _licenceRegistry) revert ListingRegistryUnauthorized(msg.sender);
        _;
    }

    // ----------------------------------------------------------------- external

    /// @inheritdoc IListingRegistry
    function list(
        bytes32 productRef,
        ListingRecord calldata record,
        bytes calldata catalogue,
        uint64 deadline,
        bytes calldata signature
    ) external returns (bytes32 listingId) {
        (bytes8 home, uint8 homeIndex) = _consortium.listingContext(msg.sender, record.provider);
        listingId = keccak256(abi.encode(record.provider, productRef));
        if (_listings[listingId] != 0) revert ListingRegistryAlreadyListed(listingId);
        if (record.version != 1) revert ListingRegistryWrongVersion(listingId, 1, record.version);
        _checkPolicy(listingId, record.policy);
        _verifyAuthorization(listingId, home, record, catalogue, deadline, signature);
        if (!_claimFingerprint(listingId, record.provider, record.fingerprint, home)) return bytes32(0);
        _listings[listingId] = _pack(1, Codes.LISTING_LISTED, homeIndex, _recordHash(record));
        emit Listed(listingId, record.provider, home, msg.sender, productRef, record, catalogue, 1);
    }

    /// @inheritdoc IListingRegistry
    function publishVersion(
        bytes32 listingId,
        ListingRecord calldata current,
        ListingRecord calldata next,
        bytes calldata catalogue,
        uint64 deadline,
        bytes calldata signature
    ) external {
        (uint64 seq, uint8 status, uint8 homeIndex) = _loadChecked(listingId, current);
        if (status == Codes.LISTING_DELISTED) revert ListingRegistryDelisted(listingId);
        (bytes8 home,) = _consortium.listingContext(msg.sender, current.provider);
        _requireHome(listingId, homeIndex);
        if (next.provider != current.provider) {
            revert ListingRegistryProviderChanged(listingId, current.provider, next.provider);
        }
        if (next.version != current.version + 1) {
            revert ListingRegistryWrongVersion(listingId, current.version + 1, next.version);
        }
        _checkPolicy(listingId, next.policy);
        _verifyAuthorization(listingId, home, next, catalogue, deadline, signature);
        if (!_claimFingerprint(listingId, next.provider, next.fingerprint, home)) return;
        _listings[listingId] = _pack(++seq, Codes.LISTING_LISTED, homeIndex, _recordHash(next));
        emit VersionPublished(listingId, next.provider, home, msg.sender, next, catalogue, seq);
    }

    /// @inheritdoc IListingRegistry
    function delist(bytes32 listingId, ListingRecord calldata current, uint16 reasonCode, bytes32 evidenceHash)
        external
    {
        (uint64 seq, uint8 status, uint8 homeIndex) = _loadChecked(listingId, current);
        if (status == Codes.LISTING_DELISTED) revert ListingRegistryDelisted(listingId);
        bytes8 actingExchange;
        if (msg.sender != current.provider) {
            actingExchange = _requireHome(listingId, homeIndex);
        }
        _listings[listingId] = _pack(++seq, Codes.LISTING_DELISTED, homeIndex, _recordHash(current));
        emit Delisted(listingId, msg.sender, actingExchange, reasonCode, evidenceHash, seq);
    }

    /// @inheritdoc IListingRegistry
    function withdrawConsent(bytes32 listingId, ListingRecord calldata current, bytes32 evidenceHash) external {
        (uint64 seq, uint8 status, uint8 homeIndex) = _loadChecked(listingId, current);
        if (msg.sender != current.provider) revert ListingRegistryNotProvider(msg.sender, listingId);
        if (status != Codes.LISTING_LISTED) revert ListingRegistryNotListed(listingId, status);
        if (current.policy.consentEvidence == bytes32(0)) revert ListingRegistryNoConsent(listingId);
        _listings[listingId] = _pack(++seq, Codes.LISTING_CONSENT_WITHDRAWN, homeIndex, _recordHash(current));
        emit ConsentWithdrawn(listingId, msg.sender, evidenceHash, seq);
    }

    /// @inheritdoc IListingRegistry
    function recordGrant(bytes32 listingId, bytes32 recordHash)
        external
        onlyLicenceRegistry
        returns (uint8 homeIndex, uint64 seq)
    {
        uint256 packed = _listings[listingId];
        uint8 status;
        (seq, status, homeIndex) = _unpack(packed);
        if (uint176(packed) != uint176(uint256(recordHash) >> 80)) revert ListingRegistryRecordMismatch(listingId);
        if (status != Codes.LISTING_LISTED) revert ListingRegistryNotListed(listingId, status);
        _listings[listingId] = packed + (1 << 192);
        return (homeIndex, seq + 1);
    }

    /// @inheritdoc IListingRegistry
    function nextSequence(bytes32 listingId) external onlyLicenceRegistry returns (uint64 seq) {
        uint256 packed = _listings[listingId];
        if (packed == 0) revert ListingRegistryUnknownListing(listingId);
        _listings[listingId] = packed + (1 << 192);
        return uint64(packed >> 192) + 1;
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IListingRegistry
    function listingState(bytes32 listingId)
        external
        view
        returns (uint8 status, uint8 homeIndex, uint64 seq, bytes22 recordHash)
    {
        uint256 packed = _listings[listingId];
        (seq, status, homeIndex) = _unpack(packed);
        recordHash = bytes22(uint176(packed));
    }

    /// @inheritdoc IListingRegistry
    function isCurrentRecord(bytes32 listingId, ListingRecord calldata record) external view returns (bool) {
        uint256 packed = _listings[listingId];
        return packed != 0 && uint176(packed) == uint176(uint256(_recordHash(record)) >> 80);
    }

    /// @inheritdoc IListingRegistry
    function jurisdictionOf(bytes32 listingId) external view returns (bool exists, uint8 exchangeIndex) {
        uint256 packed = _listings[listingId];
        return (packed != 0, uint8(packed >> 176));
    }

    /// @notice The provider who listed the dataset with this fingerprint, or zero.
    function fingerprintOwner(bytes32 fingerprint) external view returns (address) {
        return _fingerprintOwner[fingerprint];
    }

    /// @notice The id of `provider`'s product `productRef`.
    function listingIdOf(address provider, bytes32 productRef) external pure returns (bytes32) {
        return keccak256(abi.encode(provider, productRef));
    }

    /// @notice The full keccak256 of a record, as the LicenceRegistry passes it to {recordGrant}.
    function recordHashOf(ListingRecord calldata record) external pure returns (bytes32) {
        return _recordHash(record);
    }

    /// @notice The consortium this registry asks about members and suspensions.
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    // ----------------------------------------------------------------- internal

    function _recordHash(ListingRecord calldata record) private pure returns (bytes32) {
        return keccak256(abi.encode(record));
    }

    function _pack(uint64 seq, uint8 status, uint8 homeIndex, bytes32 recordHash) private pure returns (uint256) {
        return (uint256(seq) << 192) | (uint256(status) << 184) | (uint256(homeIndex) << 176) | (uint256(recordHash) >> 80);
    }

    function _unpack(uint256 packed) private pure returns (uint64 seq, uint8 status, uint8 homeIndex) {
        return (uint64(packed >> 192), uint8(packed >> 184), uint8(packed >> 176));
    }

    /// @dev Loads a listing and checks `record` against its stored hash.
    function _loadChecked(bytes32 listingId, ListingRecord calldata record)
        private
        view
        returns (uint64 seq, uint8 status, uint8 homeIndex)
    {
        uint256 packed = _listings[listingId];
        if (packed == 0) revert ListingRegistryUnknownListing(listingId);
        if (uint176(packed) != uint176(uint256(_recordHash(record)) >> 80)) {
            revert ListingRegistryRecordMismatch(listingId);
        }
        return _unpack(packed);
    }

    /// @dev The caller must operate for the listing's home exchange, which must be active.
    function _requireHome(bytes32 listingId, uint8 homeIndex) private view returns (bytes8 code) {
        uint8 index;
        (code, index) = _consortium.operatorExchange(msg.sender);
        if (code == bytes8(0) || index != homeIndex) revert ListingRegistryNotHomeOperator(msg.sender, listingId);
    }

    /// @dev Records the fingerprint's first provider; false (and an event) when another provider holds it.
    function _claimFingerprint(bytes32 listingId, address provider, bytes32 fingerprint, bytes8 home)
        private
        returns (bool)
    {
        address owner = _fingerprintOwner[fingerprint];
        if (owner == address(0)) {
            _fingerprintOwner[fingerprint] = provider;
            return true;
        }
        if (owner == provider) return true;
        emit DuplicateFingerprintRefused(fingerprint, provider, owner, listingId, home, msg.sender);
        return false;
    }

    function _verifyAuthorization(
        bytes32 listingId,
        bytes8 home,
        ListingRecord calldata record,
        bytes calldata catalogue,
        uint64 deadline,
        bytes calldata signature
    ) private view {
        if (block.timestamp > deadline) revert ListingRegistryExpiredSignature(deadline, block.timestamp);
        bytes32 structHash = keccak256(
            abi.encode(
                LISTING_AUTHORIZATION_TYPEHASH,
                listingId,
                record.version,
                home,
                record.manifestHash,
                record.fingerprint,
                keccak256(catalogue),
                keccak256(abi.encode(POLICY_TYPEHASH, record.policy)),
                deadline
            )
        );
        if (!SignatureChecker.isValidSignatureNow(record.provider, _hashTypedDataV4(structHash), signature)) {
            revert ListingRegistryInvalidSignature(listingId, record.provider);
        }
    }

    /// @dev The rules of DOMAIN.md that the chain can check by itself.
    function _checkPolicy(bytes32 listingId, Policy calldata p) private pure {
        if (p.grade >= Codes.GRADE_CORE) revert ListingRegistryGradeNotListable(listingId, p.grade);
        if (p.openClass >= Codes.OPEN_NOT_OPEN) {
            revert ListingRegistryOpenClassNotListable(listingId, p.openClass);
        }
        if (p.openClass == Codes.OPEN_CONDITIONAL && p.authorisationId == bytes32(0)) {
            revert ListingRegistryAuthorisationRequired(listingId);
        }
        if (p.personalInfo > Codes.PI_IDENTIFIABLE || p.piFlags > Codes.PI_FLAGS_ALL) {
            revert ListingRegistryInvalidPersonalInfo(listingId, p.personalInfo, p.piFlags);
        }
        // Flags describe personal information that is still personal information.
        if (p.piFlags != 0 && p.personalInfo <= Codes.PI_ANONYMISED) {
            revert ListingRegistryInvalidPersonalInfo(listingId, p.personalInfo, p.piFlags);
        }
        if (p.personalInfo != Codes.PI_NONE && p.consentEvidence == bytes32(0)) {
            revert ListingRegistryPersonalDataWithoutEvidence(listingId, p.personalInfo);
        }
        if (p.grade == Codes.GRADE_IMPORTANT) {
            if (p.riskAssessment == bytes32(0)) revert ListingRegistryRiskAssessmentRequired(listingId);
            if (p.territory == Codes.TERRITORY_CROSS_BORDER) revert ListingRegistryImportantDataCrossBorder(listingId);
        }
        if (p.purposes == 0) revert ListingRegistryInvalidEnvelope(listingId, "purposes");
        if (p.maxTermDays == 0) revert ListingRegistryInvalidEnvelope(listingId, "maxTermDays");
        if (p.territory > Codes.TERRITORY_CROSS_BORDER) revert ListingRegistryInvalidEnvelope(listingId, "territory");
        if (p.onwardTransfer > Codes.ONWARD_SUBLICENCE) {
            revert ListingRegistryInvalidEnvelope(listingId, "onwardTransfer");
        }
        if (p.deliveryModes == 0 || p.deliveryModes > Codes.DELIVERY_ALL) {
            revert ListingRegistryInvalidEnvelope(listingId, "deliveryModes");
        }
    }
}
