// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The enforceable part of a listing: classification, personal-information status and the
/// usage envelope that bounds every licence. Numeric codes are those of `onelist/codes.py`.
struct Policy {
    uint8 grade; // 0 一般 general, 1 重要 important, 2 核心 core (never listed)
    uint8 openClass; // 0 not public data, 1 无条件开放, 2 有条件开放, 3 不予开放
    uint8 personalInfo; // 0 none, 1 anonymised, 2 de-identified, 3 identifiable
    uint8 piFlags; // bit 0 sensitive PI, bit 1 under-14 data
    bytes32 consentEvidence; // consent (or anonymisation report) evidence hash
    bytes32 riskAssessment; // risk-assessment evidence hash (important data)
    bytes32 authorisationId; // public-data authorisation id hash (有条件开放)
    uint32 purposes; // allowed purposes, a bit each
    uint16 maxTermDays; // longest licence term
    uint8 territory; // 0 mainland only, 1 cross-border allowed
    uint8 onwardTransfer; // 0 none, 1 derived products only, 2 sublicence
    bool modelTraining; // model training allowed
    uint8 deliveryModes; // bit 0 file, 1 API, 2 sandbox, 3 privacy computing
    uint256 grantingExchanges; // bit i admits the exchange of index i; 0 admits every member
    uint64 priceFloorFen; // lowest licence price, in fen
}

/// @notice What the registry holds of a listing's current version, as a hash: later calls pass
/// the record in calldata and the registry checks it against that hash.
struct ListingRecord {
    address provider;
    uint32 version;
    bytes32 manifestHash; // keccak256 of the RFC 8785 canonical manifest
    bytes32 fingerprint; // Merkle root over the dataset's file hashes
    Policy policy;
}

/// @notice The terms of a licence, exactly as the licensee signs them (EIP-712 LicenceAcceptance).
struct LicenceTerms {
    bytes32 listingId;
    uint32 version;
    address licensee;
    bytes8 grantingExchange;
    uint32 purposes;
    uint64 start;
    uint64 end;
    uint8 territory;
    uint8 deliveryMode; // exactly one bit of the listing's delivery modes
    uint8 onwardTransfer;
    bool modelTraining;
    uint64 priceFen;
    bytes32 settlementHash; // hash of the off-chain settlement reference
    uint64 deadline; // the acceptance is void after this time
}

/// @notice Numeric codes shared by the contracts (mirrors `onelist/codes.py`).
library Codes {
    uint8 internal constant GRADE_IMPORTANT = 1;
    uint8 internal constant GRADE_CORE = 2;

    uint8 internal constant OPEN_CONDITIONAL = 2;
    uint8 internal constant OPEN_NOT_OPEN = 3;

    uint8 internal constant PI_NONE = 0;
    uint8 internal constant PI_ANONYMISED = 1;
    uint8 internal constant PI_IDENTIFIABLE = 3;
    uint8 internal constant PI_FLAGS_ALL = 3;

    uint8 internal constant TERRITORY_CROSS_BORDER = 1;
    uint8 internal constant ONWARD_SUBLICENCE = 2;
    uint8 internal constant DELIVERY_ALL = 15;

    uint8 internal constant LISTING_LISTED = 1;
    uint8 internal constant LISTING_CONSENT_WITHDRAWN = 2;
    uint8 internal constant LISTING_DELISTED = 3;

    uint8 internal constant LICENCE_ACTIVE = 1;
    uint8 internal constant LICENCE_REVOKED = 2;
    uint8 internal constant LICENCE_TERMINATED = 3;

    uint8 internal constant SCOPE_LISTING = 0;
    uint8 internal constant SCOPE_PROVIDER = 1;
    uint8 internal constant SCOPE_LICENCE = 2;
    uint8 internal constant SCOPE_EXCHANGE_GRANTING = 3;

    uint8 internal constant ROLE_PROVIDER = 1;
    uint8 internal constant ROLE_LICENSEE = 2;

    uint8 internal constant EXCHANGE_ACTIVE = 1;
    uint8 internal constant EXCHANGE_REMOVED = 2;

    uint8 internal constant PROPOSAL_ADMIT_EXCHANGE = 0;
    uint8 internal constant PROPOSAL_REMOVE_EXCHANGE = 1;
    uint8 internal constant PROPOSAL_ADD_REGULATOR = 2;
    uint8 internal constant PROPOSAL_REMOVE_REGULATOR = 3;
    uint8 internal constant PROPOSAL_SET_FEE_SCHEDULE = 4;
    uint8 internal constant PROPOSAL_SET_VOTING_PERIOD = 5;
}
