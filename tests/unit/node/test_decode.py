"""Decoding: raw logs built from the real ABIs with eth-abi → plain args and audit fields."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eth_abi import encode
from eth_abi.exceptions import DecodingError
from eth_abi.grammar import BasicType, TupleType, parse
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from node.decode import AUDIT, DecodeError, EventCatalog, decode_log, unpack_shares
from node.decode.catalog import EventSpec
from node.decode.layout import compile_decoder, eth_abi_decoder
from node.events import DecodedEvent, RawLog
from onelist.build.compiler import load_artifacts
from onelist.catalogue import CODEC_DEFLATE, CODEC_JSON, encode_catalogue
from onelist.chain.revert import canonical_type
from onelist.chain.samples import sample_catalogue
from onelist.codes import exchange_code
from onelist.records import record_from_tuple

CONTRACTS = ("Consortium", "ListingRegistry", "LicenceRegistry")
ARTIFACTS = load_artifacts()
ABIS = {name: ARTIFACTS[name].abi for name in CONTRACTS}
ADDRESSES = {
    "Consortium": to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
    "ListingRegistry": to_checksum_address("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
    "LicenceRegistry": to_checksum_address("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"),
}
CATALOG = EventCatalog.from_abis(ABIS, ADDRESSES)
CHAIN_ID = 31337
BLOCK_TIME = 1_760_000_000

OPERATOR = to_checksum_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")
PROVIDER = to_checksum_address("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc")
LICENSEE = to_checksum_address("0x90f79bf6eb2c4f870365e785982e1f101e93b906")
REGULATOR = to_checksum_address("0x15d34aaf54267db7d7c367839aaf71a00a2c6a65")
OUTSIDER = to_checksum_address("0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc")
ZERO = "0x" + "00" * 20
INDEFINITE_UNTIL = 2**64 - 1


def h(n: int) -> bytes:
    """A recognisable bytes32."""
    return bytes([n]) * 32


def hx(n: int) -> str:
    return "0x" + h(n).hex()


def code(text: str) -> bytes:
    return exchange_code(text)


RECORD = (
    PROVIDER,
    2,
    h(0xA1),
    h(0xF1),
    (1, 0, 2, 1, h(0xC1), h(0xD1), h(0xE1), 35, 365, 0, 1, True, 11, 2**200 + 5, 1_000_000),
)
RECORD_ARGS = {
    "provider": PROVIDER,
    "version": 2,
    "manifestHash": hx(0xA1),
    "fingerprint": hx(0xF1),
    "policy": {
        "grade": 1,
        "openClass": 0,
        "personalInfo": 2,
        "piFlags": 1,
        "consentEvidence": hx(0xC1),
        "riskAssessment": hx(0xD1),
        "authorisationId": hx(0xE1),
        "purposes": 35,
        "maxTermDays": 365,
        "territory": 0,
        "onwardTransfer": 1,
        "modelTraining": True,
        "deliveryModes": 11,
        "grantingExchanges": 2**200 + 5,
        "priceFloorFen": 1_000_000,
    },
}
CATALOGUE = sample_catalogue()
CATALOGUE_BYTES = encode_catalogue(CATALOGUE)
SHARES = [1_700_000, 100_000, 150_000, 50_000]
SPLIT = SHARES[0] | SHARES[1] << 64 | SHARES[2] << 128 | SHARES[3] << 192
PROPOSAL_DATA = encode(["address", "uint32", "string"], [REGULATOR, 310000, "上海市数据局"])


def abi_event(contract: str, name: str) -> dict[str, Any]:
    return next(item for item in ABIS[contract] if item["type"] == "event" and item["name"] == name)


def raw_log(
    contract: str, name: str, values: dict[str, Any], *, block: int = 7, log_index: int = 3
) -> RawLog:
    """The log ``contract`` emits for event ``name`` with ``values``, encoded from its ABI."""
    item = abi_event(contract, name)
    signature = f"{name}({','.join(canonical_type(p) for p in item['inputs'])})"
    topics = [keccak(text=signature)]
    types, data = [], []
    for param in item["inputs"]:
        typ = canonical_type(param)
        if param["indexed"]:
            topics.append(encode([typ], [values[param["name"]]]))
        else:
            types.append(typ)
            data.append(values[param["name"]])
    return RawLog(
        block_number=block,
        block_hash=h(0xBB),
        tx_hash=h(0x77),
        log_index=log_index,
        address=ADDRESSES[contract],
        topics=tuple(topics),
        data=encode(types, data),
    )


def decode(log: RawLog) -> DecodedEvent:
    return decode_log(log, CATALOG, CHAIN_ID, BLOCK_TIME)


# (contract, event, values as encoded, expected args, expected audit fields:
#  (actor, acting_exchange, acting_regulator, listing_id, seq))
CASES = [
    pytest.param(
        "Consortium",
        "ExchangeAdmitted",
        {
            "code": code("SH"),
            "index": 0,
            "province": 310000,
            "name": "上海数据交易所",
            "firstOperator": OPERATOR,
            "proposalId": 0,
            "seq": 1,
        },
        {
            "code": "SH",
            "index": 0,
            "province": 310000,
            "name": "上海数据交易所",
            "firstOperator": OPERATOR,
            "proposalId": 0,
            "seq": 1,
        },
        (None, "SH", None, None, 1),
        id="a founding admission names the exchange and no actor",
    ),
    pytest.param(
        "Consortium",
        "ExchangeRemoved",
        {"code": code("ZJ"), "proposalId": 4, "seq": 30},
        {"code": "ZJ", "proposalId": 4, "seq": 30},
        (None, "ZJ", None, None, 30),
        id="a removal names the removed exchange",
    ),
    pytest.param(
        "Consortium",
        "OperatorAdded",
        {"exchange": code("SH"), "operator": OPERATOR, "actor": ZERO, "seq": 2},
        {"exchange": "SH", "operator": OPERATOR, "actor": ZERO, "seq": 2},
        (None, "SH", None, None, 2),
        id="an operator added with its exchange's admission has no actor",
    ),
    pytest.param(
        "Consortium",
        "OperatorAdded",
        {"exchange": code("SH"), "operator": OUTSIDER, "actor": OPERATOR, "seq": 9},
        {"exchange": "SH", "operator": OUTSIDER, "actor": OPERATOR, "seq": 9},
        (OPERATOR, "SH", None, None, 9),
        id="an operator added by another names that operator",
    ),
    pytest.param(
        "Consortium",
        "OperatorRemoved",
        {"exchange": code("SD"), "operator": OUTSIDER, "actor": OPERATOR, "seq": 10},
        {"exchange": "SD", "operator": OUTSIDER, "actor": OPERATOR, "seq": 10},
        (OPERATOR, "SD", None, None, 10),
        id="an operator's removal names who removed it",
    ),
    pytest.param(
        "Consortium",
        "RegulatorAdded",
        {"regulator": REGULATOR, "province": 0, "name": "国家数据局", "proposalId": 0, "seq": 5},
        {"regulator": REGULATOR, "province": 0, "name": "国家数据局", "proposalId": 0, "seq": 5},
        (None, None, None, None, 5),
        id="a regulator's addition is no regulator's act",
    ),
    pytest.param(
        "Consortium",
        "RegulatorRemoved",
        {"regulator": REGULATOR, "proposalId": 3, "seq": 40},
        {"regulator": REGULATOR, "proposalId": 3, "seq": 40},
        (None, None, None, None, 40),
        id="a regulator's removal has no actor",
    ),
    pytest.param(
        "Consortium",
        "ParticipantRegistered",
        {
            "participant": PROVIDER,
            "exchange": code("SH"),
            "actor": OPERATOR,
            "roles": 1,
            "identityHash": h(0x1D),
            "seq": 11,
        },
        {
            "participant": PROVIDER,
            "exchange": "SH",
            "actor": OPERATOR,
            "roles": 1,
            "identityHash": hx(0x1D),
            "seq": 11,
        },
        (OPERATOR, "SH", None, None, 11),
        id="a registration names the registering exchange's operator",
    ),
    pytest.param(
        "Consortium",
        "ParticipantRolesAdded",
        {
            "participant": PROVIDER,
            "exchange": code("SH"),
            "actor": OPERATOR,
            "added": 2,
            "roles": 3,
            "seq": 12,
        },
        {
            "participant": PROVIDER,
            "exchange": "SH",
            "actor": OPERATOR,
            "added": 2,
            "roles": 3,
            "seq": 12,
        },
        (OPERATOR, "SH", None, None, 12),
        id="roles added name the registering exchange's operator",
    ),
    pytest.param(
        "Consortium",
        "FeeScheduleSet",
        {"homeBps": 500, "grantingBps": 750, "consortiumBps": 250, "proposalId": 0, "seq": 8},
        {"homeBps": 500, "grantingBps": 750, "consortiumBps": 250, "proposalId": 0, "seq": 8},
        (None, None, None, None, 8),
        id="a fee schedule keeps its basis points",
    ),
    pytest.param(
        "Consortium",
        "VotingPeriodSet",
        {"votingPeriod": 604800, "proposalId": 6, "seq": 41},
        {"votingPeriod": 604800, "proposalId": 6, "seq": 41},
        (None, None, None, None, 41),
        id="a voting period keeps its seconds",
    ),
    pytest.param(
        "Consortium",
        "ProposalCreated",
        {
            "proposalId": 2**200,
            "exchange": code("ZJ"),
            "actor": OPERATOR,
            "kind": 2,
            "data": PROPOSAL_DATA,
            "deadline": BLOCK_TIME + 604800,
            "required": 2,
            "seq": 20,
        },
        {
            "proposalId": 2**200,
            "exchange": "ZJ",
            "actor": OPERATOR,
            "kind": 2,
            "data": "0x" + PROPOSAL_DATA.hex(),
            "deadline": BLOCK_TIME + 604800,
            "required": 2,
            "seq": 20,
        },
        (OPERATOR, "ZJ", None, None, 20),
        id="a proposal keeps a uint256 id from its topic and its data as hex",
    ),
    pytest.param(
        "Consortium",
        "VoteCast",
        {
            "proposalId": 1,
            "exchange": code("SD"),
            "actor": OPERATOR,
            "support": False,
            "yes": 1,
            "no": 1,
            "seq": 21,
        },
        {
            "proposalId": 1,
            "exchange": "SD",
            "actor": OPERATOR,
            "support": False,
            "yes": 1,
            "no": 1,
            "seq": 21,
        },
        (OPERATOR, "SD", None, None, 21),
        id="a vote names the voting exchange and keeps a no as False",
    ),
    pytest.param(
        "Consortium",
        "ProposalExecuted",
        {"proposalId": 1, "actor": OUTSIDER, "seq": 22},
        {"proposalId": 1, "actor": OUTSIDER, "seq": 22},
        (OUTSIDER, None, None, None, 22),
        id="an execution names whoever executed it",
    ),
    pytest.param(
        "Consortium",
        "Suspended",
        {
            "scope": 0,
            "subject": h(0xF1),
            "regulator": REGULATOR,
            "regulatorProvince": 0,
            "reasonCode": 7,
            "legalBasis": h(0x1B),
            "until": INDEFINITE_UNTIL,
            "seq": 50,
        },
        {
            "scope": 0,
            "subject": hx(0xF1),
            "regulator": REGULATOR,
            "regulatorProvince": 0,
            "reasonCode": 7,
            "legalBasis": hx(0x1B),
            "until": INDEFINITE_UNTIL,
            "seq": 50,
        },
        (REGULATOR, None, REGULATOR, hx(0xF1), 50),
        id="a listing's suspension concerns that listing and names the regulator",
    ),
    pytest.param(
        "Consortium",
        "Suspended",
        {
            "scope": 1,
            "subject": bytes(12) + bytes.fromhex(PROVIDER[2:]),
            "regulator": REGULATOR,
            "regulatorProvince": 310000,
            "reasonCode": 3,
            "legalBasis": h(0x1B),
            "until": BLOCK_TIME + 86400,
            "seq": 51,
        },
        {
            "scope": 1,
            "subject": "0x" + "00" * 12 + PROVIDER[2:].lower(),
            "regulator": REGULATOR,
            "regulatorProvince": 310000,
            "reasonCode": 3,
            "legalBasis": hx(0x1B),
            "until": BLOCK_TIME + 86400,
            "seq": 51,
        },
        (REGULATOR, None, REGULATOR, None, 51),
        id="a provider's suspension concerns no one listing",
    ),
    pytest.param(
        "Consortium",
        "Reinstated",
        {
            "scope": 3,
            "subject": code("ZJ").ljust(32, b"\0"),
            "regulator": REGULATOR,
            "reasonCode": 9,
            "legalBasis": h(0x1C),
            "seq": 52,
        },
        {
            "scope": 3,
            "subject": "0x" + code("ZJ").ljust(32, b"\0").hex(),
            "regulator": REGULATOR,
            "reasonCode": 9,
            "legalBasis": hx(0x1C),
            "seq": 52,
        },
        (REGULATOR, None, REGULATOR, None, 52),
        id="a reinstatement names the regulator who lifted the suspension",
    ),
    pytest.param(
        "ListingRegistry",
        "Listed",
        {
            "listingId": h(0xF1),
            "provider": PROVIDER,
            "homeExchange": code("SH"),
            "actor": OPERATOR,
            "record": RECORD,
            "catalogue": CATALOGUE_BYTES,
            "seq": 1,
        },
        {
            "listingId": hx(0xF1),
            "provider": PROVIDER,
            "homeExchange": "SH",
            "actor": OPERATOR,
            "record": RECORD_ARGS,
            "catalogue": "0x" + CATALOGUE_BYTES.hex(),
            "seq": 1,
        },
        (OPERATOR, "SH", None, hx(0xF1), 1),
        id="a listing keeps its record as a dict and names its home exchange's operator",
    ),
    pytest.param(
        "ListingRegistry",
        "VersionPublished",
        {
            "listingId": h(0xF1),
            "provider": PROVIDER,
            "homeExchange": code("SH"),
            "actor": OPERATOR,
            "record": RECORD,
            "catalogue": CATALOGUE_BYTES,
            "seq": 4,
        },
        {
            "listingId": hx(0xF1),
            "provider": PROVIDER,
            "homeExchange": "SH",
            "actor": OPERATOR,
            "record": RECORD_ARGS,
            "catalogue": "0x" + CATALOGUE_BYTES.hex(),
            "seq": 4,
        },
        (OPERATOR, "SH", None, hx(0xF1), 4),
        id="a new version is read like a listing",
    ),
    pytest.param(
        "ListingRegistry",
        "Delisted",
        {
            "listingId": h(0xF1),
            "actor": PROVIDER,
            "actingExchange": bytes(8),
            "reasonCode": 1,
            "evidenceHash": h(0xE0),
            "seq": 9,
        },
        {
            "listingId": hx(0xF1),
            "actor": PROVIDER,
            "actingExchange": "",
            "reasonCode": 1,
            "evidenceHash": hx(0xE0),
            "seq": 9,
        },
        (PROVIDER, None, None, hx(0xF1), 9),
        id="a delisting by the provider acts for no exchange",
    ),
    pytest.param(
        "ListingRegistry",
        "Delisted",
        {
            "listingId": h(0xF1),
            "actor": OPERATOR,
            "actingExchange": code("SH"),
            "reasonCode": 2,
            "evidenceHash": h(0xE0),
            "seq": 9,
        },
        {
            "listingId": hx(0xF1),
            "actor": OPERATOR,
            "actingExchange": "SH",
            "reasonCode": 2,
            "evidenceHash": hx(0xE0),
            "seq": 9,
        },
        (OPERATOR, "SH", None, hx(0xF1), 9),
        id="a delisting by the home exchange acts for it",
    ),
    pytest.param(
        "ListingRegistry",
        "ConsentWithdrawn",
        {"listingId": h(0xF1), "provider": PROVIDER, "evidenceHash": h(0xE1), "seq": 6},
        {"listingId": hx(0xF1), "provider": PROVIDER, "evidenceHash": hx(0xE1), "seq": 6},
        (PROVIDER, None, None, hx(0xF1), 6),
        id="a consent withdrawal is the provider's act",
    ),
    pytest.param(
        "ListingRegistry",
        "DuplicateFingerprintRefused",
        {
            "fingerprint": h(0xF1),
            "provider": LICENSEE,
            "actor": OPERATOR,
            "listingId": h(0xF2),
            "homeExchange": code("ZJ"),
        },
        {
            "fingerprint": hx(0xF1),
            "provider": LICENSEE,
            "actor": OPERATOR,
            "listingId": hx(0xF2),
            "homeExchange": "ZJ",
        },
        (OPERATOR, "ZJ", None, hx(0xF2), None),
        id="a refused duplicate concerns the attempted listing and has no seq",
    ),
    pytest.param(
        "ListingRegistry",
        "EIP712DomainChanged",
        {},
        {},
        (None, None, None, None, None),
        id="the listing registry's EIP-5267 event has no arguments",
    ),
    pytest.param(
        "LicenceRegistry",
        "LicenceGranted",
        {
            "licenceId": h(0x11),
            "listingId": h(0xF1),
            "licensee": LICENSEE,
            "grantingExchange": code("ZJ"),
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
            "settlementHash": h(0x5E),
            "deadline": BLOCK_TIME + 3600,
            "split": SPLIT,
            "seq": 5,
        },
        {
            "licenceId": hx(0x11),
            "listingId": hx(0xF1),
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
            "split": SPLIT,
            "seq": 5,
            "shares": SHARES,
        },
        (OPERATOR, "ZJ", None, hx(0xF1), 5),
        id="a grant keeps split and adds the four shares it packs",
    ),
    pytest.param(
        "LicenceRegistry",
        "ExclusiveLicenceGranted",
        {
            "licenceId": h(0x12),
            "listingId": h(0xF1),
            "licensee": LICENSEE,
            "grantingExchange": code("ZJ"),
            "actor": OPERATOR,
            "version": 2,
            "purposes": 1,
            "start": BLOCK_TIME,
            "end": BLOCK_TIME + 1826 * 86400,
            "territory": 0,
            "deliveryMode": 2,
            "onwardTransfer": 0,
            "modelTraining": False,
            "priceFen": 2_000_000,
            "settlementHash": h(0x5E),
            "deadline": BLOCK_TIME + 3600,
            "split": SPLIT,
            "approvalRef": h(0xA1),
            "auctionRef": h(0xA2),
            "seq": 5,
        },
        {
            "licenceId": hx(0x12),
            "listingId": hx(0xF1),
            "licensee": LICENSEE,
            "grantingExchange": "ZJ",
            "actor": OPERATOR,
            "version": 2,
            "purposes": 1,
            "start": BLOCK_TIME,
            "end": BLOCK_TIME + 1826 * 86400,
            "territory": 0,
            "deliveryMode": 2,
            "onwardTransfer": 0,
            "modelTraining": False,
            "priceFen": 2_000_000,
            "settlementHash": hx(0x5E),
            "deadline": BLOCK_TIME + 3600,
            "split": SPLIT,
            "approvalRef": hx(0xA1),
            "auctionRef": hx(0xA2),
            "seq": 5,
            "shares": SHARES,
        },
        (OPERATOR, "ZJ", None, hx(0xF1), 5),
        id="an exclusive grant decodes as a grant does, with its approval and auction references",
    ),
    pytest.param(
        "LicenceRegistry",
        "LicenceRevoked",
        {
            "licenceId": h(0x11),
            "listingId": h(0xF1),
            "actor": REGULATOR,
            "byRegulator": True,
            "reasonCode": 4,
            "evidenceHash": h(0x1B),
            "seq": 7,
        },
        {
            "licenceId": hx(0x11),
            "listingId": hx(0xF1),
            "actor": REGULATOR,
            "byRegulator": True,
            "reasonCode": 4,
            "evidenceHash": hx(0x1B),
            "seq": 7,
        },
        (REGULATOR, None, REGULATOR, hx(0xF1), 7),
        id="a revocation by a regulator names it as the acting regulator",
    ),
    pytest.param(
        "LicenceRegistry",
        "LicenceRevoked",
        {
            "licenceId": h(0x11),
            "listingId": h(0xF1),
            "actor": PROVIDER,
            "byRegulator": False,
            "reasonCode": 2,
            "evidenceHash": h(0xE2),
            "seq": 7,
        },
        {
            "licenceId": hx(0x11),
            "listingId": hx(0xF1),
            "actor": PROVIDER,
            "byRegulator": False,
            "reasonCode": 2,
            "evidenceHash": hx(0xE2),
            "seq": 7,
        },
        (PROVIDER, None, None, hx(0xF1), 7),
        id="a revocation by the provider names no regulator",
    ),
    pytest.param(
        "LicenceRegistry",
        "LicenceTerminated",
        {"licenceId": h(0x11), "listingId": h(0xF1), "actor": LICENSEE, "seq": 8},
        {"licenceId": hx(0x11), "listingId": hx(0xF1), "actor": LICENSEE, "seq": 8},
        (LICENSEE, None, None, hx(0xF1), 8),
        id="a termination names who submitted it",
    ),
    pytest.param(
        "LicenceRegistry",
        "EIP712DomainChanged",
        {},
        {},
        (None, None, None, None, None),
        id="the licence registry's EIP-5267 event has no arguments",
    ),
]


@pytest.mark.parametrize(("contract", "name", "values", "args", "audit"), CASES)
def test_decode_log(
    contract: str,
    name: str,
    values: dict[str, Any],
    args: dict[str, Any],
    audit: tuple[Any, ...],
) -> None:
    event = decode(raw_log(contract, name, values))
    assert (event.contract, event.name) == (contract, name)
    assert event.args == args
    assert list(event.args) == list(args)  # ABI order, derived args last
    fields = (event.actor, event.acting_exchange, event.acting_regulator, event.listing_id)
    assert (*fields, event.seq) == audit
    listing = name in ("Listed", "VersionPublished")
    assert (event.catalogue, event.catalogue_error) == (CATALOGUE if listing else None, None)


def test_every_event_of_the_three_contracts_has_a_decode_case_and_an_audit_entry() -> None:
    events = {
        (contract, item["name"])
        for contract in CONTRACTS
        for item in ABIS[contract]
        if item["type"] == "event"
    }
    cased = {(p.values[0], p.values[1]) for p in CASES}
    assert events == cased
    assert {name for _, name in events} == set(AUDIT)
    assert {(s.contract, s.name) for s in CATALOG} == events


def test_a_decoded_event_carries_its_log_position_and_block() -> None:
    log = raw_log("Consortium", "ExchangeRemoved", {"code": code("ZJ"), "proposalId": 4, "seq": 3})
    event = decode(log)
    assert event == DecodedEvent(
        chain_id=CHAIN_ID,
        block_number=7,
        block_hash=hx(0xBB),
        block_time=BLOCK_TIME,
        tx_hash=hx(0x77),
        log_index=3,
        contract="Consortium",
        name="ExchangeRemoved",
        args={"code": "ZJ", "proposalId": 4, "seq": 3},
        acting_exchange="ZJ",
        seq=3,
    )


def test_a_listing_record_reads_as_record_from_tuple_gives_it_with_hashes_as_hex() -> None:
    expected = record_from_tuple(RECORD)
    for field in ("manifestHash", "fingerprint"):
        expected[field] = "0x" + expected[field].hex()
    for field in ("consentEvidence", "riskAssessment", "authorisationId"):
        expected["policy"][field] = "0x" + expected["policy"][field].hex()
    assert expected == RECORD_ARGS


# ----------------------------------------------------------------------------- catalogues


def listed(catalogue: bytes) -> RawLog:
    values = {
        "listingId": h(0xF1),
        "provider": PROVIDER,
        "homeExchange": code("SH"),
        "actor": OPERATOR,
        "record": RECORD,
        "catalogue": catalogue,
        "seq": 1,
    }
    return raw_log("ListingRegistry", "Listed", values)


@pytest.mark.parametrize(
    ("catalogue", "expected", "error"),
    [
        (CATALOGUE_BYTES, CATALOGUE, None),
        (bytes([CODEC_JSON]) + b'{"title":"t"}', {"title": "t"}, None),
        (b"", None, "catalogue bytes are empty"),
        (b"\x07{}", None, "unknown catalogue codec 0x07"),
        (CATALOGUE_BYTES[:-5], None, "Brotli"),
        (bytes([CODEC_DEFLATE]) + b"\xff\xff", None, "DEFLATE"),
        (bytes([CODEC_JSON]) + b'["a list"]', None, "expected an object"),
        (bytes([CODEC_JSON]) + b"\xff", None, "not UTF-8"),
    ],
    ids=[
        "a Brotli catalogue is decoded",
        "a plain JSON catalogue is decoded",
        "empty catalogue bytes are a catalogue error, not a decode error",
        "an unknown codec is a catalogue error",
        "a truncated Brotli stream is a catalogue error",
        "broken DEFLATE is a catalogue error",
        "a JSON array is a catalogue error",
        "bytes that are not UTF-8 are a catalogue error",
    ],
)
def test_listing_catalogue(
    catalogue: bytes, expected: dict[str, Any] | None, error: str | None
) -> None:
    event = decode(listed(catalogue))
    assert event.catalogue == expected
    if error is None:
        assert event.catalogue_error is None
    else:
        assert event.catalogue_error is not None and error in event.catalogue_error
    assert event.args["catalogue"] == "0x" + catalogue.hex()  # the bytes are kept either way


@pytest.mark.parametrize(
    ("split", "shares"),
    [
        (0, [0, 0, 0, 0]),
        (SPLIT, SHARES),
        (2**256 - 1, [2**64 - 1] * 4),
        (5 << 192, [0, 0, 0, 5]),
    ],
    ids=[
        "a free licence has four zero shares",
        "shares come from the low bits in provider, home, granting, consortium order",
        "each share is a full uint64",
        "the consortium's share is the top 64 bits",
    ],
)
def test_unpack_shares(split: int, shares: list[int]) -> None:
    assert unpack_shares(split) == shares


# ----------------------------------------------------------------------------- refusals

VOTE = raw_log(
    "Consortium",
    "VoteCast",
    {
        "proposalId": 1,
        "exchange": code("SD"),
        "actor": OPERATOR,
        "support": True,
        "yes": 1,
        "no": 0,
        "seq": 21,
    },
)
ADMITTED = raw_log(
    "Consortium",
    "ExchangeAdmitted",
    {
        "code": code("SH"),
        "index": 0,
        "province": 310000,
        "name": "上海",
        "firstOperator": OPERATOR,
        "proposalId": 0,
        "seq": 1,
    },
)
PROPOSED = raw_log(
    "Consortium",
    "ProposalCreated",
    {
        "proposalId": 1,
        "exchange": code("ZJ"),
        "actor": OPERATOR,
        "kind": 3,
        "data": encode(["address"], [REGULATOR]),
        "deadline": BLOCK_TIME,
        "required": 2,
        "seq": 20,
    },
)


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def with_word(log: RawLog, index: int, value: bytes) -> RawLog:
    """``log`` with data word ``index`` replaced."""
    data = log.data[: 32 * index] + value + log.data[32 * (index + 1) :]
    return dataclasses.replace(log, data=data)


def invalid_utf8_name() -> RawLog:
    # ExchangeAdmitted's data: index, province, name (string), firstOperator, proposalId, seq;
    # `bytes` has the same layout as `string`, so it can carry bytes that are not UTF-8.
    data = encode(
        ["uint8", "uint32", "bytes", "address", "uint256", "uint64"],
        [0, 310000, b"\xff\xfe", OPERATOR, 0, 1],
    )
    return dataclasses.replace(ADMITTED, data=data)


@pytest.mark.parametrize(
    ("log", "reason", "message"),
    [
        (dataclasses.replace(VOTE, removed=True), "removed", "removed by a reorg"),
        (dataclasses.replace(VOTE, address=OUTSIDER), "unknown_address", OUTSIDER),
        (
            dataclasses.replace(VOTE, address=ADDRESSES["ListingRegistry"]),
            "unknown_topic",
            "no event of ListingRegistry",
        ),
        (
            dataclasses.replace(VOTE, topics=(keccak(text="Nope()"), *VOTE.topics[1:])),
            "unknown_topic",
            "no event of Consortium",
        ),
        (dataclasses.replace(VOTE, topics=()), "unknown_topic", "no topics"),
        (
            dataclasses.replace(VOTE, topics=(*VOTE.topics, h(9))),
            "topic_count",
            "3 indexed arguments, the log 4",
        ),
        (dataclasses.replace(VOTE, topics=VOTE.topics[:3]), "topic_count", "the log 2"),
        (dataclasses.replace(VOTE, data=VOTE.data[:-1]), "bad_data", "does not decode"),
        (dataclasses.replace(VOTE, data=b""), "bad_data", "(bool,uint16,uint16,uint64)"),
        (with_word(VOTE, 0, word(2)), "bad_data", "bool"),
        (with_word(VOTE, 1, word(2**16)), "bad_data", "uint16"),
        (with_word(PROPOSED, 1, word(2**40)), "bad_data", "pointer"),
        (dataclasses.replace(PROPOSED, data=PROPOSED.data[:-32]), "bad_data", "only got"),
        (with_word(ADMITTED, 3, b"\x01" + word(0)[1:12] + bytes(20)), "bad_data", "address"),
        (invalid_utf8_name(), "bad_data", "not UTF-8"),
        (
            dataclasses.replace(VOTE, topics=(*VOTE.topics[:2], b"\xff" * 32, VOTE.topics[3])),
            "bad_value",
            "not an exchange code",
        ),
        (
            dataclasses.replace(VOTE, topics=(*VOTE.topics[:3], VOTE.topics[3][1:])),
            "bad_value",
            "31 bytes",
        ),
    ],
    ids=[
        "a log removed by a reorg is refused",
        "a log of another contract is refused",
        "an event of another of our contracts at this address is refused",
        "an unknown topic0 is refused",
        "an anonymous log is refused",
        "one topic too many is refused",
        "one topic too few is refused",
        "truncated data is refused",
        "empty data is refused and the types are named",
        "a bool other than 0 or 1 is refused",
        "a uint16 with a high bit set is refused",
        "a pointer past the end of the data is refused",
        "bytes cut short of their length are refused",
        "an address with non-zero padding is refused",
        "a string that is not UTF-8 is refused",
        "an exchange code that is not ASCII is refused",
        "a topic that is not 32 bytes is refused",
    ],
)
def test_decode_error(log: RawLog, reason: str, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(log)
    assert info.value.reason == reason
    assert reason in DecodeError.REASONS
    assert message in str(info.value)
    assert info.value.where == f"block 7 tx {hx(0x77)} log 3"


def test_a_decode_error_is_a_value_error_of_the_node() -> None:
    from node.errors import NodeError

    assert issubclass(DecodeError, NodeError) and issubclass(DecodeError, ValueError)


def test_the_catalog_refuses_a_contract_without_an_abi_and_two_contracts_at_one_address() -> None:
    with pytest.raises(ValueError, match="no ABI for Oversight"):
        EventCatalog.from_abis(ABIS, {**ADDRESSES, "Oversight": OUTSIDER})
    with pytest.raises(ValueError, match="share the address"):
        EventCatalog.from_abis(ABIS, {**ADDRESSES, "LicenceRegistry": ADDRESSES["Consortium"]})


def test_the_catalog_finds_contracts_by_any_spelling_of_their_address() -> None:
    address = ADDRESSES["ListingRegistry"]
    assert CATALOG.contract_at(address.upper().replace("0X", "0x")) == "ListingRegistry"
    assert CATALOG.contract_at(address.lower()) == "ListingRegistry"
    assert CATALOG.contract_at(OUTSIDER) is None
    assert sorted(CATALOG.addresses) == sorted(a.lower() for a in ADDRESSES.values())
    assert len(CATALOG) == 26


# ----------------------------------------------------------------------------- data decoders


def strategy(typ: Any) -> st.SearchStrategy[Any]:
    """Values of a parsed ABI type, as eth-abi encodes them and decodes them back."""
    if isinstance(typ, TupleType):
        if typ.arrlist:
            return st.lists(strategy(typ.item_type), max_size=3).map(tuple)
        return st.tuples(*(strategy(c) for c in typ.components))
    assert isinstance(typ, BasicType)
    if typ.arrlist:
        item = strategy(typ.item_type)
        size = typ.arrlist[-1]
        if size:
            return st.lists(item, min_size=size[0], max_size=size[0]).map(tuple)
        return st.lists(item, max_size=3).map(tuple)
    if typ.base == "uint":
        return st.integers(0, 2**typ.sub - 1)
    if typ.base == "int":
        return st.integers(-(2 ** (typ.sub - 1)), 2 ** (typ.sub - 1) - 1)
    if typ.base == "bool":
        return st.booleans()
    if typ.base == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if typ.base == "string":
        return st.text(max_size=40)
    if typ.sub is None:
        return st.binary(max_size=70)
    return st.binary(min_size=typ.sub, max_size=typ.sub)


DATA_TYPES = [
    *sorted({spec.data_types for spec in CATALOG}),
    ("uint8[]", "(string,int16)", "bytes3", "int256"),  # eth-abi's fallback
    ("int8", "(bool,(address,bytes32))", "string", "bytes"),
]


def outcome(decoder: Any, data: bytes) -> Any:
    try:
        return decoder(data)
    except DecodingError:
        return DecodingError


@pytest.mark.parametrize("types", DATA_TYPES, ids=lambda types: f"({','.join(types)})")
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_compiled_decoders_agree_with_eth_abi(types: tuple[str, ...], data: st.DataObject) -> None:
    values = data.draw(st.tuples(*(strategy(parse(t)) for t in types)))
    encoded = encode(list(types), list(values))
    fast, reference = compile_decoder(types), eth_abi_decoder(types)
    assert fast(encoded) == reference(encoded) == values
    # the same data damaged: both refuse it, or both read the same values
    cut = data.draw(st.integers(0, len(encoded)))
    assert outcome(fast, encoded[:cut]) == outcome(reference, encoded[:cut])
    if encoded:
        at = data.draw(st.integers(0, len(encoded) - 1))
        byte = data.draw(st.integers(0, 255))
        damaged = encoded[:at] + bytes([byte]) + encoded[at + 1 :]
        assert outcome(fast, damaged) == outcome(reference, damaged)


def test_event_specs_precompute_their_signatures() -> None:
    spec = EventSpec.from_abi("LicenceRegistry", abi_event("LicenceRegistry", "LicenceTerminated"))
    assert spec.signature == "LicenceTerminated(bytes32,bytes32,address,uint64)"
    assert spec.topic0 == keccak(text=spec.signature)
    assert spec.indexed == (
        ("licenceId", "bytes32"),
        ("listingId", "bytes32"),
        ("actor", "address"),
    )
    assert (spec.data_names, spec.data_types) == (("seq",), ("uint64",))


@pytest.mark.parametrize(
    "pointer",
    [0, 32, 64, 96, 128, 2**255],
    ids=[
        "a pointer to the first head word",
        "a pointer into the head of a static struct",
        "a pointer to a struct word holding zero",
        "a pointer to itself",
        "a pointer to the tail",
        "a pointer far past the data",
    ],
)
def test_compiled_decoders_take_the_pointers_eth_abi_takes(pointer: int) -> None:
    types = ("(uint256,uint256,uint256)", "bytes")
    data = encode(list(types), [(5, 2**70, 0), b"tail"])
    damaged = data[:96] + word(pointer) + data[128:]
    assert outcome(compile_decoder(types), damaged) == outcome(eth_abi_decoder(types), damaged)
