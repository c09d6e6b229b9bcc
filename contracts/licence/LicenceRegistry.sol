// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ILicenceRegistry} from "./ILicenceRegistry.sol";
import {IListingRegistry} from "../listing/IListingRegistry.sol";
import {IConsortium} from "../membership/IConsortium.sol";
import {Codes, LicenceTerms, ListingRecord, Policy} from "../common/OnelistTypes.sol";

/// @title LicenceRegistry
/// @notice Licence grants and their lifecycle. One storage slot per licence (status, granting
/// exchange, start, end); the terms travel in the event and later calls pass them in calldata,
/// where their EIP-712 digest must equal the licence id.
contract LicenceRegistry is ILicenceRegistry, EIP712 {
    /// @dev keccak256("LicenceAcceptance(bytes32 listingId,uint32 version,address licensee,bytes8 grantingExchange,uint32 purposes,uint64 start,uint64 end,uint8 territory,uint8 deliveryMode,uint8 onwardTransfer,bool modelTraining,uint64 priceFen,bytes32 settlementHash,uint64 deadline)")
    bytes32 public constant LICENCE_ACCEPTANCE_TYPEHASH = keccak256(
        "LicenceAcceptance(bytes32 listingId,uint32 version,address licensee,bytes8 grantingExchange,uint32 purposes,uint64 start,uint64 end,uint8 territory,uint8 deliveryMode,uint8 onwardTransfer,bool modelTraining,uint64 priceFen,bytes32 settlementHash,uint64 deadline)"
    );

    /// @dev keccak256("LicenceTermination(bytes32 licenceId,uint64 deadline)")
    bytes32 public constant LICENCE_TERMINATION_TYPEHASH = keccak256("LicenceTermination(bytes32 licenceId,uint64 deadline)");

    IConsortium private immutable _consortium;
    IListingRegistry private immutable _listings;

    /// @dev licenceId => end (bits 80-143) | start (16-79) | granting index (8-15) | status (0-7).
    mapping(bytes32 licenceId => uint256 packed) private _licences;

    constructor(address consortium_, address listingRegistry_) EIP712("onelist LicenceRegistry", "1") {
        _consortium = IConsortium(consortium_);
        _listings = IListingRegistry(listingRegistry_);
    }

    // ----------------------------------------------------------------- external

    /// @inheritdoc ILicenceRegistry
    function grant(LicenceTerms calldata terms, ListingRecord calldata record, bytes calldata acceptance)
        external
        returns (bytes32 licenceId)
    {
        if (block.timestamp > terms.deadline) revert LicenceRegistryExpiredSignature(terms.deadline, block.timestamp);
        if (terms.version != record.version) {
            revert LicenceRegistryVersionMismatch(terms.listingId, record.version, terms.version);
        }
        _checkTerms(terms, record.policy);
        (uint8 index, uint48 fees) = _grantingExchange(terms, record);
        licenceId = licenceIdOf(terms);
        if (_licences[licenceId] != 0) revert LicenceRegistryAlreadyGranted(licenceId);
        if (!SignatureChecker.isValidSignatureNow(terms.licensee, licenceId, acceptance)) {
            revert LicenceRegistryInvalidSignature(licenceId, terms.licensee);
        }
        (, uint64 seq) = _listings.recordGrant(terms.listingId, keccak256(abi.encode(record)));
        _licences[licenceId] = uint256(Codes.LICENCE_ACTIVE) | (uint256(index) << 8) | (uint256(terms.start) << 16)
            | (uint256(terms.end) << 80);
        _emitGranted(licenceId, terms, fees, seq);
    }

    /// @inheritdoc ILicenceRegistry
    function revokeByProvider(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        uint16 reasonCode,
        bytes32 evidenceHash
    ) external {
        bytes32 licenceId = _requireActive(terms);
        _requireProvider(terms.listingId, record);
        _end(licenceId, Codes.LICENCE_REVOKED);
        emit LicenceRevoked(
            licenceId, terms.listingId, msg.sender, false, reasonCode, evidenceHash, _listings.nextSequence(terms.listingId)
        );
    }

    /// @inheritdoc ILicenceRegistry
    function revokeByRegulator(LicenceTerms calldata terms, uint16 reasonCode, bytes32 legalBasis) external {
        bytes32 licenceId = _requireActive(terms);
        if (!_consortium.regulatorCovers(msg.sender, uint8(_licences[licenceId] >> 8))) {
            revert LicenceRegistryNotRegulator(msg.sender, licenceId);
        }
        _end(licenceId, Codes.LICENCE_REVOKED);
        emit LicenceRevoked(
            licenceId, terms.listingId, msg.sender, true, reasonCode, legalBasis, _listings.nextSequence(terms.listingId)
        );
    }

    /// @inheritdoc ILicenceRegistry
    function terminate(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        uint64 deadline,
        bytes calldata providerSignature,
        bytes calldata licenseeSignature
    ) external {
        bytes32 licenceId = _requireActive(terms);
        if (!_listings.isCurrentRecord(terms.listingId, record)) revert LicenceRegistryRecordMismatch(terms.listingId);
        if (block.timestamp > deadline) revert LicenceRegistryExpiredSignature(deadline, block.timestamp);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(LICENCE_TERMINATION_TYPEHASH, licenceId, deadline)));
        if (!SignatureChecker.isValidSignatureNow(record.provider, digest, providerSignature)) {
            revert LicenceRegistryInvalidSignature(licenceId, record.provider);
        }
        if (!SignatureChecker.isValidSignatureNow(terms.licensee, digest, licenseeSignature)) {
            revert LicenceRegistryInvalidSignature(licenceId, terms.licensee);
        }
        _end(licenceId, Codes.LICENCE_TERMINATED);
        emit LicenceTerminated(licenceId, terms.listingId, msg.sender, _listings.nextSequence(terms.listingId));
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc ILicenceRegistry
    function inForce(bytes32 licenceId) external view returns (bool) {
        (uint8 status,, uint64 start, uint64 end) = licenceState(licenceId);
        return status == Codes.LICENCE_ACTIVE && block.timestamp >= start && block.timestamp < end
            && !_consortium.isSuspended(Codes.SCOPE_LICENCE, licenceId);
    }

    /// @inheritdoc ILicenceRegistry
    function licenceState(bytes32 licenceId)
        public
        view
        returns (uint8 status, uint8 grantingIndex, uint64 start, uint64 end)
    {
        uint256 packed = _licences[licenceId];
        return (uint8(packed), uint8(packed >> 8), uint64(packed >> 16), uint64(packed >> 80));
    }

    /// @notice For oversight: whether the licence exists and its granting exchange's index.
    function jurisdictionOf(bytes32 licenceId) external view returns (bool exists, uint8 exchangeIndex) {
        uint256 packed = _licences[licenceId];
        return (packed != 0, uint8(packed >> 8));
    }

    /// @notice The id of a licence on `terms`: the EIP-712 digest the licensee signs.
    function licenceIdOf(LicenceTerms calldata terms) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(LICENCE_ACCEPTANCE_TYPEHASH, terms)));
    }

    /// @notice Splits `priceFen` by `fees` (home, granting, consortium basis points packed as uint16s):
    /// [provider, home exchange, granting exchange, consortium]; rounding remainders go to the provider.
    function split(uint64 priceFen, uint48 fees) public pure returns (uint64[4] memory shares) {
        shares[1] = uint64((uint256(priceFen) * uint16(fees)) / 10_000);
        shares[2] = uint64((uint256(priceFen) * uint16(fees >> 16)) / 10_000);
        shares[3] = uint64((uint256(priceFen) * uint16(fees >> 32)) / 10_000);
        shares[0] = priceFen - shares[1] - shares[2] - shares[3];
    }

    // ----------------------------------------------------------------- internal

    /// @dev The granting exchange: the caller's, named in the terms, admitted by the listing, and
    /// every party and scope checked by the consortium.
    function _grantingExchange(LicenceTerms calldata terms, ListingRecord calldata record)
        private
        view
        returns (uint8 index, uint48 fees)
    {
        bytes8 code;
        (code, index, fees) = _consortium.grantContext(msg.sender, terms.licensee, record.provider, terms.listingId);
        if (code != terms.grantingExchange) revert LicenceRegistryWrongGrantingExchange(code, terms.grantingExchange);
        uint256 admitted = record.policy.grantingExchanges;
        if (admitted != 0 && (admitted >> index) & 1 == 0) {
            revert LicenceRegistryExchangeNotAdmitted(terms.listingId, code);
        }
    }

    function _emitGranted(bytes32 licenceId, LicenceTerms calldata terms, uint48 fees, uint64 seq) private {
        emit LicenceGranted(licenceId, terms.listingId, terms.licensee, msg.sender, terms, split(terms.priceFen, fees), seq);
    }

    function _requireActive(LicenceTerms calldata terms) private view returns (bytes32 licenceId) {
        licenceId = licenceIdOf(terms);
        uint8 status = uint8(_licences[licenceId]);
        if (status == 0) revert LicenceRegistryUnknownLicence(licenceId);
        if (status != Codes.LICENCE_ACTIVE) revert LicenceRegistryNotActive(licenceId, status);
    }

    function _requireProvider(bytes32 listingId, ListingRecord calldata record) private view {
        if (!_listings.isCurrentRecord(listingId, record)) revert LicenceRegistryRecordMismatch(listingId);
        if (msg.sender != record.provider) revert LicenceRegistryNotProvider(msg.sender, listingId);
    }

    function _end(bytes32 licenceId, uint8 status) private {
        _licences[licenceId] = (_licences[licenceId] & ~uint256(0xff)) | status;
    }

    /// @dev The licence terms must sit inside the listing's usage envelope.
    function _checkTerms(LicenceTerms calldata t, Policy calldata p) private view {
        if (t.start >= t.end || t.end <= block.timestamp || t.end - t.start > uint64(p.maxTermDays) * 1 days) {
            revert LicenceRegistryInvalidTerm(t.start, t.end, p.maxTermDays);
        }
        if (t.purposes == 0 || t.purposes & ~p.purposes != 0) {
            revert LicenceRegistryPurposesNotAllowed(t.purposes, p.purposes);
        }
        if (t.territory > p.territory) revert LicenceRegistryTerritoryNotAllowed(t.territory, p.territory);
        if (t.deliveryMode == 0 || t.deliveryMode & (t.deliveryMode - 1) != 0 || t.deliveryMode & p.deliveryModes == 0) {
            revert LicenceRegistryDeliveryModeNotOffered(t.deliveryMode, p.deliveryModes);
        }
        if (t.onwardTransfer > p.onwardTransfer) {
            revert LicenceRegistryOnwardTransferNotAllowed(t.onwardTransfer, p.onwardTransfer);
        }
        if (t.modelTraining && !p.modelTraining) revert LicenceRegistryTrainingNotAllowed(t.listingId);
        if (t.priceFen < p.priceFloorFen) revert LicenceRegistryPriceBelowFloor(t.priceFen, p.priceFloorFen);
    }
}
