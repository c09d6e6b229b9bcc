"""Projections: a decoded event → the row changes that fold it into the index (no chain, no SQL)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, cast

import pytest

from node.events import DecodedEvent, Increment, Insert, RowChange, Update, Upsert
from node.projections import HANDLERS, ProjectionError, project
from node.projections.columns import POLICY_COLUMNS, check_changes
from node.store import schema
from node.store.search_terms import weighted_terms
from onelist.build.compiler import load_artifacts
from onelist.chain.samples import sample_catalogue

OPERATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PROVIDER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
LICENSEE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
REGULATOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
ZERO = "0x" + "00" * 20
BLOCK = 120
BLOCK_TIME = 1_760_000_000
LOG_INDEX = 4
TX = "0x" + "77" * 32
UINT64_MAX = 2**64 - 1


def hx(n: int) -> str:
    return "0x" + f"{n:02x}" * 32


LISTING = hx(0xF1)
LICENCE = hx(0x11)


def event(name: str, args: dict[str, Any], **fields: Any) -> DecodedEvent:
    """A decoded event at block 120, log 4, as ``node.decode`` gives it."""
    return DecodedEvent(
        chain_id=31337,
        block_number=BLOCK,
        block_hash=hx(0xBB),
        block_time=BLOCK_TIME,
        tx_hash=TX,
        log_index=LOG_INDEX,
        contract=fields.pop("contract", "Consortium"),
        name=name,
        args=args,
        **fields,
    )


POLICY = {
    "grade": 1,
    "openClass": 0,
    "personalInfo": 2,
    "piFlags": 1,
    "consentEvidence": hx(0xC1),
    "riskAssessment": hx(0xD1),
    "authorisationId": hx(0),
    "purposes": 35,
    "maxTermDays": 365,
    "territory": 0,
    "onwardTransfer": 1,
    "modelTraining": True,
    "deliveryModes": 11,
    "grantingExchanges": 2**200 + 5,
    "priceFloorFen": 1_000_000,
}
POLICY_ROW = {
    "grade": 1,
    "open_class": 0,
    "personal_info": 2,
    "pi_flags": 1,
    "consent_evidence": hx(0xC1),
    "risk_assessment": hx(0xD1),
    "authorisation_id": hx(0),
    "purposes": 35,
    "max_term_days": 365,
    "territory": 0,
    "onward_transfer": 1,
    "model_training": True,
    "delivery_modes": 11,
    "granting_exchanges": str(2**200 + 5),
    "price_floor_fen": 1_000_000,
}


def record(version: int = 1, **policy: Any) -> dict[str, Any]:
    return {
        "provider": PROVIDER,
        "version": version,
        "manifestHash": hx(0xA0 + version),
        "fingerprint": LISTING,
        "policy": {**POLICY, **policy},
    }


CATALOGUE = sample_catalogue()
CATALOGUE_ROW = {
    "title": CATALOGUE["title"],
    "description": CATALOGUE["description"],
    "keywords": json.dumps(CATALOGUE["keywords"], ensure_ascii=False),
    "category": "交通运输",
    "product_form": "dataset",
    "price_fen": 5_000_000,
    "catalogue": json.dumps(CATALOGUE, ensure_ascii=False, sort_keys=True),
    "catalogue_error": None,
}
NO_CATALOGUE_ROW = {
    "title": None,
    "description": None,
    "keywords": None,
    "category": None,
    "product_form": None,
    "price_fen": None,
    "catalogue": None,
    "catalogue_error": "unknown catalogue codec 0x07",
}


def listing_event(
    name: str,
    version: int = 1,
    catalogue: dict[str, Any] | None = CATALOGUE,
    error: str | None = None,
    **policy: Any,
) -> DecodedEvent:
    args = {
        "listingId": LISTING,
        "provider": PROVIDER,
        "homeExchange": "SH",
        "actor": OPERATOR,
        "record": record(version, **policy),
        "catalogue": "0x02",
        "seq": 3,
    }
    return event(
        name,
        args,
        contract="ListingRegistry",
        catalogue=catalogue,
        catalogue_error=error,
    )


def version_row(version: int, catalogue_row: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": version,
        "manifest_hash": hx(0xA0 + version),
        "fingerprint": LISTING,
        **POLICY_ROW,
        **catalogue_row,
    }


def version_insert(version: int, catalogue_row: dict[str, Any]) -> Insert:
    return Insert(
        "listing_versions",
        {
            "listing_id": LISTING,
            "provider": PROVIDER,
            "home_exchange": "SH",
            "actor": OPERATOR,
            **version_row(version, catalogue_row),
            "block_number": BLOCK,
            "block_time": BLOCK_TIME,
            "tx_hash": TX,
        },
    )


def term_inserts(version: int, catalogue_row: dict[str, Any]) -> list[RowChange]:
    """The version's search terms, in term order (node.store.search_terms decides which)."""
    keywords = json.loads(catalogue_row["keywords"]) if catalogue_row["keywords"] else None
    terms = weighted_terms(
        catalogue_row["title"], catalogue_row["description"], keywords, catalogue_row["category"]
    )
    return [
        Insert(
            "listing_terms",
            {
                "listing_id": LISTING,
                "version": version,
                "term": term,
                "weight": weight,
                "block": BLOCK,
            },
        )
        for term, weight in sorted(terms.items())
    ]


def listed_changes(catalogue_row: dict[str, Any]) -> list[RowChange]:
    return [
        Upsert(
            "listings",
            {"listing_id": LISTING},
            {
                "provider": PROVIDER,
                "home_exchange": "SH",
                "status": "listed",
                **version_row(1, catalogue_row),
                "listed_block": BLOCK,
                "listed_at": BLOCK_TIME,
                "seq": 3,
                "updated_block": BLOCK,
                "updated_at": BLOCK_TIME,
            },
        ),
        version_insert(1, catalogue_row),
        *term_inserts(1, catalogue_row),
    ]


def listing_status(status: str) -> Update:
    return Update(
        "listings",
        {"listing_id": LISTING},
        {"status": status, "seq": 3, "updated_block": BLOCK, "updated_at": BLOCK_TIME},
    )


SHARES = [1_700_000, 100_000, 150_000, 50_000]
GRANT_ARGS = {
    "licenceId": LICENCE,
    "listingId": LISTING,
    "licensee": LICENSEE,
    "grantingExchange": "ZJ",
    "actor": OPERATOR,
    "version": 2,
    "purposes": 1,
    "start": BLOCK_TIME,
    "end": BLOCK_TIME + 180 * 86400,
    "territory": 0,
    "deliveryMode": 2,
    "onwardTransfer": 0,
    "modelTraining": False,
    "priceFen": 2_000_000,
    "settlementHash": hx(0x5E),
    "deadline": BLOCK_TIME + 3600,
    "split": SHARES[0] | SHARES[1] << 64 | SHARES[2] << 128 | SHARES[3] << 192,
    "seq": 5,
    "shares": SHARES,
}

#: The licences row GRANT_ARGS project to (an ordinary licence).
GRANTED_ROW = {
    "licence_id": LICENCE,
    "listing_id": LISTING,
    "version": 2,
    "licensee": LICENSEE,
    "granting_exchange": "ZJ",
    "actor": OPERATOR,
    "purposes": 1,
    "start": BLOCK_TIME,
    "end": BLOCK_TIME + 180 * 86400,
    "territory": 0,
    "delivery_mode": 2,
    "onward_transfer": 0,
    "model_training": False,
    "price_fen": 2_000_000,
    "settlement_hash": hx(0x5E),
    "deadline": BLOCK_TIME + 3600,
    "provider_fen": 1_700_000,
    "home_fen": 100_000,
    "granting_fen": 150_000,
    "consortium_fen": 50_000,
    "exclusive": False,
    "approval_ref": None,
    "auction_ref": None,
    "status": "active",
    "granted_block": BLOCK,
    "granted_at": BLOCK_TIME,
}


def suspended(scope: int, subject: str, until: int = UINT64_MAX) -> DecodedEvent:
    args = {
        "scope": scope,
        "subject": subject,
        "regulator": REGULATOR,
        "regulatorProvince": 310000,
        "reasonCode": 7,
        "legalBasis": hx(0x1B),
        "until": until,
        "seq": 50,
    }
    return event("Suspended", args)


def suspension(action: str, scope: int, subject: str, until: int | None, **more: Any) -> Insert:
    return Insert(
        "suspensions",
        {
            "block_number": BLOCK,
            "log_index": LOG_INDEX,
            "action": action,
            "scope": scope,
            "subject": subject,
            "regulator": REGULATOR,
            "regulator_province": more.get("province", 310000),
            "reason_code": more.get("reason", 7),
            "legal_basis": hx(0x1B),
            "until": until,
            "block_time": BLOCK_TIME,
        },
    )


PROVIDER_SUBJECT = "0x" + "00" * 12 + PROVIDER[2:].lower()
ZJ_SUBJECT = "0x" + b"ZJ".ljust(32, b"\0").hex()

CASES = [
    pytest.param(
        event(
            "ExchangeAdmitted",
            {
                "code": "SH",
                "index": 0,
                "province": 310000,
                "name": "上海数据交易所",
                "firstOperator": OPERATOR,
                "proposalId": 0,
                "seq": 1,
            },
        ),
        [
            Upsert(
                "exchanges",
                {"code": "SH"},
                {
                    "idx": 0,
                    "name": "上海数据交易所",
                    "province": 310000,
                    "status": "active",
                    "first_operator": OPERATOR,
                    "proposal_id": 0,
                    "admitted_block": BLOCK,
                },
            )
        ],
        id="an admitted exchange is upserted active, its granting suspension left as it is",
    ),
    pytest.param(
        event("ExchangeRemoved", {"code": "ZJ", "proposalId": 4, "seq": 30}),
        [Update("exchanges", {"code": "ZJ"}, {"status": "removed", "removed_block": BLOCK})],
        id="a removed exchange is marked removed at its block",
    ),
    pytest.param(
        event(
            "OperatorAdded",
            {"exchange": "SH", "operator": OPERATOR, "actor": ZERO, "seq": 2},
        ),
        [
            Upsert(
                "operators",
                {"address": OPERATOR},
                {
                    "exchange": "SH",
                    "active": True,
                    "added_by": None,
                    "added_block": BLOCK,
                    "removed_block": None,
                },
            )
        ],
        id="an operator added with its exchange was added by no one",
    ),
    pytest.param(
        event(
            "OperatorAdded",
            {"exchange": "SH", "operator": LICENSEE, "actor": OPERATOR, "seq": 9},
            actor=OPERATOR,
        ),
        [
            Upsert(
                "operators",
                {"address": LICENSEE},
                {
                    "exchange": "SH",
                    "active": True,
                    "added_by": OPERATOR,
                    "added_block": BLOCK,
                    "removed_block": None,
                },
            )
        ],
        id="an operator added by another records who added it",
    ),
    pytest.param(
        event(
            "OperatorRemoved",
            {"exchange": "SH", "operator": LICENSEE, "actor": OPERATOR, "seq": 10},
            actor=OPERATOR,
        ),
        [
            Update(
                "operators",
                {"address": LICENSEE},
                {"active": False, "removed_block": BLOCK},
            )
        ],
        id="a removed operator is inactive from its block",
    ),
    pytest.param(
        event(
            "RegulatorAdded",
            {
                "regulator": REGULATOR,
                "province": 0,
                "name": "国家数据局",
                "proposalId": 0,
                "seq": 5,
            },
        ),
        [
            Upsert(
                "regulators",
                {"address": REGULATOR},
                {
                    "name": "国家数据局",
                    "province": 0,
                    "active": True,
                    "proposal_id": 0,
                    "added_block": BLOCK,
                    "removed_block": None,
                },
            )
        ],
        id="an added regulator is upserted active",
    ),
    pytest.param(
        event("RegulatorRemoved", {"regulator": REGULATOR, "proposalId": 3, "seq": 40}),
        [
            Update(
                "regulators",
                {"address": REGULATOR},
                {"active": False, "removed_block": BLOCK},
            )
        ],
        id="a removed regulator is inactive from its block",
    ),
    pytest.param(
        event(
            "ParticipantRegistered",
            {
                "participant": PROVIDER,
                "exchange": "SH",
                "actor": OPERATOR,
                "roles": 1,
                "identityHash": hx(0x1D),
                "seq": 11,
            },
        ),
        [
            Upsert(
                "participants",
                {"address": PROVIDER},
                {
                    "registered_by": "SH",
                    "roles": 1,
                    "identity_hash": hx(0x1D),
                    "actor": OPERATOR,
                    "registered_block": BLOCK,
                    "registered_at": BLOCK_TIME,
                },
            )
        ],
        id="a registered participant is upserted by its address",
    ),
    pytest.param(
        event(
            "ParticipantRolesAdded",
            {
                "participant": LICENSEE,
                "exchange": "SD",
                "actor": OPERATOR,
                "added": 1,
                "roles": 3,
                "seq": 12,
            },
        ),
        [Update("participants", {"address": LICENSEE}, {"roles": 3})],
        id="a participant given a role takes every role the event says it holds",
    ),
    pytest.param(
        event(
            "FeeScheduleSet",
            {
                "homeBps": 500,
                "grantingBps": 750,
                "consortiumBps": 250,
                "proposalId": 0,
                "seq": 8,
            },
        ),
        [
            Insert(
                "fee_schedules",
                {
                    "block_number": BLOCK,
                    "log_index": LOG_INDEX,
                    "home_bps": 500,
                    "granting_bps": 750,
                    "consortium_bps": 250,
                    "proposal_id": 0,
                },
            )
        ],
        id="each fee schedule is a history row",
    ),
    pytest.param(
        event("VotingPeriodSet", {"votingPeriod": 604800, "proposalId": 6, "seq": 41}),
        [
            Upsert(
                "parameters",
                {"name": "voting_period"},
                {"value": 604800, "proposal_id": 6, "block_number": BLOCK},
            )
        ],
        id="the voting period is one parameter row",
    ),
    pytest.param(
        event(
            "ProposalCreated",
            {
                "proposalId": 2,
                "exchange": "ZJ",
                "actor": OPERATOR,
                "kind": 3,
                "data": "0x" + "00" * 12 + REGULATOR[2:].lower(),
                "deadline": BLOCK_TIME + 604800,
                "required": 2,
                "seq": 20,
            },
        ),
        [
            Insert(
                "proposals",
                {
                    "proposal_id": 2,
                    "kind": 3,
                    "exchange": "ZJ",
                    "actor": OPERATOR,
                    "data": "0x" + "00" * 12 + REGULATOR[2:].lower(),
                    "deadline": BLOCK_TIME + 604800,
                    "required": 2,
                    "yes": 0,
                    "no": 0,
                    "executed": False,
                    "created_block": BLOCK,
                },
            )
        ],
        id="a proposal starts with no votes (the proposer's follows as a VoteCast)",
    ),
    pytest.param(
        event(
            "VoteCast",
            {
                "proposalId": 2,
                "exchange": "SD",
                "actor": OPERATOR,
                "support": False,
                "yes": 1,
                "no": 1,
                "seq": 21,
            },
        ),
        [
            Upsert(
                "votes",
                {"proposal_id": 2, "exchange": "SD"},
                {"actor": OPERATOR, "support": False, "block_number": BLOCK},
            ),
            Update("proposals", {"proposal_id": 2}, {"yes": 1, "no": 1}),
        ],
        id="a vote is upserted and the proposal takes the event's tallies",
    ),
    pytest.param(
        event("ProposalExecuted", {"proposalId": 2, "actor": LICENSEE, "seq": 22}),
        [
            Update(
                "proposals",
                {"proposal_id": 2},
                {"executed": True, "executed_by": LICENSEE, "executed_block": BLOCK},
            )
        ],
        id="an executed proposal records who executed it",
    ),
    pytest.param(
        suspended(0, LISTING),
        [
            suspension("suspend", 0, LISTING, schema.INDEFINITE),
            Update("listings", {"listing_id": LISTING}, {"suspended_until": schema.INDEFINITE}),
        ],
        id="a listing suspended until reinstated is suspended indefinitely",
    ),
    pytest.param(
        suspended(1, PROVIDER_SUBJECT, BLOCK_TIME + 86400),
        [
            suspension("suspend", 1, PROVIDER_SUBJECT, BLOCK_TIME + 86400),
            Update(
                "participants",
                {"address": PROVIDER},
                {"suspended_until": BLOCK_TIME + 86400},
            ),
        ],
        id="a provider's suspension reads its address right-aligned in the subject",
    ),
    pytest.param(
        suspended(2, LICENCE, BLOCK_TIME + 60),
        [
            suspension("suspend", 2, LICENCE, BLOCK_TIME + 60),
            Update("licences", {"licence_id": LICENCE}, {"suspended_until": BLOCK_TIME + 60}),
        ],
        id="a licence's suspension ends at its until",
    ),
    pytest.param(
        suspended(3, ZJ_SUBJECT),
        [
            suspension("suspend", 3, ZJ_SUBJECT, schema.INDEFINITE),
            Update("exchanges", {"code": "ZJ"}, {"granting_suspended_until": schema.INDEFINITE}),
        ],
        id="an exchange's granting suspension reads its code left-aligned in the subject",
    ),
    pytest.param(
        event(
            "Reinstated",
            {
                "scope": 1,
                "subject": PROVIDER_SUBJECT,
                "regulator": REGULATOR,
                "reasonCode": 9,
                "legalBasis": hx(0x1B),
                "seq": 52,
            },
        ),
        [
            suspension("reinstate", 1, PROVIDER_SUBJECT, None, province=None, reason=9),
            Update("participants", {"address": PROVIDER}, {"suspended_until": 0}),
        ],
        id="a reinstatement is a history row and clears the subject's suspension",
    ),
    pytest.param(
        listing_event("Listed"),
        listed_changes(CATALOGUE_ROW),
        id="a listing is upserted with its record, policy and catalogue, and its first version",
    ),
    pytest.param(
        listing_event("Listed", catalogue=None, error="unknown catalogue codec 0x07"),
        listed_changes(NO_CATALOGUE_ROW),
        id="a listing whose catalogue did not decode is indexed with the reason",
    ),
    pytest.param(
        listing_event("VersionPublished", version=2),
        [
            Update(
                "listings",
                {"listing_id": LISTING},
                {
                    "status": "listed",
                    **version_row(2, CATALOGUE_ROW),
                    "seq": 3,
                    "updated_block": BLOCK,
                    "updated_at": BLOCK_TIME,
                },
            ),
            version_insert(2, CATALOGUE_ROW),
            *term_inserts(2, CATALOGUE_ROW),
        ],
        id="a new version replaces the listing's current one and is kept in its history",
    ),
    pytest.param(
        event(
            "Delisted",
            {
                "listingId": LISTING,
                "actor": PROVIDER,
                "actingExchange": "",
                "reasonCode": 1,
                "evidenceHash": hx(0xE0),
                "seq": 3,
            },
            contract="ListingRegistry",
        ),
        [listing_status("delisted")],
        id="a delisted listing is marked delisted",
    ),
    pytest.param(
        event(
            "ConsentWithdrawn",
            {"listingId": LISTING, "provider": PROVIDER, "evidenceHash": hx(0xE1), "seq": 3},
            contract="ListingRegistry",
        ),
        [listing_status("consent_withdrawn")],
        id="a consent withdrawal suspends the listing until a new version",
    ),
    pytest.param(
        event(
            "DuplicateFingerprintRefused",
            {
                "fingerprint": LISTING,
                "provider": LICENSEE,
                "actor": OPERATOR,
                "listingId": hx(0xF2),
                "homeExchange": "ZJ",
            },
            contract="ListingRegistry",
        ),
        [
            Insert(
                "duplicate_attempts",
                {
                    "block_number": BLOCK,
                    "log_index": LOG_INDEX,
                    "fingerprint": LISTING,
                    "provider": LICENSEE,
                    "actor": OPERATOR,
                    "listing_id": hx(0xF2),
                    "home_exchange": "ZJ",
                    "block_time": BLOCK_TIME,
                },
            )
        ],
        id="a refused duplicate is recorded where the regulator sees it",
    ),
    pytest.param(
        event("EIP712DomainChanged", {}, contract="LicenceRegistry"),
        [],
        id="an EIP-712 domain change changes no row",
    ),
    pytest.param(
        event("LicenceGranted", GRANT_ARGS, contract="LicenceRegistry"),
        [
            Insert("licences", GRANTED_ROW),
            Update("listings", {"listing_id": LISTING}, {"seq": 5}),
            Increment(
                "listings",
                {"listing_id": LISTING},
                {"licence_count": 1, "revenue_fen": 2_000_000},
            ),
        ],
        id="a grant inserts the licence with its split and adds to its listing's totals",
    ),
    pytest.param(
        event(
            "ExclusiveLicenceGranted",
            {**GRANT_ARGS, "approvalRef": hx(0xA1), "auctionRef": hx(0xA2)},
            contract="LicenceRegistry",
        ),
        [
            Insert(
                "licences",
                {
                    **GRANTED_ROW,
                    "exclusive": True,
                    "approval_ref": hx(0xA1),
                    "auction_ref": hx(0xA2),
                },
            ),
            Update(
                "listings",
                {"listing_id": LISTING},
                {"seq": 5, "exclusive_licence_id": LICENCE},
            ),
            Increment(
                "listings",
                {"listing_id": LISTING},
                {"licence_count": 1, "revenue_fen": 2_000_000},
            ),
        ],
        id="an exclusive grant inserts the licence with its references and names it on its listing",
    ),
    pytest.param(
        event(
            "LicenceRevoked",
            {
                "licenceId": LICENCE,
                "listingId": LISTING,
                "actor": REGULATOR,
                "byRegulator": True,
                "reasonCode": 4,
                "evidenceHash": hx(0x1B),
                "seq": 7,
            },
            contract="LicenceRegistry",
        ),
        [
            Update(
                "licences",
                {"licence_id": LICENCE},
                {
                    "status": "revoked",
                    "ended_reason": 4,
                    "ended_evidence": hx(0x1B),
                    "ended_by": REGULATOR,
                    "ended_block": BLOCK,
                },
            ),
            Update("listings", {"listing_id": LISTING}, {"seq": 7}),
        ],
        id="a revoked licence records why, on what evidence and by whom",
    ),
    pytest.param(
        event(
            "LicenceTerminated",
            {"licenceId": LICENCE, "listingId": LISTING, "actor": LICENSEE, "seq": 8},
            contract="LicenceRegistry",
        ),
        [
            Update(
                "licences",
                {"licence_id": LICENCE},
                {"status": "terminated", "ended_by": LICENSEE, "ended_block": BLOCK},
            ),
            Update("listings", {"listing_id": LISTING}, {"seq": 8}),
        ],
        id="a terminated licence records who submitted the termination",
    ),
]


@pytest.mark.parametrize(("decoded", "changes"), CASES)
def test_project(decoded: DecodedEvent, changes: list[RowChange]) -> None:
    assert project(decoded) == changes


def test_every_abi_event_has_a_handler_and_a_case() -> None:
    artifacts = load_artifacts()
    events = {
        item["name"]
        for contract in ("Consortium", "ListingRegistry", "LicenceRegistry")
        for item in artifacts[contract].abi
        if item["type"] == "event"
    }
    assert set(HANDLERS) == events
    assert {cast(DecodedEvent, p.values[0]).name for p in CASES} == events
    for name, handler in HANDLERS.items():
        assert handler.__name__ == f"on_{name}"


def test_a_listing_row_fills_every_listings_column_but_those_later_events_set() -> None:
    upsert = project(listing_event("Listed"))[0]
    assert isinstance(upsert, Upsert)
    filled = set(upsert.key) | set(upsert.values)
    later = {"suspended_until", "licence_count", "revenue_fen", "exclusive_licence_id"}
    assert filled == set(schema.listings.c.keys()) - later
    assert {column for _, column in POLICY_COLUMNS} == set(schema.POLICY_COLUMN_NAMES)


@pytest.mark.parametrize(
    ("catalogue", "columns"),
    [
        (
            {"title": 7, "keywords": "交通", "price_fen": "5000", "product_form": "x" * 33},
            {"title": None, "keywords": None, "price_fen": None, "product_form": None},
        ),
        (
            {"price_fen": True, "description": ["a"], "category": None},
            {"price_fen": None, "description": None, "category": None},
        ),
        ({"price_fen": 2**63}, {"price_fen": None}),
        (
            {"title": "标题", "keywords": [], "price_fen": 0},
            {"title": "标题", "keywords": "[]", "price_fen": 0},
        ),
    ],
    ids=[
        "catalogue fields of the wrong type or size are left NULL",
        "a boolean price, a list description and a null category are left NULL",
        "a price larger than BIGINT is left NULL",
        "an empty keyword list and a zero price are kept",
    ],
)
def test_catalogue_columns(catalogue: dict[str, Any], columns: dict[str, Any]) -> None:
    upsert = project(listing_event("Listed", catalogue=catalogue))[0]
    assert isinstance(upsert, Upsert)
    for column, value in columns.items():
        assert upsert.values[column] == value, column
    assert upsert.values["catalogue"] == json.dumps(catalogue, ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize(
    ("decoded", "message"),
    [
        (event("Nonexistent", {}), "no projection handler"),
        (
            listing_event("Listed", priceFloorFen=2**63),
            "listings.price_floor_fen: 9223372036854775808 is out of the column's range",
        ),
        (
            suspended(0, LISTING, 2**63),
            "suspensions.until: 9223372036854775808 is out of the column's range",
        ),
        (
            event("ProposalExecuted", {"proposalId": 2**200, "actor": LICENSEE, "seq": 1}),
            "proposals.proposal_id",
        ),
        (
            event(
                "RegulatorAdded",
                {"regulator": REGULATOR, "province": 2**32 - 1, "name": "x", "proposalId": 1},
            ),
            "regulators.province",
        ),
        (suspended(1, "0x" + "01" * 32), "is not an address"),
        (suspended(3, "0x" + "ff" * 32), "is not an exchange code"),
        (suspended(9, LISTING), "unknown suspension scope 9"),
        (event("ExchangeRemoved", {"proposalId": 4}), "arguments do not fit the handler"),
        (
            event("ExchangeRemoved", {"code": "TOOLONGCODE", "proposalId": 4}),
            "exchanges.code: 'TOOLONGCODE' is longer than 8 characters",
        ),
        (
            event("VotingPeriodSet", {"votingPeriod": "7 days", "proposalId": 6}),
            "parameters.value: '7 days' is of type str, the column holds int",
        ),
    ],
    ids=[
        "an event without a handler is refused",
        "a uint64 price floor above BIGINT is refused",
        "a suspension end above BIGINT that is not 'until reinstated' is refused",
        "a uint256 proposal id above BIGINT is refused",
        "a province above INTEGER is refused",
        "a provider subject with bytes above the address is refused",
        "an exchange subject that is no code is refused",
        "an unknown suspension scope is refused",
        "a missing argument is refused",
        "a value longer than its column is refused",
        "a value of the wrong type is refused",
    ],
)
def test_projection_error(decoded: DecodedEvent, message: str) -> None:
    with pytest.raises(ProjectionError) as info:
        project(decoded)
    assert message in str(info.value)
    assert f"{decoded.contract}.{decoded.name} at block {BLOCK} log {LOG_INDEX}" in str(info.value)


def test_a_projection_error_is_a_value_error_of_the_node() -> None:
    from node.errors import NodeError

    assert issubclass(ProjectionError, NodeError) and issubclass(ProjectionError, ValueError)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([Insert("nowhere", {"a": 1})], "nowhere: not a projected table"),
        ([Update("listings", {"seq": 1}, {"seq": 2})], "is not the primary key"),
        ([Insert("votes", {"proposal_id": 1, "exchange": "SH"})], "votes: row lacks actor"),
        ([Upsert("parameters", {"name": "x"}, {"value": 1})], "lacks block_number"),
        ([Update("listings", {"listing_id": LISTING}, {"nope": 1})], "listings.nope: no such"),
        ([Update("listings", {"listing_id": LISTING}, {"seq": None})], "NULL in a NOT NULL"),
        ([Increment("listings", {"listing_id": LISTING}, {"licence_count": True})], "of type bool"),
        ([Update("operators", {"address": OPERATOR}, {"active": 1})], "of type int"),
        (
            [
                Update("listings", {"listing_id": LISTING}, {"seq": 5}),
                Update("listings", {"listing_id": LISTING}, {"seq": 1 << 63}),
            ],
            "out of the column's range",
        ),
    ],
    ids=[
        "an unknown table is refused",
        "a key that is not the primary key is refused",
        "an insert without a NOT NULL column is refused",
        "an upsert that could not insert its row is refused",
        "an unknown column is refused",
        "a NULL in a NOT NULL column is refused",
        "a bool is not an int",
        "an int is not a bool",
        "a value is checked after its change's shape passed once",
    ],
)
def test_check_changes(changes: list[RowChange], message: str) -> None:
    with pytest.raises(ProjectionError, match=message.replace("(", r"\(")):
        check_changes(changes)


@pytest.mark.parametrize(("decoded", "changes"), CASES)
def test_an_event_read_back_from_its_json_args_projects_the_same(
    decoded: DecodedEvent, changes: list[RowChange]
) -> None:
    """The store rebuilds state by projecting events again from the ``events`` table's JSON."""
    args = json.loads(json.dumps(decoded.args))
    assert project(dataclasses.replace(decoded, args=args)) == changes
