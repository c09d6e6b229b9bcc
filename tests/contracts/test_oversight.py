"""Oversight: regulators suspend and reinstate listings, providers, licences and an exchange's
right to grant, within their jurisdiction; every grant enforces every suspension.

Subjects: a listing and a licence by id, a provider by its address right-aligned in bytes32, an
exchange by its bytes8 code left-aligned.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import call, increase_time
from onelist.codes import ProposalKind, SuspensionScope, exchange_code

from .conftest import Actor, Actors, listed, reverts, terms_for

LISTING = SuspensionScope.listing
PROVIDER = SuspensionScope.provider
LICENCE = SuspensionScope.licence
GRANTING = SuspensionScope.exchange_granting
SCOPES = [
    pytest.param(LISTING, id="a listing"),
    pytest.param(PROVIDER, id="a provider"),
    pytest.param(LICENCE, id="a licence"),
    pytest.param(GRANTING, id="an exchange's right to grant"),
]
INDEFINITE = 2**64 - 1
REASON, LEGAL_BASIS = 41, keccak(text="《数据安全法》第四十一条")
LIFT_REASON, LIFT_BASIS = 42, keccak(text="整改完成")
ZJ_PROVINCE = 330000


def provider_subject(account: str) -> bytes:
    return bytes(12) + bytes.fromhex(account[2:])


def exchange_subject(code: str) -> bytes:
    return exchange_code(code) + bytes(24)


def suspend(
    client: ConsortiumClient, by: Actor, scope: int, subject: bytes, until: int = 0
) -> TxReceipt:
    fn = client.consortium.functions.suspend(scope, subject, REASON, LEGAL_BASIS, until)
    return client.send(fn, by.key)


def reinstate(client: ConsortiumClient, by: Actor, scope: int, subject: bytes) -> TxReceipt:
    fn = client.consortium.functions.reinstate(scope, subject, LIFT_REASON, LIFT_BASIS)
    return client.send(fn, by.key)


def state(client: ConsortiumClient, scope: int, subject: bytes) -> tuple[bool, int]:
    """(isSuspended, suspendedUntil) as the Consortium reports them."""
    c = client.consortium.functions
    return c.isSuspended(scope, subject).call(), c.suspendedUntil(scope, subject).call()


def emitted(client: ConsortiumClient, receipt: TxReceipt, name: str) -> dict[str, Any]:
    (log,) = getattr(client.consortium.events, name)().process_receipt(receipt, errors=DISCARD)
    return dict(log["args"])


def event_count(client: ConsortiumClient) -> int:
    return int(client.consortium.functions.parameters().call()[2])


class Market:
    """A subject of each scope whose jurisdiction lies with a given exchange, made on demand."""

    def __init__(self, client: ConsortiumClient, actors: Actors) -> None:
        self.client, self.actors = client, actors
        self.operators = {"SH": actors.sh, "ZJ": actors.zj, "SD": actors.sd}

    def listing(self, home: str = "SH") -> tuple[bytes, dict[str, Any]]:
        """A product of the SH provider, listed at ``home``."""
        return listed(self.client, self.actors, seed=f"market {home}", home=home)

    def licence(self, via: str = "ZJ") -> bytes:
        """A licence granted via ``via`` for a product listed at SH."""
        listing_id, rec = listed(self.client, self.actors, seed=f"licensed via {via}")
        terms = terms_for(self.client, listing_id, rec, self.actors, via=via)
        licence_id, _ = self.client.grant(
            self.operators[via].key, self.actors.licensee.key, terms, rec
        )
        return licence_id

    def subject(self, scope: int, exchange: str = "ZJ") -> bytes:
        if scope == LISTING:
            return self.listing(home=exchange)[0]
        if scope == PROVIDER:
            registered_at = {"SH": self.actors.provider, "ZJ": self.actors.provider2}
            return provider_subject(registered_at[exchange].address)
        if scope == LICENCE:
            return self.licence(via=exchange)
        return exchange_subject(exchange)


@pytest.fixture
def market(world: ConsortiumClient, actors: Actors) -> Market:
    return Market(world, actors)


@pytest.fixture
def zj_regulator(world: ConsortiumClient, actors: Actors) -> Actor:
    """浙江's provincial regulator, added by the members' vote (SH proposes, ZJ agrees)."""
    account = actors.spare[0]
    data = encode(["address", "uint32", "string"], [account.address, ZJ_PROVINCE, "浙江省数据局"])
    proposal_id, _ = world.propose(actors.sh.key, int(ProposalKind.add_regulator), data)
    world.send(world.consortium.functions.vote(proposal_id, True), actors.zj.key)
    world.send(world.consortium.functions.execute(proposal_id, data), actors.sh.key)
    return account


# ----------------------------------------------------------------- who may suspend


@pytest.mark.parametrize("scope", SCOPES)
def test_the_national_regulator_suspends_and_reinstates(
    world: ConsortiumClient, actors: Actors, market: Market, scope: int
) -> None:
    subject = market.subject(scope)
    assert state(world, scope, subject) == (False, 0)

    receipt = suspend(world, actors.regulator, scope, subject)
    seq = event_count(world)
    assert emitted(world, receipt, "Suspended") == {
        "scope": scope,
        "subject": subject,
        "regulator": actors.regulator.address,
        "regulatorProvince": 0,
        "reasonCode": REASON,
        "legalBasis": LEGAL_BASIS,
        "until": INDEFINITE,
        "seq": seq,
    }
    assert state(world, scope, subject) == (True, INDEFINITE)

    receipt = reinstate(world, actors.regulator, scope, subject)
    assert emitted(world, receipt, "Reinstated") == {
        "scope": scope,
        "subject": subject,
        "regulator": actors.regulator.address,
        "reasonCode": LIFT_REASON,
        "legalBasis": LIFT_BASIS,
        "seq": seq + 1,
    }
    assert state(world, scope, subject) == (False, 0)


NOT_REGULATORS = [
    pytest.param("sh", id="the operator of SH"),
    pytest.param("zj", id="the operator of ZJ"),
    pytest.param("provider", id="a provider"),
    pytest.param("licensee", id="a licensee"),
    pytest.param("outsider", id="an outsider"),
]


@pytest.mark.parametrize("role", NOT_REGULATORS)
@pytest.mark.parametrize("scope", SCOPES)
def test_only_a_regulator_suspends_or_reinstates(
    world: ConsortiumClient, actors: Actors, market: Market, scope: int, role: str
) -> None:
    caller: Actor = getattr(actors, role)
    subject = market.subject(scope)
    with reverts("ConsortiumNotRegulator", account=caller.address):
        suspend(world, caller, scope, subject)
    suspend(world, actors.regulator, scope, subject)
    with reverts("ConsortiumNotRegulator", account=caller.address):
        reinstate(world, caller, scope, subject)
    assert state(world, scope, subject) == (True, INDEFINITE)


JURISDICTION = [
    pytest.param(GRANTING, "ZJ", True, id="ZJ's right to grant"),
    pytest.param(LICENCE, "ZJ", True, id="a licence granted via ZJ"),
    pytest.param(LISTING, "ZJ", True, id="a listing whose home is ZJ"),
    pytest.param(PROVIDER, "ZJ", True, id="a provider registered at ZJ"),
    pytest.param(GRANTING, "SH", False, id="not SH's right to grant"),
    pytest.param(LICENCE, "SH", False, id="not a licence granted via SH"),
    pytest.param(LISTING, "SH", False, id="not a listing whose home is SH"),
    pytest.param(PROVIDER, "SH", False, id="not a provider registered at SH"),
]


@pytest.mark.parametrize("scope, exchange, covered", JURISDICTION)
def test_zhejiangs_regulator_suspends_only_what_its_province_covers(
    world: ConsortiumClient,
    actors: Actors,
    market: Market,
    zj_regulator: Actor,
    scope: int,
    exchange: str,
    covered: bool,
) -> None:
    subject = market.subject(scope, exchange)
    if covered:
        receipt = suspend(world, zj_regulator, scope, subject)
        assert emitted(world, receipt, "Suspended")["regulatorProvince"] == ZJ_PROVINCE
        reinstate(world, zj_regulator, scope, subject)
        assert state(world, scope, subject) == (False, 0)
        return
    out = {"regulator": zj_regulator.address, "scope": scope, "subject": subject}
    with reverts("OversightOutOfJurisdiction", **out):
        suspend(world, zj_regulator, scope, subject)
    suspend(world, actors.regulator, scope, subject)
    with reverts("OversightOutOfJurisdiction", **out):
        reinstate(world, zj_regulator, scope, subject)


def test_a_provider_registered_at_zj_but_listed_at_sh_is_zhejiangs_listing_is_not(
    world: ConsortiumClient, actors: Actors, zj_regulator: Actor
) -> None:
    listing_id, _ = listed(world, actors, home="SH", provider=actors.provider2)
    suspend(world, zj_regulator, PROVIDER, provider_subject(actors.provider2.address))
    with reverts("OversightOutOfJurisdiction", subject=listing_id):
        suspend(world, zj_regulator, LISTING, listing_id)


@pytest.mark.parametrize(
    "regulator, index, covers",
    [
        pytest.param("regulator", 0, True, id="the national regulator covers SH"),
        pytest.param("regulator", 2, True, id="the national regulator covers SD"),
        pytest.param("zj_regulator", 1, True, id="Zhejiang's regulator covers ZJ"),
        pytest.param("zj_regulator", 0, False, id="Zhejiang's regulator does not cover SH"),
        pytest.param("zj_regulator", 9, False, id="nobody's regulator covers a missing index"),
        pytest.param("sh", 0, False, id="an operator is no regulator of its own exchange"),
    ],
)
def test_a_regulator_covers_the_exchanges_of_its_province_or_all_when_national(
    world: ConsortiumClient,
    actors: Actors,
    zj_regulator: Actor,
    regulator: str,
    index: int,
    covers: bool,
) -> None:
    account = zj_regulator if regulator == "zj_regulator" else getattr(actors, regulator)
    assert world.consortium.functions.regulatorCovers(account.address, index).call() is covers


# ----------------------------------------------------------------- what may be suspended

UNKNOWN = [
    pytest.param(LISTING, keccak(text="no such listing"), id="a listing never listed"),
    pytest.param(LICENCE, keccak(text="no such licence"), id="a licence never granted"),
    pytest.param(PROVIDER, bytes(12) + b"\x42" * 20, id="an unregistered account as provider"),
    pytest.param(PROVIDER, "licensee", id="a licensee as provider"),
    pytest.param(PROVIDER, b"\xff" + bytes(11) + b"\x42" * 20, id="a provider with high bits set"),
    pytest.param(GRANTING, exchange_subject("GD"), id="an exchange that is not a member"),
    pytest.param(GRANTING, exchange_code("ZJ") + bytes(23) + b"\1", id="a code with low bytes set"),
    pytest.param(GRANTING, bytes(32), id="an empty exchange code"),
]


@pytest.mark.parametrize("scope, subject", UNKNOWN)
def test_an_unknown_or_malformed_subject_is_refused(
    world: ConsortiumClient, actors: Actors, scope: int, subject: bytes | str
) -> None:
    if subject == "licensee":
        subject = provider_subject(actors.licensee.address)
    with reverts("OversightUnknownSubject", scope=scope, subject=subject):
        suspend(world, actors.regulator, scope, subject)
    with reverts("OversightUnknownSubject", scope=scope, subject=subject):
        reinstate(world, actors.regulator, scope, subject)


def test_an_unknown_scope_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    subject = exchange_subject("ZJ")
    with reverts("OversightInvalidScope", scope=4):
        suspend(world, actors.regulator, 4, subject)
    with reverts("OversightInvalidScope", scope=4):
        reinstate(world, actors.regulator, 4, subject)
    with reverts("OversightInvalidScope", scope=4):
        call(world.w3, world.consortium.functions.isSuspended(4, subject))


@pytest.mark.parametrize(
    "seconds_ago",
    [
        pytest.param(1, id="a second ago"),
        pytest.param(None, id="the epoch's first second"),
    ],
)
def test_a_suspension_cannot_end_in_the_past(
    world: ConsortiumClient, actors: Actors, seconds_ago: int | None
) -> None:
    until = 1 if seconds_ago is None else world.now() - seconds_ago
    with reverts("OversightInvalidUntil", until=until):
        suspend(world, actors.regulator, GRANTING, exchange_subject("ZJ"), until)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize(
    "history",
    [
        pytest.param("never", id="never suspended"),
        pytest.param("reinstated", id="already reinstated"),
        pytest.param("lapsed", id="whose timed suspension has ended"),
    ],
)
def test_only_a_suspension_in_force_is_reinstated(
    world: ConsortiumClient,
    w3: Web3,
    actors: Actors,
    market: Market,
    scope: int,
    history: str,
) -> None:
    subject = market.subject(scope)
    if history == "reinstated":
        suspend(world, actors.regulator, scope, subject)
        reinstate(world, actors.regulator, scope, subject)
    elif history == "lapsed":
        suspend(world, actors.regulator, scope, subject, world.deadline(100))
        increase_time(w3, 200)
    with reverts("OversightNotSuspended", scope=scope, subject=subject):
        reinstate(world, actors.regulator, scope, subject)


@pytest.mark.parametrize("scope", SCOPES)
def test_a_timed_suspension_is_in_force_until_it_ends(
    world: ConsortiumClient, w3: Web3, actors: Actors, market: Market, scope: int
) -> None:
    subject = market.subject(scope)
    until = world.deadline(100)
    receipt = suspend(world, actors.regulator, scope, subject, until)
    assert emitted(world, receipt, "Suspended")["until"] == until
    assert state(world, scope, subject) == (True, until)
    increase_time(w3, 200)
    assert state(world, scope, subject) == (False, until)


# ----------------------------------------------------------------- enforcement

BLOCKED_GRANTS = [
    pytest.param(LISTING, "reinstated", id="a suspended listing is not licensed until reinstated"),
    pytest.param(
        PROVIDER, "reinstated", id="a suspended provider's product is not licensed until reinstated"
    ),
    pytest.param(
        GRANTING, "reinstated", id="an exchange suspended from granting grants once reinstated"
    ),
    pytest.param(LISTING, "lapsed", id="a listing suspended for 100 s is licensed afterwards"),
    pytest.param(PROVIDER, "lapsed", id="a provider suspended for 100 s is licensed afterwards"),
    pytest.param(GRANTING, "lapsed", id="an exchange suspended for 100 s grants afterwards"),
]


@pytest.mark.parametrize("scope, ending", BLOCKED_GRANTS)
def test_a_suspension_at_every_scope_blocks_grants_until_it_is_lifted(
    world: ConsortiumClient, w3: Web3, actors: Actors, scope: int, ending: str
) -> None:
    listing_id, rec = listed(world, actors)
    subject = {
        LISTING: listing_id,
        PROVIDER: provider_subject(actors.provider.address),
        GRANTING: exchange_subject("ZJ"),
    }[scope]
    until = 0 if ending == "reinstated" else world.deadline(100)
    suspend(world, actors.regulator, scope, subject, until)

    in_force = until or INDEFINITE
    if scope == LISTING:
        error, args = "ListingRegistrySuspended", {"listingId": listing_id, "until": in_force}
    else:
        error, args = "OversightSuspended", {"scope": scope, "subject": subject, "until": in_force}
    with reverts(error, **args):
        world.grant(
            actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec
        )

    if ending == "reinstated":
        reinstate(world, actors.regulator, scope, subject)
    else:
        increase_time(w3, 200)
    terms = terms_for(world, listing_id, rec, actors)
    licence_id, _ = world.grant(actors.zj.key, actors.licensee.key, terms, rec)
    assert world.licences.functions.inForce(licence_id).call()


def test_a_suspended_provider_cannot_list_new_products(
    world: ConsortiumClient, actors: Actors
) -> None:
    subject = provider_subject(actors.provider.address)
    suspend(world, actors.regulator, PROVIDER, subject)
    with reverts("OversightSuspended", scope=PROVIDER, subject=subject, until=INDEFINITE):
        listed(world, actors, home="ZJ")
    listed(world, actors, home="ZJ", provider=actors.provider2)
    reinstate(world, actors.regulator, PROVIDER, subject)
    listed(world, actors, home="ZJ")


def test_an_exchange_suspended_from_granting_still_lists_while_others_grant(
    world: ConsortiumClient, actors: Actors
) -> None:
    suspend(world, actors.regulator, GRANTING, exchange_subject("ZJ"))
    listing_id, rec = listed(world, actors, home="ZJ")
    terms = terms_for(world, listing_id, rec, actors, via="SD")
    licence_id, _ = world.grant(actors.sd.key, actors.licensee.key, terms, rec)
    assert world.licences.functions.inForce(licence_id).call()


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("reinstated", id="until reinstated"),
        pytest.param("lapsed", id="until a 100 s suspension ends"),
    ],
)
def test_a_suspended_licence_is_not_in_force(
    world: ConsortiumClient, w3: Web3, actors: Actors, market: Market, ending: str
) -> None:
    licence_id = market.licence()
    in_force = world.licences.functions.inForce
    until = 0 if ending == "reinstated" else world.deadline(100)
    suspend(world, actors.regulator, LICENCE, licence_id, until)
    assert not in_force(licence_id).call()
    assert world.licences.functions.licenceState(licence_id).call()[4] == (until or INDEFINITE)
    if ending == "reinstated":
        reinstate(world, actors.regulator, LICENCE, licence_id)
    else:
        increase_time(w3, 200)
    assert in_force(licence_id).call()
