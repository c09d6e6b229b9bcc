// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Signatures} from "../common/Signatures.sol";
import {CalldataHash} from "../common/CalldataHash.sol";
import {ILicenceRegistry} from "./ILicenceRegistry.sol";
import {IListingRegistry} from "../listing/IListingRegistry.sol";
import {IConsortium} from "../membership/IConsortium.sol";
import {ISuspendable} from "../oversight/ISuspendable.sol";
import {Codes, LicenceTerms, ListingRecord, Policy} from "../common/OnelistTypes.sol";

/// @title LicenceRegistry
/// @notice Licence grants and their lifecycle. One storage slot per licence (status, granting
/// exchange, start, end, a regulator's suspension, exclusivity); the terms travel in the event and
/// later calls pass them in calldata, where their EIP-712 digest must equal the licence id. One slot
/// per licensed public-data listing says whether an exclusive licence stands on it and how long its
/// other licences may run; other listings' grants never touch it.
contract LicenceRegistry is ILicenceRegistry, ISuspendable, EIP712 {
    /// @dev keccak256("LicenceAcceptance(bytes32 listingId,uint32 version,address licensee,bytes8 grantingExchange,uint32 purposes,uint64 start,uint64 end,uint8 territory,uint8 deliveryMode,uint8 onwardTransfer,bool modelTraining,uint64 priceFen,bytes32 settlementHash,uint64 deadline)")
    bytes32 public constant LICENCE_ACCEPTANCE_TYPEHASH = keccak256(
        "LicenceAcceptance(bytes32 listingId,uint32 version,address licensee,bytes8 grantingExchange,uint32 purposes,uint64 start,uint64 end,uint8 territory,uint8 deliveryMode,uint8 onwardTransfer,bool modelTraining,uint64 priceFen,bytes32 settlementHash,uint64 deadline)"
    );

    /// @dev keccak256("LicenceTermination(bytes32 licenceId,uint64 deadline)")
    bytes32 public constant LICENCE_TERMINATION_TYPEHASH = keccak256("LicenceTermination(bytes32 licenceId,uint64 deadline)");

    /// @dev ABI sizes of the static structs hashed straight from calldata.
    uint256 private constant TERMS_SIZE = 14 * 32;
    uint256 private constant RECORD_SIZE = 19 * 32;

    /// @dev The longest term of an exclusive licence: five years (DOMAIN), 1,826 days.
    uint16 public constant MAX_EXCLUSIVE_TERM_DAYS = 1826;

    IConsortium private immutable _consortium;
    IListingRegistry private immutable _listings;

    /// @dev A licence's one storage slot.
    struct State {
        uint8 status;
        uint8 grantingIndex;
        uint64 start;
        uint64 end;
        uint64 suspendedUntil; // a regulator's suspension
        bool exclusive; // granted by {grantExclusive}
    }

    /// @dev A public-data listing's licensing, one slot, written by every grant on it: the latest
    /// `end` among its licences (an exclusive grant waits until it has passed) and the `end` of
    /// the exclusive licence standing on it (0 when none; other grants wait until it has passed).
    /// The cheapest record that decides both rules: a grant reads it (one cold read, 2,100 gas)
    /// and writes it only when its end is the latest yet (20,000 gas on a listing's first grant,
    /// 2,900 after). Only public-data listings (`policy.openClass` nonzero) can take an exclusive
    /// licence, so only their grants keep it; a new version cannot make a listing public data or
    /// stop it being so ({IListingRegistry-ListingRegistryPublicDataChanged}), so no grant of a
    /// public-data listing goes unrecorded here. Licences that ended early (revoked, terminated)
    /// still count until their `end` — except the exclusive licence itself, whose revocation or termination clears the
    /// slot: while it stood no other grant was made, and every licence granted before it had
    /// ended, so nothing else on the listing can be in force.
    struct Licensing {
        uint64 latestEnd;
        uint64 exclusiveEnd;
    }

    mapping(bytes32 licenceId => State) private _licences;
    mapping(bytes32 listingId => Licensing) private _licensing;
    /// @dev The listing's latest exclusive licence: written only by exclusive grants, read only to
    /// name it (a refusal, {listingLicensing}); it stands while `_licensing.exclusiveEnd` > now.
    mapping(bytes32 listingId => bytes32 licenceId) private _exclusiveLicence;

    constructor(address consortium_, address listingRegistry_) EIP712("onelist LicenceRegistry", "1") {
        _consortium = IConsortium(consortium_);
        _listings = IListingRegistry(listingRegistry_);
    }

    modifier onlyConsortium() {
        if (msg.sender != address(_consortium)) revert LicenceRegistryUnauthorized(msg.sender);
        _;
    }

    // ----------------------------------------------------------------- external

    /// @inheritdoc ILicenceRegistry
    function grant(LicenceTerms calldata terms, ListingRecord calldata record, bytes calldata acceptance)
        external
        returns (bytes32 licenceId)
    {
        uint48 fees;
        uint64 seq;
        (licenceId, fees, seq) = _grant(terms, record, acceptance, false);
        emit LicenceGranted(
            licenceId,
            terms.listingId,
            terms.licensee,
            terms.grantingExchange,
            msg.sender,
            terms.version,
            terms.purposes,
            terms.start,
            terms.end,
            terms.territory,
            terms.deliveryMode,
            terms.onwardTransfer,
            terms.modelTraining,
            terms.priceFen,
            terms.settlementHash,
            terms.deadline,
            _packedSplit(terms.priceFen, fees),
            seq
        );
    }

    /// @inheritdoc ILicenceRegistry
    function grantExclusive(
        LicenceTerms calldata terms,
        ListingRecord calldata record,
        bytes calldata acceptance,
        bytes32 approvalRef,
        bytes32 auctionRef
    ) external returns (bytes32 licenceId) {
        if (approvalRef == 0 || auctionRef == 0) {
            revert LicenceRegistryExclusiveReferenceRequired(terms.listingId, approvalRef, auctionRef);
        }
        uint48 fees;
        uint64 seq;
        (licenceId, fees, seq) = _grant(terms, record, acceptance, true);
        emit ExclusiveLicenceGranted(
            licenceId,
            terms.listingId,
            terms.licensee,
            terms.grantingExchange,
            msg.sender,
            terms.version,
            terms.purposes,
            terms.start,
            terms.end,
            terms.territory,
            terms.deliveryMode,
            terms.onwardTransfer,
            terms.modelTraining,
            terms.priceFen,
            terms.settlementHash,
            terms.deadline,
            _packedSplit(terms.priceFen, fees),
            approvalRef,
            auctionRef,
            seq
        );
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
        _end(licenceId, terms.listingId, Codes.LICENCE_REVOKED);
        emit LicenceRevoked(
            licenceId, terms.listingId, msg.sender, false, reasonCode, evidenceHash, _listings.nextSequence(terms.listingId)
        );
    }

    /// @inheritdoc ILicenceRegistry
    function revokeByRegulator(LicenceTerms calldata terms, uint16 reasonCode, bytes32 legalBasis) external {
        bytes32 licenceId = _requireActive(terms);
        if (!_consortium.regulatorCovers(msg.sender, _licences[licenceId].grantingIndex)) {
            revert LicenceRegistryNotRegulator(msg.sender, licenceId);
        }
        _end(licenceId, terms.listingId, Codes.LICENCE_REVOKED);
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
        if (!Signatures.isValidNow(record.provider, digest, providerSignature)) {
            revert LicenceRegistryInvalidSignature(licenceId, record.provider);
        }
        if (!Signatures.isValidNow(terms.licensee, digest, licenseeSignature)) {
            revert LicenceRegistryInvalidSignature(licenceId, terms.licensee);
        }
        _end(licenceId, terms.listingId, Codes.LICENCE_TERMINATED);
        emit LicenceTerminated(licenceId, terms.listingId, msg.sender, _listings.nextSequence(terms.listingId));
    }

    /// @inheritdoc ISuspendable
    function setSuspension(bytes32 licenceId, uint64 until)
        external
        onlyConsortium
        returns (bool exists, uint8 exchangeIndex, uint64 previous)
    {
        State storage state = _licences[licenceId];
        if (state.status == 0) return (false, 0, 0);
        previous = state.suspendedUntil;
        state.suspendedUntil = until;
        return (true, state.grantingIndex, previous);
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc ILicenceRegistry
    function inForce(bytes32 licenceId) external view returns (bool) {
        State memory state = _licences[licenceId];
        return state.status == Codes.LICENCE_ACTIVE && block.timestamp >= state.start && block.timestamp < state.end
            && state.suspendedUntil <= block.timestamp;
    }

    /// @inheritdoc ILicenceRegistry
    function listingLicensing(bytes32 listingId)
        external
        view
        returns (bytes32 exclusiveLicenceId, uint64 exclusiveEnd, uint64 latestEnd)
    {
        Licensing memory licensing = _licensing[listingId];
        if (licensing.exclusiveEnd > block.timestamp) {
            return (_exclusiveLicence[listingId], licensing.exclusiveEnd, licensing.latestEnd);
        }
        return (bytes32(0), 0, licensing.latestEnd);
    }

    /// @inheritdoc ILicenceRegistry
    function licenceState(bytes32 licenceId)
        external
        view
        returns (uint8 status, uint8 grantingIndex, uint64 start, uint64 end, uint64 suspendedUntil_)
    {
        State memory state = _licences[licenceId];
        return (state.status, state.grantingIndex, state.start, state.end, state.suspendedUntil);
    }

    /// @inheritdoc ISuspendable
    function suspendedUntil(bytes32 licenceId) external view returns (uint64) {
        return _licences[licenceId].suspendedUntil;
    }

    /// @notice The id of a licence on `terms`: the EIP-712 digest the licensee signs.
    function licenceIdOf(LicenceTerms calldata terms) public view returns (bytes32) {
        uint256 offset;
        assembly ("memory-safe") {
            offset := terms
        }
        return _hashTypedDataV4(CalldataHash.hashStruct(LICENCE_ACCEPTANCE_TYPEHASH, offset, TERMS_SIZE));
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

    /// @dev A grant, exclusive or not: every check, the listing's sequence number, the licence's
    /// slot and, on a public-data listing, the listing's licensing slot. The caller emits the
    /// grant's one event. `record` is checked against the stored hash by {IListingRegistry-recordGrant}.
    function _grant(LicenceTerms calldata terms, ListingRecord calldata record, bytes calldata acceptance, bool exclusive)
        private
        returns (bytes32 licenceId, uint48 fees, uint64 seq)
    {
        if (block.timestamp > terms.deadline) revert LicenceRegistryExpiredSignature(terms.deadline, block.timestamp);
        if (terms.version != record.version) {
            revert LicenceRegistryVersionMismatch(terms.listingId, record.version, terms.version);
        }
        _checkTerms(terms, record.policy);
        if (exclusive) _checkExclusiveTerms(terms, record.policy);
        uint8 index;
        (index, fees) = _grantingExchange(terms, record);
        licenceId = licenceIdOf(terms);
        if (_licences[licenceId].status != 0) revert LicenceRegistryAlreadyGranted(licenceId);
        // Only public data can take an exclusive licence, and a listing never changes between
        // public data and not (ListingRegistry refuses such a version), so other listings' grants
        // neither read nor write the licensing slot.
        if (record.policy.openClass != 0) _claimListing(terms, licenceId, exclusive);
        if (!Signatures.isValidNow(terms.licensee, licenceId, acceptance)) {
            revert LicenceRegistryInvalidSignature(licenceId, terms.licensee);
        }
        (, seq) = _listings.recordGrant(terms.listingId, _recordHash(record));
        _licences[licenceId] = State({
            status: Codes.LICENCE_ACTIVE,
            grantingIndex: index,
            start: terms.start,
            end: terms.end,
            suspendedUntil: 0,
            exclusive: exclusive
        });
    }

    /// @dev Exclusivity, on the listing's licensing slot (see {Licensing}): no grant while an
    /// exclusive licence stands; an exclusive grant only once every other licence's term has ended.
    function _claimListing(LicenceTerms calldata terms, bytes32 licenceId, bool exclusive) private {
        Licensing memory licensing = _licensing[terms.listingId];
        if (licensing.exclusiveEnd > block.timestamp) {
            revert LicenceRegistryUnderExclusiveLicence(
                terms.listingId, _exclusiveLicence[terms.listingId], licensing.exclusiveEnd
            );
        }
        if (exclusive) {
            if (licensing.latestEnd > block.timestamp) {
                revert LicenceRegistryOtherLicencesInForce(terms.listingId, licensing.latestEnd);
            }
            _licensing[terms.listingId] = Licensing({latestEnd: terms.end, exclusiveEnd: terms.end});
            _exclusiveLicence[terms.listingId] = licenceId;
        } else if (terms.end > licensing.latestEnd) {
            _licensing[terms.listingId].latestEnd = terms.end;
        }
    }

    /// @dev What an exclusive licence adds to the envelope: public data, and a term of at most five
    /// years from its start or from now, whichever is earlier (the listing is closed to others from
    /// the grant on). {_checkTerms} ran first, so `start < end` and `now < end`.
    function _checkExclusiveTerms(LicenceTerms calldata t, Policy calldata p) private view {
        if (p.openClass == 0) revert LicenceRegistryExclusiveNotPublicData(t.listingId, p.openClass);
        uint256 from = t.start < block.timestamp ? t.start : block.timestamp;
        if (t.end - from > uint256(MAX_EXCLUSIVE_TERM_DAYS) * 1 days) {
            revert LicenceRegistryExclusiveInvalidTerm(t.start, t.end, block.timestamp, MAX_EXCLUSIVE_TERM_DAYS);
        }
    }

    /// @dev The granting exchange: the caller's, named in the terms, admitted by the listing, and
    /// every party and scope checked by the consortium.
    function _grantingExchange(LicenceTerms calldata terms, ListingRecord calldata record)
        private
        view
        returns (uint8 index, uint48 fees)
    {
        bytes8 code;
        (code, index, fees) = _consortium.grantContext(msg.sender, terms.licensee, record.provider);
        if (code != terms.grantingExchange) revert LicenceRegistryWrongGrantingExchange(code, terms.grantingExchange);
        uint256 admitted = record.policy.grantingExchanges;
        if (admitted != 0 && (admitted >> index) & 1 == 0) {
            revert LicenceRegistryExchangeNotAdmitted(terms.listingId, code);
        }
    }

    /// @dev {split} packed as the grant events carry it: four uint64, the provider's in the low bits.
    function _packedSplit(uint64 priceFen, uint48 fees) private pure returns (uint256) {
        uint64[4] memory shares = split(priceFen, fees);
        return uint256(shares[0]) | (uint256(shares[1]) << 64) | (uint256(shares[2]) << 128)
            | (uint256(shares[3]) << 192);
    }

    /// @dev keccak256(abi.encode(record)), as the ListingRegistry stores it.
    function _recordHash(ListingRecord calldata record) private pure returns (bytes32) {
        uint256 offset;
        assembly ("memory-safe") {
            offset := record
        }
        return CalldataHash.hash(offset, RECORD_SIZE);
    }

    function _requireActive(LicenceTerms calldata terms) private view returns (bytes32 licenceId) {
        licenceId = licenceIdOf(terms);
        uint8 status = _licences[licenceId].status;
        if (status == 0) revert LicenceRegistryUnknownLicence(licenceId);
        if (status != Codes.LICENCE_ACTIVE) revert LicenceRegistryNotActive(licenceId, status);
    }

    function _requireProvider(bytes32 listingId, ListingRecord calldata record) private view {
        if (!_listings.isCurrentRecord(listingId, record)) revert LicenceRegistryRecordMismatch(listingId);
        if (msg.sender != record.provider) revert LicenceRegistryNotProvider(msg.sender, listingId);
    }

    /// @dev Ends an active licence. The listing's standing exclusive licence (one whose end has not
    /// passed: no other can be, see {Licensing}) frees the listing as it ends.
    function _end(bytes32 licenceId, bytes32 listingId, uint8 status) private {
        State storage state = _licences[licenceId];
        state.status = status;
        if (state.exclusive && state.end > block.timestamp) delete _licensing[listingId];
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
