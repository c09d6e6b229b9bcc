"""LicenceRegistry on the real contracts: who may grant, the licence terms against the listing's
envelope, the revenue split, replayed and foreign acceptances, and a licence's lifecycle.

Every refusal names the exact custom error and its key arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from web3.logs import DISCARD
from web3.types import TxReceipt

from onelist import eip712
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import increase_time
from onelist.chain.samples import DAY
from onelist.codes import (
    DeliveryMode,
    LicenceStatus,
    ProposalKind,
    Purpose,
    SuspensionScope,
    exchange_code,
)
from onelist.records import record_tuple, split_fees, terms_tuple

from .conftest import Actor, Actors, listed, record, reverts, terms_for

EVIDENCE = keccak(text="evidence of cause")
LEGAL_BASIS = keccak(text="数据安全法 第四十五条")
FEES = (300, 200, 100)  # the example consortium's voted home, granting, consortium basis points
ALLOWED = int(Purpose.research | Purpose.urban_planning | Purpose.commercial_analytics)
OFFERED = int(DeliveryMode.file | DeliveryMode.api | DeliveryMode.privacy_computing)
INDEX = {"SH": 0, "ZJ": 1, "SD": 2}


# ----------------------------------------------------------------- helpers


def granted(
    client: ConsortiumClient,
    actors: Actors,
    via: str = "ZJ",
    policy: dict[str, Any] | None = None,
    **terms: Any,
) -> tuple[bytes, dict[str, Any], dict[str, Any], TxReceipt]:
    """List a sample product at SH and grant a licence on it via ``via``.

    Returns the licence id, its terms, the listing's record and the grant's receipt.
    """
    listing_id, rec = listed(client, actors, **(policy or {}))
    t = terms_for(client, listing_id, rec, actors, via=via, **terms)
    operator = getattr(actors, via.lower())
    licence_id, receipt = client.grant(operator.key, actors.licensee.key, t, rec)
    return licence_id, t, rec, receipt


def granted_event(client: ConsortiumClient, receipt: TxReceipt) -> dict[str, Any]:
    (log,) = client.licences.events.LicenceGranted().process_receipt(receipt)
    return dict(log["args"])


def shares(split: int) -> list[int]:
    """The four uint64 packed into a LicenceGranted event's ``split``, from the low bits."""
    return [(split >> (64 * i)) & (2**64 - 1) for i in range(4)]


def licence_state(client: ConsortiumClient, licence_id: bytes) -> dict[str, Any]:
    status, index, start, end, suspended = client.licences.functions.licenceState(licence_id).call()
    return {
        "status": status,
        "grantingIndex": index,
        "start": start,
        "end": end,
        "suspendedUntil": suspended,
    }


def in_force(client: ConsortiumClient, licence_id: bytes) -> bool:
    return bool(client.licences.functions.inForce(licence_id).call())


def revoke_by_provider(
    client: ConsortiumClient, caller: Actor, terms: dict[str, Any], rec: dict[str, Any]
) -> TxReceipt:
    fn = client.licences.functions.revokeByProvider(
        terms_tuple(terms), record_tuple(rec), 11, EVIDENCE
    )
    return client.send(fn, caller.key)


def revoke_by_regulator(
    client: ConsortiumClient, caller: Actor, terms: dict[str, Any]
) -> TxReceipt:
    fn = client.licences.functions.revokeByRegulator(terms_tuple(terms), 21, LEGAL_BASIS)
    return client.send(fn, caller.key)


def terminate(
    client: ConsortiumClient,
    actors: Actors,
    terms: dict[str, Any],
    rec: dict[str, Any],
    *,
    provider: Actor | None = None,
    licensee: Actor | None = None,
    deadline: int | None = None,
    signed_deadline: int | None = None,
    licence_id: bytes | None = None,
    submitter: Actor | None = None,
) -> TxReceipt:
    """Both parties sign a LicenceTermination and ``submitter`` (default an outsider) sends it."""
    deadline = deadline if deadline is not None else client.deadline()
    signed = signed_deadline if signed_deadline is not None else deadline
    licence_id = licence_id or client.licence_id(terms)
    provider_sig = client.sign_termination((provider or actors.provider).key, licence_id, signed)
    licensee_sig = client.sign_termination((licensee or actors.licensee).key, licence_id, signed)
    fn = client.licences.functions.terminate(
        terms_tuple(terms), record_tuple(rec), deadline, provider_sig, licensee_sig
    )
    return client.send(fn, (submitter or actors.outsider).key)


# ----------------------------------------------------------------- grant: who may


GRANT_CALLERS = [
    pytest.param("sh", None, id="an operator of the home exchange grants"),
    pytest.param("zj", None, id="an operator of another member exchange grants"),
    pytest.param("sd", None, id="an operator of a third member exchange grants"),
    pytest.param("provider", "ConsortiumNotOperator", id="the provider cannot grant itself"),
    pytest.param("provider2", "ConsortiumNotOperator", id="another provider cannot grant"),
    pytest.param("licensee", "ConsortiumNotOperator", id="the licensee cannot grant itself"),
    pytest.param("regulator", "ConsortiumNotOperator", id="the regulator never grants"),
    pytest.param("outsider", "ConsortiumNotOperator", id="an outsider cannot grant"),
]


@pytest.mark.parametrize(("caller", "error"), GRANT_CALLERS)
def test_grant_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, error: str | None
) -> None:
    listing_id, rec = listed(world, actors)
    who = getattr(actors, caller)
    via = caller.upper() if error is None else "ZJ"
    terms = terms_for(world, listing_id, rec, actors, via=via)
    if error is not None:
        with reverts(error, account=who.address):
            world.grant(who.key, actors.licensee.key, terms, rec)
        return
    licence_id, receipt = world.grant(who.key, actors.licensee.key, terms, rec)
    event = granted_event(world, receipt)
    assert (event["licenceId"], event["grantingExchange"], event["actor"]) == (
        licence_id,
        exchange_code(via),
        who.address,
    )
    assert licence_state(world, licence_id) == {
        "status": LicenceStatus.active,
        "grantingIndex": INDEX[via],
        "start": terms["start"],
        "end": terms["end"],
        "suspendedUntil": 0,
    }


ADMITTED = [
    pytest.param(1 << 0, "SH", True, id="an exchange the listing admits grants"),
    pytest.param(1 << 0, "ZJ", False, id="an exchange the listing does not admit is refused"),
    pytest.param(1 << 0, "SD", False, id="a third exchange the listing does not admit is refused"),
    pytest.param(
        (1 << 1) | (1 << 2),
        "SH",
        False,
        id="even the home exchange is refused when the listing does not admit it",
    ),
    pytest.param((1 << 1) | (1 << 2), "SD", True, id="one of several admitted exchanges grants"),
    pytest.param(0, "SD", True, id="no restriction admits every member"),
]


@pytest.mark.parametrize(("admitted", "via", "allowed"), ADMITTED)
def test_only_exchanges_the_listing_admits_grant(
    world: ConsortiumClient, actors: Actors, admitted: int, via: str, allowed: bool
) -> None:
    listing_id, rec = listed(world, actors, grantingExchanges=admitted)
    terms = terms_for(world, listing_id, rec, actors, via=via)
    operator = getattr(actors, via.lower())
    if allowed:
        world.grant(operator.key, actors.licensee.key, terms, rec)
        return
    with reverts(
        "LicenceRegistryExchangeNotAdmitted", listingId=listing_id, exchange=exchange_code(via)
    ):
        world.grant(operator.key, actors.licensee.key, terms, rec)


@pytest.mark.parametrize(
    "named",
    [
        pytest.param("SH", id="terms naming another member exchange are refused"),
        pytest.param("XX", id="terms naming no member exchange are refused"),
    ],
)
def test_terms_name_the_operators_own_exchange(
    world: ConsortiumClient, actors: Actors, named: str
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors, via=named)
    with reverts(
        "LicenceRegistryWrongGrantingExchange",
        operatorExchange=exchange_code("ZJ"),
        grantingExchange=exchange_code(named),
    ):
        world.grant(actors.zj.key, actors.licensee.key, terms, rec)


LICENSEES = [
    pytest.param("outsider", id="an unregistered account is not a licensee"),
    pytest.param("provider", id="a provider-only account is not a licensee"),
    pytest.param("regulator", id="the regulator is not a licensee"),
]


@pytest.mark.parametrize("licensee", LICENSEES)
def test_grant_requires_a_registered_licensee(
    world: ConsortiumClient, actors: Actors, licensee: str
) -> None:
    listing_id, rec = listed(world, actors)
    who = getattr(actors, licensee)
    terms = {**terms_for(world, listing_id, rec, actors), "licensee": who.address}
    with reverts("ConsortiumNotParticipant", account=who.address, role=2):
        world.grant(actors.zj.key, who.key, terms, rec)


def test_a_participant_registered_as_both_may_be_licensee(
    world: ConsortiumClient, actors: Actors
) -> None:
    both = actors.spare[0]
    world.register_participant(actors.sd.key, both.address, 3)
    listing_id, rec = listed(world, actors)
    terms = {**terms_for(world, listing_id, rec, actors), "licensee": both.address}
    world.grant(actors.zj.key, both.key, terms, rec)


# ----------------------------------------------------------------- rule 7: who takes part


def _suspend(
    client: ConsortiumClient, actors: Actors, scope: SuspensionScope, subject: bytes, until: int = 0
) -> None:
    fn = client.consortium.functions.suspend(int(scope), subject, 1, LEGAL_BASIS, until)
    client.send(fn, actors.regulator.key)


def test_a_suspended_listing_takes_part_in_no_grant_until_the_suspension_ends(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    until = world.now() + 3 * DAY
    _suspend(world, actors, SuspensionScope.listing, listing_id, until)
    with reverts("ListingRegistrySuspended", listingId=listing_id, until=until):
        world.grant(
            actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec
        )
    increase_time(world.w3, 3 * DAY + 1)
    world.grant(actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec)


def test_a_suspended_provider_takes_part_in_no_grant(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    subject = bytes(12) + bytes.fromhex(actors.provider.address[2:])
    _suspend(world, actors, SuspensionScope.provider, subject)
    with reverts(
        "OversightSuspended", scope=int(SuspensionScope.provider), subject=subject, until=2**64 - 1
    ):
        world.grant(
            actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec
        )


def test_an_exchange_suspended_from_granting_grants_nothing(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    subject = exchange_code("ZJ").ljust(32, b"\0")
    _suspend(world, actors, SuspensionScope.exchange_granting, subject)
    with reverts(
        "OversightSuspended", scope=int(SuspensionScope.exchange_granting), subject=subject
    ):
        world.grant(
            actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec
        )
    # Another exchange still grants.
    terms = terms_for(world, listing_id, rec, actors, via="SD")
    world.grant(actors.sd.key, actors.licensee.key, terms, rec)


# ----------------------------------------------------------------- grant: the terms


def at(offset: int) -> Callable[[int], int]:
    """A time ``offset`` seconds after the test's now."""
    return lambda now: now + offset


def term(field: str) -> Callable[[dict[str, Any]], Any]:
    """An expected error argument: the value of ``field`` in the terms sent."""
    return lambda terms: terms[field]


def invalid_term(max_days: int = 365) -> tuple[str, dict[str, Any]]:
    return (
        "LicenceRegistryInvalidTerm",
        {"start": term("start"), "end": term("end"), "maxTermDays": max_days},
    )


TERM_CHECKS = [
    # term
    pytest.param(
        {},
        {"start": at(0), "end": at(365 * DAY)},
        None,
        id="a term of exactly maxTermDays is accepted",
    ),
    pytest.param(
        {},
        {"start": at(0), "end": at(365 * DAY + 1)},
        invalid_term(),
        id="a term one second longer than maxTermDays is refused",
    ),
    pytest.param(
        {"maxTermDays": 1},
        {"start": at(0), "end": at(DAY + 1)},
        invalid_term(1),
        id="a one-day envelope refuses a day and a second",
    ),
    pytest.param(
        {}, {"start": at(DAY), "end": at(DAY)}, invalid_term(), id="start equal to end is refused"
    ),
    pytest.param(
        {}, {"start": at(2 * DAY), "end": at(DAY)}, invalid_term(), id="start after end is refused"
    ),
    pytest.param(
        {},
        {"start": at(-2 * DAY), "end": at(-1)},
        invalid_term(),
        id="an end already past is refused",
    ),
    pytest.param(
        {},
        {"start": at(-DAY), "end": at(DAY)},
        None,
        id="a start in the past with an end ahead is accepted",
    ),
    # purposes
    pytest.param({}, {"purposes": ALLOWED}, None, id="every allowed purpose is accepted"),
    pytest.param(
        {},
        {"purposes": int(Purpose.marketing)},
        (
            "LicenceRegistryPurposesNotAllowed",
            {"purposes": int(Purpose.marketing), "allowed": ALLOWED},
        ),
        id="a purpose outside the envelope is refused",
    ),
    pytest.param(
        {},
        {"purposes": int(Purpose.research | Purpose.marketing)},
        ("LicenceRegistryPurposesNotAllowed", {"purposes": term("purposes"), "allowed": ALLOWED}),
        id="allowed purposes plus one more are refused",
    ),
    pytest.param(
        {},
        {"purposes": 0},
        ("LicenceRegistryPurposesNotAllowed", {"purposes": 0, "allowed": ALLOWED}),
        id="no purpose at all is refused",
    ),
    # territory
    pytest.param(
        {},
        {"territory": 1},
        ("LicenceRegistryTerritoryNotAllowed", {"territory": 1, "allowed": 0}),
        id="cross-border use of a mainland-only listing is refused",
    ),
    pytest.param(
        {"territory": 1},
        {"territory": 1},
        None,
        id="cross-border use of a cross-border listing is accepted",
    ),
    pytest.param(
        {"territory": 1},
        {"territory": 2},
        ("LicenceRegistryTerritoryNotAllowed", {"territory": 2, "allowed": 1}),
        id="territory 2 is wider than any envelope",
    ),
    # delivery
    pytest.param(
        {},
        {"deliveryMode": int(DeliveryMode.privacy_computing)},
        None,
        id="an offered delivery mode is accepted",
    ),
    pytest.param(
        {},
        {"deliveryMode": int(DeliveryMode.sandbox)},
        ("LicenceRegistryDeliveryModeNotOffered", {"deliveryMode": 4, "offered": OFFERED}),
        id="a delivery mode the listing does not offer is refused",
    ),
    pytest.param(
        {},
        {"deliveryMode": 3},
        ("LicenceRegistryDeliveryModeNotOffered", {"deliveryMode": 3, "offered": OFFERED}),
        id="two delivery modes at once are refused, even both offered",
    ),
    pytest.param(
        {},
        {"deliveryMode": 0},
        ("LicenceRegistryDeliveryModeNotOffered", {"deliveryMode": 0, "offered": OFFERED}),
        id="no delivery mode is refused",
    ),
    # onward transfer
    pytest.param(
        {}, {"onwardTransfer": 1}, None, id="onward transfer up to the envelope is accepted"
    ),
    pytest.param(
        {},
        {"onwardTransfer": 2},
        ("LicenceRegistryOnwardTransferNotAllowed", {"onwardTransfer": 2, "allowed": 1}),
        id="sublicensing beyond a derived-products envelope is refused",
    ),
    # model training
    pytest.param(
        {}, {"modelTraining": True}, None, id="training allowed by the envelope is accepted"
    ),
    pytest.param(
        {"modelTraining": False},
        {"modelTraining": True},
        ("LicenceRegistryTrainingNotAllowed", {"listingId": term("listingId")}),
        id="training the envelope does not allow is refused",
    ),
    # price
    pytest.param({}, {"priceFen": 1_000_000}, None, id="a price exactly at the floor is accepted"),
    pytest.param(
        {},
        {"priceFen": 999_999},
        ("LicenceRegistryPriceBelowFloor", {"priceFen": 999_999, "floorFen": 1_000_000}),
        id="a price one fen below the floor is refused",
    ),
    # version
    pytest.param(
        {},
        {"version": 2},
        (
            "LicenceRegistryVersionMismatch",
            {"listingId": term("listingId"), "current": 1, "given": 2},
        ),
        id="terms for another version than the record's are refused",
    ),
]


@pytest.mark.parametrize(("policy", "changes", "expected"), TERM_CHECKS)
def test_licence_terms_stay_inside_the_envelope(
    world: ConsortiumClient,
    actors: Actors,
    policy: dict[str, Any],
    changes: dict[str, Any],
    expected: tuple[str, dict[str, Any]] | None,
) -> None:
    listing_id, rec = listed(world, actors, **policy)
    now = world.now()
    overrides = {k: v(now) if callable(v) else v for k, v in changes.items()}
    terms = {**terms_for(world, listing_id, rec, actors), **overrides}
    if expected is None:
        licence_id, receipt = world.grant(actors.zj.key, actors.licensee.key, terms, rec)
        assert granted_event(world, receipt)["licenceId"] == licence_id
        return
    error, args = expected
    resolved = {k: v(terms) if callable(v) else v for k, v in args.items()}
    with reverts(error, **resolved):
        world.grant(actors.zj.key, actors.licensee.key, terms, rec)


# ----------------------------------------------------------------- the event and the split


def test_the_grant_event_carries_exactly_the_signed_terms(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors, modelTraining=True, onwardTransfer=1)
    fn = world.licences.functions.grant(
        terms_tuple(terms), record_tuple(rec), world.sign_acceptance(actors.licensee.key, terms)
    )
    licence_id = world.licence_id(terms)
    assert fn.call({"from": actors.zj.address}) == licence_id
    assert world.licences.functions.licenceIdOf(terms_tuple(terms)).call() == licence_id

    _, receipt = world.grant(actors.zj.key, actors.licensee.key, terms, rec)

    event = granted_event(world, receipt)
    split = event.pop("split")
    assert event == {
        "licenceId": licence_id,
        "actor": actors.zj.address,
        "seq": 2,
        **terms,
    }
    assert shares(split) == split_fees(terms["priceFen"], *FEES)


PRICES = [
    pytest.param(0, id="a free licence splits into nothing"),
    pytest.param(1, id="one fen goes wholly to the provider"),
    pytest.param(99, id="99 fen: every fee rounds down to zero"),
    pytest.param(9_999, id="9,999 fen: the rounding remainders go to the provider"),
    pytest.param(10_000, id="10,000 fen splits exactly by basis points"),
    pytest.param(10_001, id="10,001 fen: one fen of remainder goes to the provider"),
    pytest.param(123_456_789, id="an odd price splits like onelist.records.split_fees"),
    pytest.param(2**64 - 1, id="the largest uint64 price splits without overflow"),
]


@pytest.mark.parametrize("price", PRICES)
def test_the_revenue_split_follows_the_voted_fee_schedule(
    world: ConsortiumClient, actors: Actors, price: int
) -> None:
    *_, receipt = granted(world, actors, policy={"priceFloorFen": 0}, priceFen=price)
    split = shares(granted_event(world, receipt)["split"])
    assert split == split_fees(price, *FEES)
    assert sum(split) == price


def test_the_split_follows_a_newly_voted_fee_schedule(
    world: ConsortiumClient, actors: Actors
) -> None:
    data = encode(["uint16", "uint16", "uint16"], [250, 250, 100])
    proposal, _ = world.propose(actors.sh.key, int(ProposalKind.set_fee_schedule), data)
    world.send(world.consortium.functions.vote(proposal, True), actors.zj.key)
    world.send(world.consortium.functions.execute(proposal, data), actors.sd.key)
    *_, receipt = granted(world, actors, priceFen=3_333_333)
    assert shares(granted_event(world, receipt)["split"]) == split_fees(3_333_333, 250, 250, 100)


@settings(max_examples=40, deadline=None)
@given(
    price=st.integers(0, 2**64 - 1),
    bps=st.lists(st.integers(0, 10_000), min_size=3, max_size=3).filter(lambda b: sum(b) <= 10_000),
)
def test_split_always_adds_up_to_the_price(
    client: ConsortiumClient, price: int, bps: list[int]
) -> None:
    fees = bps[0] | (bps[1] << 16) | (bps[2] << 32)
    result = client.licences.functions.split(price, fees).call()
    assert result == split_fees(price, *bps)
    assert sum(result) == price


# ----------------------------------------------------------------- acceptances: replay and forgery


def test_the_same_acceptance_cannot_be_granted_twice(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    acceptance = world.sign_acceptance(actors.licensee.key, terms)
    with reverts("LicenceRegistryAlreadyGranted", licenceId=licence_id):
        world.grant(actors.zj.key, actors.licensee.key, terms, rec, acceptance)
    # Not through another exchange either: the licence id does not depend on the caller.
    sd_terms = {**terms, "grantingExchange": exchange_code("SD")}
    world.grant(actors.sd.key, actors.licensee.key, sd_terms, rec)


def test_an_expired_acceptance_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors)
    deadline = world.deadline(60)
    terms = terms_for(world, listing_id, rec, actors, deadline=deadline)
    acceptance = world.sign_acceptance(actors.licensee.key, terms)
    increase_time(world.w3, 120)
    with reverts("LicenceRegistryExpiredSignature", deadline=deadline) as caught:
        world.grant(actors.zj.key, actors.licensee.key, terms, rec, acceptance)
    assert caught[0].error_args[1] > deadline


ACCEPTANCE_FORGERIES = [
    pytest.param("signer", id="an acceptance signed by someone else is refused"),
    pytest.param("terms", id="an acceptance of other terms is refused"),
    pytest.param("chain", id="an acceptance for another chain id is refused"),
    pytest.param("contract", id="an acceptance for another verifying contract is refused"),
    pytest.param("empty", id="a missing acceptance is refused"),
]


@pytest.mark.parametrize("forgery", ACCEPTANCE_FORGERIES)
def test_a_grant_needs_the_licensees_acceptance_of_exactly_these_terms(
    world: ConsortiumClient, actors: Actors, forgery: str
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors)
    key = actors.licensee.key
    chain_id, contract, signed = world.chain_id, world.licences.address, dict(terms)
    if forgery == "signer":
        key = actors.provider2.key
    elif forgery == "terms":
        signed["priceFen"] = terms["priceFen"] - 1
    elif forgery == "chain":
        chain_id += 1
    elif forgery == "contract":
        contract = world.listings.address
    acceptance = eip712.sign("LicenceAcceptance", signed, chain_id, contract, key)
    if forgery == "empty":
        acceptance = b""
    with reverts(
        "LicenceRegistryInvalidSignature",
        licenceId=world.licence_id(terms),
        signer=actors.licensee.address,
    ):
        world.grant(actors.zj.key, actors.licensee.key, terms, rec, acceptance)


def test_a_grant_needs_the_listings_current_record(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors)
    forged = {**rec, "policy": {**rec["policy"], "priceFloorFen": 0}}
    terms = terms_for(world, listing_id, rec, actors, priceFen=1)
    with reverts("ListingRegistryRecordMismatch", listingId=listing_id):
        world.grant(actors.zj.key, actors.licensee.key, terms, forged)


def test_a_grant_for_an_unknown_listing_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    rec = record(actors.provider, "never listed")
    terms = terms_for(world, rec["fingerprint"], rec, actors)
    with reverts("ListingRegistryRecordMismatch", listingId=rec["fingerprint"]):
        world.grant(actors.zj.key, actors.licensee.key, terms, rec)


# ----------------------------------------------------------------- revokeByProvider


PROVIDER_REVOKERS = [
    pytest.param("provider", True, id="the provider revokes for cause"),
    pytest.param("sh", False, id="an operator of the home exchange cannot revoke"),
    pytest.param("zj", False, id="an operator of the granting exchange cannot revoke"),
    pytest.param("licensee", False, id="the licensee cannot revoke"),
    pytest.param("provider2", False, id="another provider cannot revoke"),
    pytest.param("regulator", False, id="the regulator revokes only as regulator"),
    pytest.param("outsider", False, id="an outsider cannot revoke"),
]


@pytest.mark.parametrize(("caller", "allowed"), PROVIDER_REVOKERS)
def test_revoke_by_provider_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, allowed: bool
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    who = getattr(actors, caller)
    if not allowed:
        with reverts(
            "LicenceRegistryNotProvider", account=who.address, listingId=terms["listingId"]
        ):
            revoke_by_provider(world, who, terms, rec)
        assert licence_state(world, licence_id)["status"] == LicenceStatus.active
        return
    receipt = revoke_by_provider(world, who, terms, rec)
    (log,) = world.licences.events.LicenceRevoked().process_receipt(receipt)
    assert dict(log["args"]) == {
        "licenceId": licence_id,
        "listingId": terms["listingId"],
        "actor": who.address,
        "byRegulator": False,
        "reasonCode": 11,
        "evidenceHash": EVIDENCE,
        "seq": 3,
    }
    assert licence_state(world, licence_id)["status"] == LicenceStatus.revoked
    assert not in_force(world, licence_id)


def test_revoke_by_provider_needs_the_current_record(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    v2 = {**record(actors.provider, "a", 2), "policy": rec["policy"]}
    world.publish_version(
        actors.sh.key, actors.provider.key, "SH", terms["listingId"], rec, v2, b"\x00{}"
    )
    with reverts("LicenceRegistryRecordMismatch", listingId=terms["listingId"]):
        revoke_by_provider(world, actors.provider, terms, rec)
    # A forged record naming the caller as provider does not help either.
    forged = {**v2, "provider": actors.provider2.address}
    with reverts("LicenceRegistryRecordMismatch", listingId=terms["listingId"]):
        revoke_by_provider(world, actors.provider2, terms, forged)
    # A licence granted under version 1 is revoked with the current record.
    revoke_by_provider(world, actors.provider, terms, v2)
    assert licence_state(world, licence_id)["status"] == LicenceStatus.revoked


# ----------------------------------------------------------------- revokeByRegulator


REGULATOR_REVOKERS = [
    pytest.param("regulator", True, id="the national regulator revokes"),
    pytest.param("provider", False, id="the provider cannot revoke as regulator"),
    pytest.param("sh", False, id="an operator of the home exchange cannot revoke as regulator"),
    pytest.param("zj", False, id="an operator of the granting exchange cannot revoke as regulator"),
    pytest.param("licensee", False, id="the licensee cannot revoke as regulator"),
    pytest.param("outsider", False, id="an outsider cannot revoke as regulator"),
]


@pytest.mark.parametrize(("caller", "allowed"), REGULATOR_REVOKERS)
def test_revoke_by_regulator_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, allowed: bool
) -> None:
    licence_id, terms, _, _ = granted(world, actors)
    who = getattr(actors, caller)
    if not allowed:
        with reverts("LicenceRegistryNotRegulator", account=who.address, licenceId=licence_id):
            revoke_by_regulator(world, who, terms)
        return
    receipt = revoke_by_regulator(world, who, terms)
    (log,) = world.licences.events.LicenceRevoked().process_receipt(receipt)
    assert dict(log["args"]) == {
        "licenceId": licence_id,
        "listingId": terms["listingId"],
        "actor": who.address,
        "byRegulator": True,
        "reasonCode": 21,
        "evidenceHash": LEGAL_BASIS,
        "seq": 3,
    }
    assert licence_state(world, licence_id)["status"] == LicenceStatus.revoked


PROVINCIAL = [
    pytest.param(330000, True, id="the granting exchange's provincial regulator revokes"),
    pytest.param(
        310000, False, id="the home exchange's provincial regulator cannot revoke a ZJ grant"
    ),
]


@pytest.mark.parametrize(("province", "allowed"), PROVINCIAL)
def test_a_provincial_regulator_revokes_grants_of_its_province(
    world: ConsortiumClient, actors: Actors, province: int, allowed: bool
) -> None:
    regulator = actors.spare[1]
    data = encode(["address", "uint32", "string"], [regulator.address, province, "省数据局"])
    proposal, _ = world.propose(actors.sh.key, int(ProposalKind.add_regulator), data)
    world.send(world.consortium.functions.vote(proposal, True), actors.zj.key)
    world.send(world.consortium.functions.execute(proposal, data), actors.sd.key)
    licence_id, terms, _, _ = granted(world, actors, via="ZJ")
    if allowed:
        revoke_by_regulator(world, regulator, terms)
        assert licence_state(world, licence_id)["status"] == LicenceStatus.revoked
        return
    with reverts("LicenceRegistryNotRegulator", account=regulator.address, licenceId=licence_id):
        revoke_by_regulator(world, regulator, terms)


# ----------------------------------------------------------------- terminate


@pytest.mark.parametrize(
    "submitter",
    [
        pytest.param("outsider", id="anyone may submit both parties' termination"),
        pytest.param("licensee", id="the licensee submits both parties' termination"),
    ],
)
def test_terminate_by_agreement(world: ConsortiumClient, actors: Actors, submitter: str) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    who = getattr(actors, submitter)
    receipt = terminate(world, actors, terms, rec, submitter=who)
    (log,) = world.licences.events.LicenceTerminated().process_receipt(receipt)
    assert dict(log["args"]) == {
        "licenceId": licence_id,
        "listingId": terms["listingId"],
        "actor": who.address,
        "seq": 3,
    }
    assert licence_state(world, licence_id)["status"] == LicenceStatus.terminated
    assert not in_force(world, licence_id)


BAD_TERMINATIONS = [
    pytest.param(
        {"provider": "provider2"}, "provider", id="a provider signature by someone else is refused"
    ),
    pytest.param(
        {"licensee": "outsider"}, "licensee", id="a licensee signature by someone else is refused"
    ),
    pytest.param(
        {"provider": "licensee"},
        "provider",
        id="the licensee signing twice does not stand for the provider",
    ),
    pytest.param(
        {"licensee": "provider"},
        "licensee",
        id="the provider signing twice does not stand for the licensee",
    ),
    pytest.param(
        {"other_licence": True}, "provider", id="signatures for another licence are refused"
    ),
    pytest.param(
        {"signed_later": True}, "provider", id="signatures for another deadline are refused"
    ),
]


@pytest.mark.parametrize(("change", "failing"), BAD_TERMINATIONS)
def test_terminate_needs_both_parties_signatures(
    world: ConsortiumClient, actors: Actors, change: dict[str, Any], failing: str
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    deadline = world.deadline()
    kwargs: dict[str, Any] = {"deadline": deadline}
    if "provider" in change:
        kwargs["provider"] = getattr(actors, change["provider"])
    if "licensee" in change:
        kwargs["licensee"] = getattr(actors, change["licensee"])
    if "other_licence" in change:
        kwargs["licence_id"] = keccak(text="another licence")
    if "signed_later" in change:
        kwargs["signed_deadline"] = deadline + 1
    signer = actors.provider if failing == "provider" else actors.licensee
    with reverts("LicenceRegistryInvalidSignature", licenceId=licence_id, signer=signer.address):
        terminate(world, actors, terms, rec, **kwargs)


def test_terminate_with_a_missing_signature_is_refused(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    deadline = world.deadline()
    signature = world.sign_termination(actors.provider.key, licence_id, deadline)
    for provider_sig, licensee_sig, signer in [
        (b"", signature, actors.provider),
        (signature, b"", actors.licensee),
    ]:
        fn = world.licences.functions.terminate(
            terms_tuple(terms), record_tuple(rec), deadline, provider_sig, licensee_sig
        )
        with reverts(
            "LicenceRegistryInvalidSignature", licenceId=licence_id, signer=signer.address
        ):
            world.send(fn, actors.outsider.key)


def test_an_expired_termination_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    _, terms, rec, _ = granted(world, actors)
    deadline = world.deadline(60)
    provider_sig = world.sign_termination(actors.provider.key, world.licence_id(terms), deadline)
    licensee_sig = world.sign_termination(actors.licensee.key, world.licence_id(terms), deadline)
    increase_time(world.w3, 120)
    fn = world.licences.functions.terminate(
        terms_tuple(terms), record_tuple(rec), deadline, provider_sig, licensee_sig
    )
    with reverts("LicenceRegistryExpiredSignature", deadline=deadline):
        world.send(fn, actors.outsider.key)


def test_terminate_needs_the_current_record(world: ConsortiumClient, actors: Actors) -> None:
    _, terms, rec, _ = granted(world, actors)
    forged = {**rec, "provider": actors.provider2.address}
    with reverts("LicenceRegistryRecordMismatch", listingId=terms["listingId"]):
        terminate(world, actors, terms, forged, provider=actors.provider2)


# ----------------------------------------------------------------- ended and unknown licences


ENDINGS = [
    pytest.param("provider", LicenceStatus.revoked, id="revoked by the provider"),
    pytest.param("regulator", LicenceStatus.revoked, id="revoked by the regulator"),
    pytest.param("terminate", LicenceStatus.terminated, id="terminated by agreement"),
]
AFTERWARDS = [
    pytest.param("provider", id="then the provider cannot revoke it"),
    pytest.param("regulator", id="then the regulator cannot revoke it"),
    pytest.param("terminate", id="then the parties cannot terminate it"),
]


def _end(
    client: ConsortiumClient, actors: Actors, how: str, terms: dict[str, Any], rec: dict[str, Any]
) -> None:
    if how == "provider":
        revoke_by_provider(client, actors.provider, terms, rec)
    elif how == "regulator":
        revoke_by_regulator(client, actors.regulator, terms)
    else:
        terminate(client, actors, terms, rec)


@pytest.mark.parametrize("then", AFTERWARDS)
@pytest.mark.parametrize(("ending", "status"), ENDINGS)
def test_an_ended_licence_stays_ended(
    world: ConsortiumClient, actors: Actors, ending: str, status: LicenceStatus, then: str
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    _end(world, actors, ending, terms, rec)
    with reverts("LicenceRegistryNotActive", licenceId=licence_id, status=int(status)):
        _end(world, actors, then, terms, rec)
    assert licence_state(world, licence_id)["status"] == status


@pytest.mark.parametrize("action", AFTERWARDS)
def test_calls_on_an_unknown_licence_are_refused(
    world: ConsortiumClient, actors: Actors, action: str
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors)
    with reverts("LicenceRegistryUnknownLicence", licenceId=world.licence_id(terms)):
        _end(world, actors, action, terms, rec)


def test_views_of_an_unknown_licence(client: ConsortiumClient) -> None:
    unknown = keccak(text="no such licence")
    assert licence_state(client, unknown) == {
        "status": 0,
        "grantingIndex": 0,
        "start": 0,
        "end": 0,
        "suspendedUntil": 0,
    }
    assert not in_force(client, unknown)


# ----------------------------------------------------------------- in force by time


def test_a_licence_is_in_force_only_within_its_term(
    world: ConsortiumClient, actors: Actors
) -> None:
    now = world.now()
    start, end = now + DAY, now + 2 * DAY
    licence_id, _, _, _ = granted(world, actors, start=start, end=end)
    assert licence_state(world, licence_id)["start"] == start
    assert not in_force(world, licence_id), "before its start"

    increase_time(world.w3, start - world.now())
    assert in_force(world, licence_id), "from its start"

    increase_time(world.w3, end - world.now() - 10)
    assert in_force(world, licence_id), "until just before its end"

    increase_time(world.w3, 11)
    assert world.now() >= end
    assert not in_force(world, licence_id), "from its end: expired by time"
    assert licence_state(world, licence_id)["status"] == LicenceStatus.active


def test_a_licence_suspended_by_the_regulator_is_not_in_force_until_reinstated(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, _, _, _ = granted(world, actors)
    assert in_force(world, licence_id)
    _suspend(world, actors, SuspensionScope.licence, licence_id)
    assert not in_force(world, licence_id)
    assert licence_state(world, licence_id)["suspendedUntil"] == 2**64 - 1
    fn = world.consortium.functions.reinstate(
        int(SuspensionScope.licence), licence_id, 2, LEGAL_BASIS
    )
    world.send(fn, actors.regulator.key)
    assert in_force(world, licence_id)


def test_licences_granted_before_a_withdrawal_or_delisting_stay_in_force(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, terms, rec, _ = granted(world, actors)
    fn = world.listings.functions.withdrawConsent(terms["listingId"], record_tuple(rec), EVIDENCE)
    world.send(fn, actors.provider.key)
    assert in_force(world, licence_id)
    fn = world.listings.functions.delist(terms["listingId"], record_tuple(rec), 1, EVIDENCE)
    world.send(fn, actors.provider.key)
    assert in_force(world, licence_id)
    # The provider may still revoke it for cause, with the (delisted) listing's last record.
    revoke_by_provider(world, actors.provider, terms, rec)
    assert not in_force(world, licence_id)


# ----------------------------------------------------------------- exclusive licences


APPROVAL = keccak(text="衡阳市人民政府批复 2023-17")
AUCTION = keccak(text="公开竞价记录 2023-09")
ZERO = b"\0" * 32
#: A public-data product (无条件开放) whose envelope allows the longest exclusive term and more.
PUBLIC = {"openClass": 1, "maxTermDays": 2000}


def exclusive_granted(
    client: ConsortiumClient,
    actors: Actors,
    listing: tuple[bytes, dict[str, Any]] | None = None,
    via: str = "ZJ",
    approval: bytes = APPROVAL,
    auction: bytes = AUCTION,
    **terms: Any,
) -> tuple[bytes, dict[str, Any], dict[str, Any], TxReceipt]:
    """Grant an exclusive licence via ``via`` on ``listing`` (default: a new public-data
    listing at SH); returns the licence id, its terms, the record and the receipt."""
    listing_id, rec = listing or listed(client, actors, **PUBLIC)
    t = terms_for(client, listing_id, rec, actors, via=via, **terms)
    operator = getattr(actors, via.lower())
    licence_id, receipt = client.grant_exclusive(
        operator.key, actors.licensee.key, t, rec, approval, auction
    )
    return licence_id, t, rec, receipt


def licensing(client: ConsortiumClient, listing_id: bytes) -> tuple[bytes, int, int]:
    exclusive_id, exclusive_end, latest_end = client.licences.functions.listingLicensing(
        listing_id
    ).call()
    return bytes(exclusive_id), exclusive_end, latest_end


def other_grant(
    client: ConsortiumClient,
    actors: Actors,
    listing: tuple[bytes, dict[str, Any]],
    price: int = 3_000_000,
    **terms: Any,
) -> tuple[bytes, dict[str, Any], TxReceipt]:
    """An ordinary grant on ``listing`` (via SD) whose terms differ from the samples' by price."""
    listing_id, rec = listing
    t = terms_for(client, listing_id, rec, actors, via="SD", priceFen=price, **terms)
    licence_id, receipt = client.grant(actors.sd.key, actors.licensee.key, t, rec)
    return licence_id, t, receipt


def test_an_exclusive_grant_emits_one_event_with_the_terms_and_references(
    world: ConsortiumClient, actors: Actors
) -> None:
    now = world.now()
    end = now + 1826 * DAY
    licence_id, terms, _, receipt = exclusive_granted(world, actors, end=end)
    (log,) = world.licences.events.ExclusiveLicenceGranted().process_receipt(receipt)
    args = dict(log["args"])
    assert not world.licences.events.LicenceGranted().process_receipt(receipt, errors=DISCARD)
    assert len(receipt["logs"]) == 1, "one event for the grant"
    assert args["licenceId"] == licence_id
    assert args["listingId"] == terms["listingId"]
    assert args["licensee"] == actors.licensee.address
    assert args["grantingExchange"] == exchange_code("ZJ")
    assert args["actor"] == actors.zj.address
    assert (args["start"], args["end"], args["priceFen"]) == (terms["start"], end, 2_000_000)
    assert shares(args["split"]) == split_fees(2_000_000, *FEES)
    assert (args["approvalRef"], args["auctionRef"]) == (APPROVAL, AUCTION)
    assert args["seq"] == 2, "the listing's next number, after Listed"
    assert in_force(world, licence_id)
    assert licensing(world, terms["listingId"]) == (licence_id, end, end)


EXCLUSIVE_REFUSALS = [
    pytest.param(
        {"openClass": 0},
        {},
        {},
        "LicenceRegistryExclusiveNotPublicData",
        {"openClass": 0},
        id="a product that is not public data takes no exclusive licence",
    ),
    pytest.param(
        PUBLIC,
        {},
        {"approval": ZERO},
        "LicenceRegistryExclusiveReferenceRequired",
        {"approvalRef": ZERO, "auctionRef": AUCTION},
        id="an exclusive grant names its approval",
    ),
    pytest.param(
        PUBLIC,
        {},
        {"auction": ZERO},
        "LicenceRegistryExclusiveReferenceRequired",
        {"approvalRef": APPROVAL, "auctionRef": ZERO},
        id="an exclusive grant names its open auction",
    ),
    pytest.param(
        PUBLIC,
        {"end_days": 1827},
        {},
        "LicenceRegistryExclusiveInvalidTerm",
        {"maxDays": 1826},
        id="an exclusive licence runs at most five years",
    ),
    pytest.param(
        PUBLIC,
        {"start_days": 30, "end_days": 1800},
        {},
        "LicenceRegistryExclusiveInvalidTerm",
        {"maxDays": 1826},
        id="five years counted from the grant when the licence starts later",
    ),
    pytest.param(
        {"openClass": 1, "maxTermDays": 365},
        {"end_days": 366},
        {},
        "LicenceRegistryInvalidTerm",
        {"maxTermDays": 365},
        id="an exclusive licence stays within the listing's maximum term",
    ),
    pytest.param(
        PUBLIC,
        {"priceFen": 999_999},
        {},
        "LicenceRegistryPriceBelowFloor",
        {"priceFen": 999_999},
        id="an exclusive licence passes every check of a grant",
    ),
]


@pytest.mark.parametrize(("policy", "term", "refs", "error", "values"), EXCLUSIVE_REFUSALS)
def test_exclusive_grant_refusals(
    world: ConsortiumClient,
    actors: Actors,
    policy: dict[str, Any],
    term: dict[str, Any],
    refs: dict[str, bytes],
    error: str,
    values: dict[str, Any],
) -> None:
    listing = listed(world, actors, **policy)
    now = world.now()
    overrides = dict(term)
    start = now + overrides.pop("start_days", 0) * DAY
    if "end_days" in overrides:
        overrides["end"] = start + overrides.pop("end_days") * DAY
        overrides["start"] = start
    with reverts(error, **values):
        exclusive_granted(world, actors, listing, **overrides, **refs)
    assert licensing(world, listing[0]) == (ZERO, 0, 0)


def test_five_years_count_from_the_start_when_it_is_earlier_than_the_grant(
    world: ConsortiumClient, actors: Actors
) -> None:
    start = world.now() - 10 * DAY
    licence_id, _, _, _ = exclusive_granted(world, actors, start=start, end=start + 1826 * DAY)
    assert licence_state(world, licence_id)["start"] == start
    assert in_force(world, licence_id)


def test_a_listing_under_an_exclusive_licence_takes_no_other_grant(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, terms, rec, _ = exclusive_granted(world, actors)
    listing = (terms["listingId"], rec)
    with reverts(
        "LicenceRegistryUnderExclusiveLicence",
        listingId=terms["listingId"],
        licenceId=licence_id,
        end=terms["end"],
    ):
        other_grant(world, actors, listing)
    with reverts("LicenceRegistryUnderExclusiveLicence", licenceId=licence_id):
        exclusive_granted(world, actors, listing, via="SD", priceFen=5_000_000)


def test_a_suspended_exclusive_licence_still_holds_the_listing(
    world: ConsortiumClient, actors: Actors
) -> None:
    licence_id, terms, rec, _ = exclusive_granted(world, actors)
    _suspend(world, actors, SuspensionScope.licence, licence_id)
    assert not in_force(world, licence_id)
    with reverts("LicenceRegistryUnderExclusiveLicence", licenceId=licence_id):
        other_grant(world, actors, (terms["listingId"], rec))


@pytest.mark.parametrize(("ending", "status"), ENDINGS)
def test_ending_the_exclusive_licence_frees_the_listing(
    world: ConsortiumClient, actors: Actors, ending: str, status: LicenceStatus
) -> None:
    licence_id, terms, rec, _ = exclusive_granted(world, actors)
    _end(world, actors, ending, terms, rec)
    assert licence_state(world, licence_id)["status"] == status
    assert licensing(world, terms["listingId"]) == (ZERO, 0, 0)
    other_id, _, _ = other_grant(world, actors, (terms["listingId"], rec))
    assert in_force(world, other_id)


def test_a_listing_is_free_again_once_the_exclusive_term_has_passed(
    world: ConsortiumClient, actors: Actors
) -> None:
    now = world.now()
    licence_id, terms, rec, _ = exclusive_granted(world, actors, end=now + 30 * DAY)
    increase_time(world.w3, terms["end"] - world.now())
    assert licensing(world, terms["listingId"])[:2] == (ZERO, 0)
    # Revoking the expired exclusive licence afterwards changes nothing for later grants.
    other_id, other_terms, _ = other_grant(world, actors, (terms["listingId"], rec))
    revoke_by_regulator(world, actors.regulator, terms)
    assert licensing(world, terms["listingId"]) == (ZERO, 0, other_terms["end"])
    with reverts("LicenceRegistryOtherLicencesInForce", latestEnd=other_terms["end"]):
        exclusive_granted(world, actors, (terms["listingId"], rec), priceFen=7_000_000)
    assert in_force(world, other_id)
    assert not in_force(world, licence_id)


def test_an_exclusive_grant_waits_until_every_other_licence_could_have_ended(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing = listed(world, actors, **PUBLIC)
    now = world.now()
    _, first, _ = other_grant(world, actors, listing, end=now + 90 * DAY)
    other_id, later, _ = other_grant(world, actors, listing, price=4_000_000, end=now + 120 * DAY)
    _, shorter, _ = other_grant(world, actors, listing, price=5_000_000, end=now + 60 * DAY)
    assert licensing(world, listing[0]) == (ZERO, 0, later["end"]), "the latest end is kept"
    with reverts(
        "LicenceRegistryOtherLicencesInForce", listingId=listing[0], latestEnd=later["end"]
    ):
        exclusive_granted(world, actors, listing)
    # Revoking an ordinary licence does not shorten the wait (its end still counts).
    revoke_by_regulator(world, actors.regulator, later)
    with reverts("LicenceRegistryOtherLicencesInForce", latestEnd=later["end"]):
        exclusive_granted(world, actors, listing)
    increase_time(world.w3, later["end"] - world.now())
    licence_id, terms, _, _ = exclusive_granted(world, actors, listing, start=world.now())
    assert in_force(world, licence_id)
    assert not in_force(world, other_id)
    assert first["end"] < later["end"] and shorter["end"] < later["end"]
    assert licensing(world, listing[0]) == (licence_id, terms["end"], terms["end"])


def test_grants_on_a_listing_that_is_not_public_data_leave_its_licensing_slot_alone(
    world: ConsortiumClient, actors: Actors
) -> None:
    """Only public data can take an exclusive licence, so only its grants keep the slot."""
    listing = listed(world, actors)
    licence_id, _, _ = other_grant(world, actors, listing)
    other_grant(world, actors, listing, price=4_000_000, end=world.now() + 200 * DAY)
    assert in_force(world, licence_id)
    assert licensing(world, listing[0]) == (ZERO, 0, 0)
    with reverts("LicenceRegistryExclusiveNotPublicData", listingId=listing[0], openClass=0):
        exclusive_granted(world, actors, listing)


def test_a_public_data_listings_licences_still_count_across_its_versions(
    world: ConsortiumClient, actors: Actors
) -> None:
    """A new version may move between public classes (1 to 2); licences granted under the old
    one still hold off an exclusive grant under the new."""
    listing_id, rec = listed(world, actors, **PUBLIC)
    _, earlier, _ = other_grant(world, actors, (listing_id, rec))
    v2 = {**record(actors.provider, "a", 2), "policy": {**rec["policy"], "openClass": 2}}
    v2["policy"]["authorisationId"] = keccak(text="授权运营协议 2024-03")
    world.publish_version(actors.sh.key, actors.provider.key, "SH", listing_id, rec, v2, b"\x00{}")
    with reverts(
        "LicenceRegistryOtherLicencesInForce", listingId=listing_id, latestEnd=earlier["end"]
    ):
        exclusive_granted(world, actors, (listing_id, v2))
    assert licensing(world, listing_id) == (ZERO, 0, earlier["end"])


def test_an_ordinary_acceptance_granted_exclusively_is_one_licence(
    world: ConsortiumClient, actors: Actors
) -> None:
    """The licence id is the terms' digest either way: one acceptance, one licence."""
    listing_id, rec = listed(world, actors, **PUBLIC)
    t = terms_for(world, listing_id, rec, actors)
    acceptance = world.sign_acceptance(actors.licensee.key, t)
    licence_id, _ = world.grant(actors.zj.key, actors.licensee.key, t, rec, acceptance)
    with reverts("LicenceRegistryAlreadyGranted", licenceId=licence_id):
        world.grant_exclusive(actors.zj.key, "", t, rec, APPROVAL, AUCTION, acceptance)


def test_an_exclusive_grant_needs_the_licensees_acceptance(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors, **PUBLIC)
    t = terms_for(world, listing_id, rec, actors)
    forged = world.sign_acceptance(actors.outsider.key, t)
    with reverts("LicenceRegistryInvalidSignature", signer=actors.licensee.address):
        world.grant_exclusive(actors.zj.key, "", t, rec, APPROVAL, AUCTION, forged)
    assert licensing(world, listing_id) == (ZERO, 0, 0)


def test_only_an_operator_grants_exclusively(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors, **PUBLIC)
    t = terms_for(world, listing_id, rec, actors)
    with reverts("ConsortiumNotOperator"):
        world.grant_exclusive(actors.provider.key, actors.licensee.key, t, rec, APPROVAL, AUCTION)
