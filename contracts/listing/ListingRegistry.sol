// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Signatures} from "../common/Signatures.sol";
import {CalldataHash} from "../common/CalldataHash.sol";
import {IListingRegistry} from "./IListingRegistry.sol";
import {IConsortium} from "../membership/IConsortium.sol";
import {ISuspendable} from "../oversight/ISuspendable.sol";
import {Codes, ListingRecord, Policy} from "../common/OnelistTypes.sol";

/// @title ListingRegistry
/// @notice Listings of data products. A listing's id is its first version's dataset fingerprint,
/// so the slot that records a listing also stops the same dataset being listed again. Storage
/// holds one slot per listing (sequence number, status,
/// home exchange, a regulator's suspension and a hash of the current record) and one per dataset fingerprint; everything
/// else travels in events, and later calls pass the record in calldata to be checked against the
/// hash.
contract ListingRegistry is IListingRegistry, ISuspendable, EIP712 {
    /// @dev keccak256("Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)")
    bytes32 public constant POLICY_TYPEHASH = keccak256(
        "Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)"
    );

    /// @dev keccak256("ListingAuthorization(bytes32 listingId,uint32 version,bytes8 homeExchange,bytes32 manifestHash,bytes32 fingerprint,bytes32 catalogueHash,Policy policy,uint64 deadline)Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)")
    bytes32 public constant LISTING_AUTHORIZATION_TYPEHASH = keccak256(
        "ListingAuthorization(bytes32 listingId,uint32 version,bytes8 homeExchange,bytes32 manifestHash,bytes32 fingerprint,bytes32 catalogueHash,Policy policy,uint64 deadline)Policy(uint8 grade,uint8 openClass,uint8 personalInfo,uint8 piFlags,bytes32 consentEvidence,bytes32 riskAssessment,bytes32 authorisationId,uint32 purposes,uint16 maxTermDays,uint8 territory,uint8 onwardTransfer,bool modelTraining,uint8 deliveryModes,uint256 grantingExchanges,uint64 priceFloorFen)"
    );

    /// @dev ABI layout of ListingRecord: provider, version, manifestHash, fingerprint, then Policy.
    uint256 private constant RECORD_SIZE = 19 * 32;
    uint256 private constant POLICY_OFFSET = 4 * 32;
    uint256 private constant POLICY_SIZE = 15 * 32;

    IConsortium private immutable _consortium;
    address private immutable _licenceRegistry;

    /// @dev A listing's one storage slot.
    struct State {
        uint32 seq; // last sequence number of the listing's events
        uint8 status;
        uint8 homeIndex;
        uint40 suspendedUntil; // a regulator's suspension (type(uint40).max: until reinstated)
        uint168 recordHash; // the top 168 bits of keccak256(abi.encode(record))
    }

    mapping(bytes32 listingId => State) private _listings;
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

    modifier onlyConsortium() {
        if (msg.sender != address(_consortium)) revert ListingRegistryUnauthorized(msg.sender);
        _;
    }

    // ----------------------------------------------------------------- external

    /// @inheritdoc IListingRegistry
    function list(ListingRecord calldata record, bytes calldata catalogue, uint64 deadline, bytes calldata signature)
        external
        returns (bytes32 listingId)
    {
        (bytes8 home, uint8 homeIndex) = _consortium.listingContext(msg.sender, record.provider);
        listingId = record.fingerprint;
        if (record.version != 1) revert ListingRegistryWrongVersion(listingId, 1, record.version);
        _checkPolicy(listingId, record.policy);
        _verifyAuthorization(listingId, home, record, catalogue, deadline, signature);
        if (_listings[listingId].status != 0 || !_fingerprintFree(record.fingerprint, record.provider)) {
            emit DuplicateFingerprintRefused(record.fingerprint, record.provider, msg.sender, listingId, home);
            return bytes32(0);
        }
        _listings[listingId] = State({
            seq: 1,
            status: Codes.LISTING_LISTED,
            homeIndex: homeIndex,
            suspendedUntil: 0,
            recordHash: _truncate(_recordHash(record))
        });
        emit Listed(listingId, record.provider, home, msg.sender, record, catalogue, 1);
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
        State memory state = _loadChecked(listingId, current);
        if (state.status == Codes.LISTING_DELISTED) revert ListingRegistryDelisted(listingId);
        (bytes8 home, uint8 index) = _consortium.listingContext(msg.sender, current.provider);
        if (index != state.homeIndex) revert ListingRegistryNotHomeOperator(msg.sender, listingId);
        if (next.provider != current.provider) {
            revert ListingRegistryProviderChanged(listingId, current.provider, next.provider);
        }
        if (next.version != current.version + 1) {
            revert ListingRegistryWrongVersion(listingId, current.version + 1, next.version);
        }
        if ((current.policy.openClass == 0) != (next.policy.openClass == 0)) {
            revert ListingRegistryPublicDataChanged(listingId, current.policy.openClass, next.policy.openClass);
        }
        _checkPolicy(listingId, next.policy);
        _verifyAuthorization(listingId, home, next, catalogue, deadline, signature);
        if (!_claimFingerprint(listingId, next.provider, next.fingerprint)) {
            emit DuplicateFingerprintRefused(next.fingerprint, next.provider, msg.sender, listingId, home);
            return;
        }
        state.seq += 1;
        state.status = Codes.LISTING_LISTED;
        state.recordHash = _truncate(_recordHash(next));
        _listings[listingId] = state;
        emit VersionPublished(listingId, next.provider, home, msg.sender, next, catalogue, state.seq);
    }

    /// @inheritdoc IListingRegistry
    function delist(bytes32 listingId, ListingRecord calldata current, uint16 reasonCode, bytes32 evidenceHash)
        external
    {
        State storage state = _loadChecked(listingId, current);
        if (state.status == Codes.LISTING_DELISTED) revert ListingRegistryDelisted(listingId);
        bytes8 actingExchange;
        if (msg.sender != current.provider) {
            actingExchange = _requireHome(listingId, state.homeIndex);
        }
        state.status = Codes.LISTING_DELISTED;
        emit Delisted(listingId, msg.sender, actingExchange, reasonCode, evidenceHash, ++state.seq);
    }

    /// @inheritdoc IListingRegistry
    function withdrawConsent(bytes32 listingId, ListingRecord calldata current, bytes32 evidenceHash) external {
        State storage state = _loadChecked(listingId, current);
        if (msg.sender != current.provider) revert ListingRegistryNotProvider(msg.sender, listingId);
        if (state.status != Codes.LISTING_LISTED) revert ListingRegistryNotListed(listingId, state.status);
        if (current.policy.consentEvidence == bytes32(0)) revert ListingRegistryNoConsent(listingId);
        state.status = Codes.LISTING_CONSENT_WITHDRAWN;
        emit ConsentWithdrawn(listingId, msg.sender, evidenceHash, ++state.seq);
    }

    /// @inheritdoc IListingRegistry
    function recordGrant(bytes32 listingId, bytes32 recordHash)
        external
        onlyLicenceRegistry
        returns (uint8 homeIndex, uint64 seq)
    {
        State memory state = _listings[listingId];
        if (state.recordHash != _truncate(recordHash)) revert ListingRegistryRecordMismatch(listingId);
        if (state.status != Codes.LISTING_LISTED) revert ListingRegistryNotListed(listingId, state.status);
        if (state.suspendedUntil > block.timestamp) {
            revert ListingRegistrySuspended(listingId, _untilOut(state.suspendedUntil));
        }
        _listings[listingId].seq = state.seq + 1;
        return (state.homeIndex, state.seq + 1);
    }

    /// @inheritdoc IListingRegistry
    function nextSequence(bytes32 listingId) external onlyLicenceRegistry returns (uint64 seq) {
        State storage state = _listings[listingId];
        if (state.status == 0) revert ListingRegistryUnknownListing(listingId);
        return ++state.seq;
    }

    /// @inheritdoc ISuspendable
    function setSuspension(bytes32 listingId, uint64 until)
        external
        onlyConsortium
        returns (bool exists, uint8 exchangeIndex, uint64 previous)
    {
        State storage state = _listings[listingId];
        if (state.status == 0) return (false, 0, 0);
        previous = _untilOut(state.suspendedUntil);
        state.suspendedUntil = until > type(uint40).max ? type(uint40).max : uint40(until);
        return (true, state.homeIndex, previous);
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IListingRegistry
    function listingState(bytes32 listingId)
        external
        view
        returns (uint8 status, uint8 homeIndex, uint64 seq, uint64 suspendedUntil_, bytes21 recordHash)
    {
        State memory state = _listings[listingId];
        return (state.status, state.homeIndex, state.seq, _untilOut(state.suspendedUntil), bytes21(state.recordHash));
    }

    /// @inheritdoc ISuspendable
    function suspendedUntil(bytes32 listingId) external view returns (uint64) {
        return _untilOut(_listings[listingId].suspendedUntil);
    }

    /// @inheritdoc IListingRegistry
    function isCurrentRecord(bytes32 listingId, ListingRecord calldata record) external view returns (bool) {
        State memory state = _listings[listingId];
        return state.status != 0 && state.recordHash == _truncate(_recordHash(record));
    }

    /// @notice Whether a dataset with this fingerprint is listed: as a listing's first version (its
    /// id) or as a later version (then `owner` is that version's provider).
    function fingerprintState(bytes32 fingerprint) external view returns (bool listed, address owner) {
        owner = _fingerprintOwner[fingerprint];
        listed = owner != address(0) || _listings[fingerprint].status != 0;
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

    /// @dev keccak256(abi.encode(record)), hashed straight from calldata (see CalldataHash).
    function _recordHash(ListingRecord calldata record) private pure returns (bytes32) {
        uint256 offset;
        assembly ("memory-safe") {
            offset := record
        }
        return CalldataHash.hash(offset, RECORD_SIZE);
    }

    /// @dev The EIP-712 hashStruct of the record's policy.
    function _policyHash(ListingRecord calldata record) private pure returns (bytes32) {
        uint256 offset;
        assembly ("memory-safe") {
            offset := record
        }
        return CalldataHash.hashStruct(POLICY_TYPEHASH, offset + POLICY_OFFSET, POLICY_SIZE);
    }

    function _truncate(bytes32 hash) private pure returns (uint168) {
        return uint168(uint256(hash) >> 88);
    }

    /// @dev A stored uint40 end as the uint64 the interfaces speak (uint40 max: indefinite).
    function _untilOut(uint40 until) private pure returns (uint64) {
        return until == type(uint40).max ? type(uint64).max : until;
    }

    /// @dev Loads a listing and checks `record` against its stored hash.
    function _loadChecked(bytes32 listingId, ListingRecord calldata record) private view returns (State storage state) {
        state = _listings[listingId];
        if (state.status == 0) revert ListingRegistryUnknownListing(listingId);
        if (state.recordHash != _truncate(_recordHash(record))) revert ListingRegistryRecordMismatch(listingId);
    }

    /// @dev The caller must operate for the listing's home exchange, which must be active.
    function _requireHome(bytes32 listingId, uint8 homeIndex) private view returns (bytes8 code) {
        uint8 index;
        (code, index) = _consortium.operatorExchange(msg.sender);
        if (code == bytes8(0) || index != homeIndex) revert ListingRegistryNotHomeOperator(msg.sender, listingId);
        // A removed exchange keeps its operators' entries, but they lose all rights.
        _consortium.requireOperator(msg.sender);
    }

    /// @dev Whether no other provider holds `fingerprint` as a later version of one of its listings.
    function _fingerprintFree(bytes32 fingerprint, address provider) private view returns (bool) {
        address owner = _fingerprintOwner[fingerprint];
        return owner == address(0) || owner == provider;
    }

    /// @dev Claims a new version's fingerprint for `provider`; false when it is another listing's
    /// dataset or another provider's version. A first version needs no claim: its fingerprint is
    /// its listing id, held by the listing's own slot.
    function _claimFingerprint(bytes32 listingId, address provider, bytes32 fingerprint) private returns (bool) {
        if (fingerprint == listingId) return true;
        if (_listings[fingerprint].status != 0 || !_fingerprintFree(fingerprint, provider)) return false;
        _fingerprintOwner[fingerprint] = provider;
        return true;
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
                _policyHash(record),
                deadline
            )
        );
        if (!Signatures.isValidNow(record.provider, _hashTypedDataV4(structHash), signature)) {
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
