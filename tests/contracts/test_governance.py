"""Governance: the member exchanges propose, vote (one vote per exchange) and anyone executes.

A proposal passes with at least two thirds of the members active when it was made (with three
members 2, with four 3) and must be executed before its voting window closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import increase_time
from onelist.codes import ExchangeStatus, ProposalKind, SuspensionScope, exchange_code
from onelist.records import split_fees

from .conftest import CATALOGUE, Actor, Actors, listed, record, reverts, terms_for

SH, ZJ, SD, GD = (exchange_code(c) for c in ("SH", "ZJ", "SD", "GD"))
GD_NAME, GD_PROVINCE = "广州数据交易所", 440000
ZERO = "0x" + "00" * 20
VOTING_PERIOD = 259200
START_EVENTS = 12  # the constructor's 9 and the session fixture's 3 registrations
ARGUMENT_TYPES: dict[int, list[str]] = {
    ProposalKind.admit_exchange: ["bytes8", "string", "uint32", "address"],
    ProposalKind.remove_exchange: ["bytes8"],
    ProposalKind.add_regulator: ["address", "uint32", "string"],
    ProposalKind.remove_regulator: ["address"],
    ProposalKind.set_fee_schedule: ["uint16", "uint16", "uint16"],
    ProposalKind.set_voting_period: ["uint64"],
}


def data_of(kind: ProposalKind, *args: Any) -> bytes:
    """A proposal's data: the ABI-encoded arguments of its kind."""
    return encode(ARGUMENT_TYPES[kind], list(args))


def operator(actors: Actors, name: str) -> Actor:
    """An operator by exchange: sh, zj, sd, or gd (``spare[0]``, GD's operator once admitted)."""
    return actors.spare[0] if name == "gd" else getattr(actors, name)


def emitted(client: ConsortiumClient, receipt: TxReceipt, name: str) -> dict[str, Any]:
    """The arguments of the one ``name`` event the Consortium emitted in ``receipt``."""
    (log,) = getattr(client.consortium.events, name)().process_receipt(receipt, errors=DISCARD)
    return dict(log["args"])


def propose(
    client: ConsortiumClient, by: Actor, kind: ProposalKind, *args: Any
) -> tuple[int, bytes, TxReceipt]:
    data = data_of(kind, *args)
    proposal_id, receipt = client.propose(by.key, int(kind), data)
    return proposal_id, data, receipt


def vote(client: ConsortiumClient, by: Actor, proposal_id: int, support: bool = True) -> TxReceipt:
    return client.send(client.consortium.functions.vote(proposal_id, support), by.key)


def execute(client: ConsortiumClient, by: Actor, proposal_id: int, data: bytes) -> TxReceipt:
    return client.send(client.consortium.functions.execute(proposal_id, data), by.key)


def enact(
    client: ConsortiumClient, actors: Actors, kind: ProposalKind, *args: Any
) -> tuple[int, TxReceipt]:
    """SH proposes, ZJ votes yes (2 of 3), an outsider executes."""
    proposal_id, data, _ = propose(client, actors.sh, kind, *args)
    vote(client, actors.zj, proposal_id)
    return proposal_id, execute(client, actors.outsider, proposal_id, data)


def admit_gd(client: ConsortiumClient, actors: Actors) -> tuple[int, TxReceipt]:
    """Admit 广州数据交易所 (GD, index 3) with ``spare[0]`` as its first operator."""
    gd = (GD, GD_NAME, GD_PROVINCE, actors.spare[0].address)
    return enact(client, actors, ProposalKind.admit_exchange, *gd)


def proposal(client: ConsortiumClient, proposal_id: int) -> dict[str, Any]:
    names = ("dataHash", "deadline", "required", "yes", "no", "kind", "executed")
    return dict(zip(names, client.consortium.functions.proposal(proposal_id).call(), strict=True))


def block_time(client: ConsortiumClient, receipt: TxReceipt) -> int:
    return int(client.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


# ----------------------------------------------------------------- proposing and voting


def test_a_proposal_opens_for_the_voting_period_with_the_proposers_yes(
    world: ConsortiumClient, actors: Actors
) -> None:
    c = world.consortium.functions
    proposal_id, data, receipt = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    deadline = block_time(world, receipt) + VOTING_PERIOD
    assert proposal_id == 1 == c.proposalCount().call()
    assert emitted(world, receipt, "ProposalCreated") == {
        "proposalId": 1,
        "exchange": SH,
        "actor": actors.sh.address,
        "kind": ProposalKind.set_voting_period,
        "data": data,
        "deadline": deadline,
        "required": 2,
        "seq": START_EVENTS + 1,
    }
    assert emitted(world, receipt, "VoteCast") == {
        "proposalId": 1,
        "exchange": SH,
        "actor": actors.sh.address,
        "support": True,
        "yes": 1,
        "no": 0,
        "seq": START_EVENTS + 2,
    }
    assert proposal(world, 1) == {
        "dataHash": keccak(data),
        "deadline": deadline,
        "required": 2,
        "yes": 1,
        "no": 0,
        "kind": ProposalKind.set_voting_period,
        "executed": False,
    }
    assert c.hasVoted(1, SH).call()
    assert not c.hasVoted(1, ZJ).call()


def test_votes_against_are_counted_and_do_not_stop_two_thirds_in_favour(
    world: ConsortiumClient, actors: Actors
) -> None:
    proposal_id, data, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    receipt = vote(world, actors.zj, proposal_id, support=False)
    assert emitted(world, receipt, "VoteCast") == {
        "proposalId": proposal_id,
        "exchange": ZJ,
        "actor": actors.zj.address,
        "support": False,
        "yes": 1,
        "no": 1,
        "seq": START_EVENTS + 3,
    }
    with reverts("GovernanceNotPassed", proposalId=proposal_id, yes=1, required=2):
        execute(world, actors.outsider, proposal_id, data)
    receipt = vote(world, actors.sd, proposal_id)
    tally = emitted(world, receipt, "VoteCast")
    assert (tally["yes"], tally["no"]) == (2, 1)
    execute(world, actors.outsider, proposal_id, data)
    assert proposal(world, proposal_id)["executed"]


@pytest.mark.parametrize(
    "role",
    [
        pytest.param("regulator", id="the national regulator"),
        pytest.param("provider", id="a provider"),
        pytest.param("licensee", id="a licensee"),
        pytest.param("outsider", id="an outsider"),
    ],
)
def test_only_an_operator_of_a_member_proposes_or_votes(
    world: ConsortiumClient, actors: Actors, role: str
) -> None:
    caller: Actor = getattr(actors, role)
    with reverts("ConsortiumNotOperator", account=caller.address):
        propose(world, caller, ProposalKind.set_voting_period, 86400)
    proposal_id, _, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    with reverts("ConsortiumNotOperator", account=caller.address):
        vote(world, caller, proposal_id)


@pytest.mark.parametrize(
    "earlier, last, support, exchange",
    [
        pytest.param((), "sh", True, SH, id="the proposer's exchange has already voted yes"),
        pytest.param(("zj",), "zj", True, ZJ, id="ZJ may not vote yes twice"),
        pytest.param(("zj",), "zj", False, ZJ, id="ZJ may not change its vote"),
        pytest.param((), "spare", False, SH, id="a second operator of SH may not vote for SH"),
    ],
)
def test_each_exchange_votes_once_whichever_operator_casts_it(
    world: ConsortiumClient,
    actors: Actors,
    earlier: tuple[str, ...],
    last: str,
    support: bool,
    exchange: bytes,
) -> None:
    world.send(world.consortium.functions.addOperator(actors.spare[0].address), actors.sh.key)
    proposal_id, _, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    for name in earlier:
        vote(world, operator(actors, name), proposal_id)
    voter = actors.spare[0] if last == "spare" else operator(actors, last)
    with reverts("GovernanceAlreadyVoted", proposalId=proposal_id, exchange=exchange):
        vote(world, voter, proposal_id, support)


def test_an_unknown_proposal_cannot_be_voted_on_or_executed(
    world: ConsortiumClient, actors: Actors
) -> None:
    propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    for proposal_id in (0, 2):
        with reverts("GovernanceUnknownProposal", proposalId=proposal_id):
            vote(world, actors.zj, proposal_id)
        with reverts("GovernanceUnknownProposal", proposalId=proposal_id):
            execute(world, actors.outsider, proposal_id, b"")


# ----------------------------------------------------------------- invalid proposals

INVALID: list[Any] = [
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (SH, "重复", 310000, a.spare[0].address),
        "ConsortiumExchangeExists",
        lambda a: {"code": SH},
        id="admitting an exchange whose code is taken",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (b"\0" * 8, GD_NAME, GD_PROVINCE, a.spare[0].address),
        "ConsortiumInvalidExchange",
        lambda a: {"code": b"\0" * 8, "province": GD_PROVINCE},
        id="admitting an exchange without a code",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (GD, GD_NAME, 100000, a.spare[0].address),
        "ConsortiumInvalidExchange",
        lambda a: {"code": GD, "province": 100000},
        id="admitting an exchange in a province below 110000",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (GD, GD_NAME, 830000, a.spare[0].address),
        "ConsortiumInvalidExchange",
        lambda a: {"code": GD, "province": 830000},
        id="admitting an exchange in a province above 829999",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (GD, GD_NAME, 440100, a.spare[0].address),
        "ConsortiumInvalidExchange",
        lambda a: {"code": GD, "province": 440100},
        id="admitting an exchange with a city code instead of a province",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (GD, GD_NAME, GD_PROVINCE, a.zj.address),
        "ConsortiumAccountInUse",
        lambda a: {"account": a.zj.address},
        id="admitting an exchange whose first operator operates for ZJ",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (GD, GD_NAME, GD_PROVINCE, a.provider.address),
        "ConsortiumParticipantExists",
        lambda a: {"account": a.provider.address, "registeredBy": SH},
        id="admitting an exchange whose first operator is a provider",
    ),
    pytest.param(
        ProposalKind.admit_exchange,
        lambda a: (GD, GD_NAME, GD_PROVINCE, ZERO),
        "ConsortiumZeroAddress",
        lambda a: {},
        id="admitting an exchange without a first operator",
    ),
    pytest.param(
        ProposalKind.remove_exchange,
        lambda a: (GD,),
        "ConsortiumExchangeNotActive",
        lambda a: {"code": GD},
        id="removing an exchange that is not a member",
    ),
    pytest.param(
        ProposalKind.add_regulator,
        lambda a: (a.regulator.address, 0, "国家数据局"),
        "ConsortiumRegulatorExists",
        lambda a: {"account": a.regulator.address},
        id="adding a regulator twice",
    ),
    pytest.param(
        ProposalKind.add_regulator,
        lambda a: (a.sd.address, 370000, "山东省大数据局"),
        "ConsortiumAccountInUse",
        lambda a: {"account": a.sd.address},
        id="adding an operator as a regulator",
    ),
    pytest.param(
        ProposalKind.add_regulator,
        lambda a: (a.licensee.address, 0, "国家数据局"),
        "ConsortiumParticipantExists",
        lambda a: {"account": a.licensee.address, "registeredBy": SD},
        id="adding a licensee as a regulator",
    ),
    pytest.param(
        ProposalKind.add_regulator,
        lambda a: (a.spare[1].address, 99, "某局"),
        "ConsortiumInvalidExchange",
        lambda a: {"code": b"\0" * 8, "province": 99},
        id="adding a regulator of no province",
    ),
    pytest.param(
        ProposalKind.add_regulator,
        lambda a: (a.spare[1].address, 330100, "杭州市数据资源管理局"),
        "ConsortiumInvalidExchange",
        lambda a: {"code": b"\0" * 8, "province": 330100},
        id="adding a regulator of a city rather than a province",
    ),
    pytest.param(
        ProposalKind.add_regulator,
        lambda a: (ZERO, 0, "国家数据局"),
        "ConsortiumZeroAddress",
        lambda a: {},
        id="adding the zero address as a regulator",
    ),
    pytest.param(
        ProposalKind.remove_regulator,
        lambda a: (a.outsider.address,),
        "ConsortiumNotRegulator",
        lambda a: {"account": a.outsider.address},
        id="removing an account that is no regulator",
    ),
    pytest.param(
        ProposalKind.set_fee_schedule,
        lambda a: (5000, 5000, 1),
        "ConsortiumInvalidFeeSchedule",
        lambda a: {"homeBps": 5000, "grantingBps": 5000, "consortiumBps": 1},
        id="fees that add up to more than 10000 basis points",
    ),
    pytest.param(
        ProposalKind.set_voting_period,
        lambda a: (59,),
        "ConsortiumInvalidVotingPeriod",
        lambda a: {"votingPeriod": 59},
        id="a voting period shorter than a minute",
    ),
    pytest.param(
        ProposalKind.set_voting_period,
        lambda a: (90 * 86400 + 1,),
        "ConsortiumInvalidVotingPeriod",
        lambda a: {"votingPeriod": 90 * 86400 + 1},
        id="a voting period longer than 90 days",
    ),
]


@pytest.mark.parametrize("kind, args, error, expected", INVALID)
def test_a_proposal_that_could_never_be_executed_is_refused_when_made(
    world: ConsortiumClient,
    actors: Actors,
    kind: ProposalKind,
    args: Callable[[Actors], tuple[Any, ...]],
    error: str,
    expected: Callable[[Actors], dict[str, Any]],
) -> None:
    with reverts(error, **expected(actors)):
        propose(world, actors.sh, kind, *args(actors))
    assert world.consortium.functions.proposalCount().call() == 0


@pytest.mark.parametrize(
    "kind",
    [pytest.param(6, id="kind 6 is unknown"), pytest.param(255, id="kind 255 is unknown")],
)
def test_a_proposal_of_an_unknown_kind_is_refused(
    world: ConsortiumClient, actors: Actors, kind: int
) -> None:
    with reverts("GovernanceUnknownKind", kind=kind):
        world.propose(actors.sh.key, kind, encode(["uint64"], [86400]))


@pytest.mark.parametrize(
    "kind, data, minimum",
    [
        pytest.param(ProposalKind.admit_exchange, b"", 160, id="admit: no data"),
        pytest.param(
            ProposalKind.admit_exchange,
            encode(["bytes8", "uint32"], [b"GD\0\0\0\0\0\0", 440000]),
            160,
            id="admit: two words",
        ),
        pytest.param(ProposalKind.remove_exchange, b"GD", 32, id="remove: a short code"),
        pytest.param(ProposalKind.add_regulator, bytes(96), 128, id="regulator: no string"),
        pytest.param(ProposalKind.remove_regulator, bytes(20), 32, id="remove regulator: 20 bytes"),
        pytest.param(
            ProposalKind.set_fee_schedule, encode(["uint16"], [100]), 96, id="fees: one of three"
        ),
        pytest.param(ProposalKind.set_fee_schedule, bytes(128), 96, id="fees: a word too many"),
        pytest.param(ProposalKind.set_voting_period, bytes(8), 32, id="period: 8 bytes"),
    ],
)
def test_proposal_data_too_short_for_its_kind_is_refused_naming_the_lengths(
    world: ConsortiumClient, actors: Actors, kind: ProposalKind, data: bytes, minimum: int
) -> None:
    """Before, abi.decode reverted with no reason at all."""
    with reverts("GovernanceMalformedData", kind=int(kind), length=len(data), minimum=minimum):
        world.propose(actors.sh.key, int(kind), data)
    assert world.consortium.functions.proposalCount().call() == 0


@pytest.mark.parametrize(
    "kind, args",
    [
        pytest.param(ProposalKind.set_fee_schedule, (10000, 0, 0), id="fees of exactly 10000"),
        pytest.param(ProposalKind.set_fee_schedule, (0, 0, 0), id="no fees at all"),
        pytest.param(ProposalKind.set_voting_period, (60,), id="a voting period of one minute"),
        pytest.param(ProposalKind.set_voting_period, (90 * 86400,), id="one of 90 days"),
    ],
)
def test_parameters_at_their_bounds_are_accepted(
    world: ConsortiumClient, actors: Actors, kind: ProposalKind, args: tuple[int, ...]
) -> None:
    c = world.consortium.functions
    proposal_id, data, _ = propose(world, actors.sh, kind, *args)
    vote(world, actors.zj, proposal_id)
    execute(world, actors.outsider, proposal_id, data)
    if kind == ProposalKind.set_fee_schedule:
        assert tuple(c.feeSchedule().call()) == args
    else:
        assert c.parameters().call()[0] == args[0]


# ----------------------------------------------------------------- thresholds

THRESHOLDS = [
    pytest.param(3, ("sh",), 2, False, id="of three members the proposer's yes alone is one short"),
    pytest.param(3, ("sh", "zj"), 2, True, id="of three members two yes votes pass"),
    pytest.param(3, ("sh", "zj", "sd"), 2, True, id="of three members a unanimous vote passes"),
    pytest.param(4, ("sh", "zj"), 3, False, id="of four members two yes votes are one short"),
    pytest.param(4, ("sh", "zj", "sd"), 3, True, id="of four members three yes votes pass"),
    pytest.param(4, ("sh", "zj", "gd"), 3, True, id="of four members the newcomer's vote counts"),
]


@pytest.mark.parametrize("members, yes, required, passes", THRESHOLDS)
def test_a_proposal_passes_with_two_thirds_of_the_members(
    world: ConsortiumClient,
    actors: Actors,
    members: int,
    yes: tuple[str, ...],
    required: int,
    passes: bool,
) -> None:
    if members == 4:
        admit_gd(world, actors)
    proposal_id, data, receipt = propose(
        world, operator(actors, yes[0]), ProposalKind.set_voting_period, 86400
    )
    assert emitted(world, receipt, "ProposalCreated")["required"] == required
    for name in yes[1:]:
        vote(world, operator(actors, name), proposal_id)
    if passes:
        execute(world, actors.outsider, proposal_id, data)
        assert world.consortium.functions.parameters().call()[0] == 86400
    else:
        with reverts(
            "GovernanceNotPassed", proposalId=proposal_id, yes=len(yes), required=required
        ):
            execute(world, actors.outsider, proposal_id, data)


def test_the_threshold_is_that_of_the_members_when_the_proposal_was_made(
    world: ConsortiumClient, actors: Actors
) -> None:
    proposal_id, data, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    admit_gd(world, actors)
    vote(world, actors.zj, proposal_id)
    assert proposal(world, proposal_id)["required"] == 2
    execute(world, actors.outsider, proposal_id, data)


# ----------------------------------------------------------------- execution


@pytest.mark.parametrize(
    "executor",
    [
        pytest.param("outsider", id="an outsider executes"),
        pytest.param("regulator", id="the regulator executes"),
        pytest.param("licensee", id="a licensee executes"),
        pytest.param("sd", id="the operator of an exchange that did not vote executes"),
    ],
)
def test_anyone_may_execute_a_passed_proposal(
    world: ConsortiumClient, actors: Actors, executor: str
) -> None:
    by: Actor = getattr(actors, executor)
    proposal_id, data, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    vote(world, actors.zj, proposal_id)
    receipt = execute(world, by, proposal_id, data)
    assert emitted(world, receipt, "ProposalExecuted") == {
        "proposalId": proposal_id,
        "actor": by.address,
        "seq": START_EVENTS + 4,
    }
    assert proposal(world, proposal_id)["executed"]


def test_a_proposal_is_executed_once(world: ConsortiumClient, actors: Actors) -> None:
    proposal_id, _ = enact(world, actors, ProposalKind.set_voting_period, 86400)
    with reverts("GovernanceAlreadyExecuted", proposalId=proposal_id):
        execute(world, actors.outsider, proposal_id, data_of(ProposalKind.set_voting_period, 86400))


def test_an_executed_proposal_takes_no_more_votes(world: ConsortiumClient, actors: Actors) -> None:
    proposal_id, _ = enact(world, actors, ProposalKind.set_voting_period, 86400)
    with reverts("GovernanceAlreadyExecuted", proposalId=proposal_id):
        vote(world, actors.sd, proposal_id)


def test_a_proposal_is_executed_only_with_the_data_it_was_voted_on(
    world: ConsortiumClient, actors: Actors
) -> None:
    proposal_id, _, _ = propose(world, actors.sh, ProposalKind.set_fee_schedule, 300, 200, 100)
    vote(world, actors.zj, proposal_id)
    other = data_of(ProposalKind.set_fee_schedule, 9000, 500, 500)
    with reverts("GovernanceDataMismatch", proposalId=proposal_id):
        execute(world, actors.outsider, proposal_id, other)


def test_after_its_deadline_a_proposal_takes_no_votes_and_cannot_be_executed(
    world: ConsortiumClient, w3: Web3, actors: Actors
) -> None:
    passed, passed_data, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 86400)
    vote(world, actors.zj, passed)
    open_, _, _ = propose(world, actors.sh, ProposalKind.set_voting_period, 3600)
    increase_time(w3, VOTING_PERIOD + 10)
    deadline = proposal(world, open_)["deadline"]
    with reverts("GovernanceVotingClosed", proposalId=open_, deadline=deadline):
        vote(world, actors.zj, open_)
    deadline = proposal(world, passed)["deadline"]
    with reverts("GovernanceVotingClosed", proposalId=passed, deadline=deadline):
        execute(world, actors.outsider, passed, passed_data)


# ----------------------------------------------------------------- each kind's effect


def test_admitting_an_exchange_makes_it_a_member_with_its_first_operator(
    world: ConsortiumClient, actors: Actors
) -> None:
    c = world.consortium.functions
    gd = actors.spare[0]
    proposal_id, receipt = admit_gd(world, actors)
    executed = emitted(world, receipt, "ProposalExecuted")["seq"]
    assert emitted(world, receipt, "ExchangeAdmitted") == {
        "code": GD,
        "index": 3,
        "province": GD_PROVINCE,
        "name": GD_NAME,
        "firstOperator": gd.address,
        "proposalId": proposal_id,
        "seq": executed + 1,
    }
    assert emitted(world, receipt, "OperatorAdded") == {
        "exchange": GD,
        "operator": gd.address,
        "actor": ZERO,
        "seq": executed + 2,
    }
    assert tuple(c.exchange(GD).call()) == (3, ExchangeStatus.active, GD_PROVINCE, 1)
    assert (c.exchangeCount().call(), c.exchangeCodeAt(3).call()) == (4, GD)
    assert tuple(c.operatorExchange(gd.address).call()) == (GD, 3)
    assert c.parameters().call()[1] == 4
    world.register_participant(gd.key, actors.spare[1].address, 2)
    assert tuple(c.participant(actors.spare[1].address).call()) == (GD, 2)


@pytest.mark.parametrize(
    "granting_exchanges, admitted",
    [
        pytest.param(0, True, id="a listing open to every member is granted by the newcomer"),
        pytest.param(1 << 3, True, id="a listing open to index 3 only is granted by GD"),
        pytest.param(0b0111, False, id="a listing open to the founders only is not granted by GD"),
    ],
)
def test_a_newly_admitted_exchange_grants_licences_its_listings_admit(
    world: ConsortiumClient, actors: Actors, granting_exchanges: int, admitted: bool
) -> None:
    gd = actors.spare[0]
    admit_gd(world, actors)
    listing_id, rec = listed(world, actors, grantingExchanges=granting_exchanges)
    terms = terms_for(world, listing_id, rec, actors, via="GD")
    if admitted:
        licence_id, _ = world.grant(gd.key, actors.licensee.key, terms, rec)
        assert world.licences.functions.inForce(licence_id).call()
    else:
        with reverts("LicenceRegistryExchangeNotAdmitted", listingId=listing_id, exchange=GD):
            world.grant(gd.key, actors.licensee.key, terms, rec)


def test_adding_and_removing_a_regulator_gives_and_takes_the_power_to_suspend(
    world: ConsortiumClient, actors: Actors
) -> None:
    c = world.consortium.functions
    account = actors.spare[1]
    suspend = c.suspend(SuspensionScope.exchange_granting, SD + bytes(24), 1, bytes(32), 0)

    proposal_id, receipt = enact(
        world, actors, ProposalKind.add_regulator, account.address, 0, "网信办"
    )
    assert emitted(world, receipt, "RegulatorAdded") == {
        "regulator": account.address,
        "province": 0,
        "name": "网信办",
        "proposalId": proposal_id,
        "seq": emitted(world, receipt, "ProposalExecuted")["seq"] + 1,
    }
    assert tuple(c.regulator(account.address).call()) == (True, 0)
    world.send(suspend, account.key)

    proposal_id, receipt = enact(world, actors, ProposalKind.remove_regulator, account.address)
    assert emitted(world, receipt, "RegulatorRemoved") == {
        "regulator": account.address,
        "proposalId": proposal_id,
        "seq": emitted(world, receipt, "ProposalExecuted")["seq"] + 1,
    }
    assert tuple(c.regulator(account.address).call()) == (False, 0)
    with reverts("ConsortiumNotRegulator", account=account.address):
        world.send(suspend, account.key)


def test_a_new_fee_schedule_splits_the_next_grant(world: ConsortiumClient, actors: Actors) -> None:
    proposal_id, receipt = enact(world, actors, ProposalKind.set_fee_schedule, 1000, 500, 0)
    assert emitted(world, receipt, "FeeScheduleSet") == {
        "homeBps": 1000,
        "grantingBps": 500,
        "consortiumBps": 0,
        "proposalId": proposal_id,
        "seq": emitted(world, receipt, "ProposalExecuted")["seq"] + 1,
    }
    assert tuple(world.consortium.functions.feeSchedule().call()) == (1000, 500, 0)
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors)
    _, receipt = world.grant(actors.zj.key, actors.licensee.key, terms, rec)
    (granted,) = world.licences.events.LicenceGranted().process_receipt(receipt)
    split = granted["args"]["split"]
    shares = [(split >> (64 * i)) & (2**64 - 1) for i in range(4)]
    assert shares == split_fees(terms["priceFen"], 1000, 500, 0)


def test_a_new_voting_period_sets_the_deadline_of_later_proposals(
    world: ConsortiumClient, actors: Actors
) -> None:
    earlier, _, made = propose(world, actors.sd, ProposalKind.set_fee_schedule, 0, 0, 0)
    proposal_id, receipt = enact(world, actors, ProposalKind.set_voting_period, 3600)
    assert emitted(world, receipt, "VotingPeriodSet") == {
        "votingPeriod": 3600,
        "proposalId": proposal_id,
        "seq": emitted(world, receipt, "ProposalExecuted")["seq"] + 1,
    }
    assert world.consortium.functions.parameters().call()[0] == 3600
    _, _, receipt = propose(world, actors.sh, ProposalKind.set_fee_schedule, 0, 0, 0)
    assert (
        emitted(world, receipt, "ProposalCreated")["deadline"] == block_time(world, receipt) + 3600
    )
    assert proposal(world, earlier)["deadline"] == block_time(world, made) + VOTING_PERIOD


# ----------------------------------------------------------------- removing an exchange


@pytest.fixture
def sd_removed(world: ConsortiumClient, actors: Actors) -> ConsortiumClient:
    """The deployment after SH and ZJ voted SD out."""
    proposal_id, receipt = enact(world, actors, ProposalKind.remove_exchange, SD)
    assert emitted(world, receipt, "ExchangeRemoved") == {
        "code": SD,
        "proposalId": proposal_id,
        "seq": emitted(world, receipt, "ProposalExecuted")["seq"] + 1,
    }
    return world


def test_a_removed_exchange_is_no_longer_an_active_member(
    sd_removed: ConsortiumClient, actors: Actors
) -> None:
    c = sd_removed.consortium.functions
    assert tuple(c.exchange(SD).call()) == (2, ExchangeStatus.removed, 370000, 1)
    assert c.parameters().call()[1] == 2
    _, _, receipt = propose(sd_removed, actors.sh, ProposalKind.set_voting_period, 86400)
    assert emitted(sd_removed, receipt, "ProposalCreated")["required"] == 2
    with reverts("ConsortiumExchangeNotActive", code=SD):
        propose(sd_removed, actors.sh, ProposalKind.remove_exchange, SD)
    again = (SD, "山东数据交易有限公司", 370000, actors.spare[0].address)
    with reverts("ConsortiumExchangeExists", code=SD):
        propose(sd_removed, actors.sh, ProposalKind.admit_exchange, *again)


def _grant_via_sd(client: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(client, actors)
    terms = terms_for(client, listing_id, rec, actors, via="SD")
    client.grant(actors.sd.key, actors.licensee.key, terms, rec)


SD_ACTIONS: list[Any] = [
    pytest.param(
        lambda w, a: propose(w, a.sd, ProposalKind.set_voting_period, 86400), id="propose"
    ),
    pytest.param(
        lambda w, a: vote(w, a.sd, propose(w, a.sh, ProposalKind.set_voting_period, 86400)[0]),
        id="vote",
    ),
    pytest.param(
        lambda w, a: w.list(a.sd.key, a.provider.key, "SD", record(a.provider), CATALOGUE),
        id="list a product",
    ),
    pytest.param(_grant_via_sd, id="grant a licence"),
    pytest.param(
        lambda w, a: w.send(w.consortium.functions.addOperator(a.spare[0].address), a.sd.key),
        id="add an operator",
    ),
    pytest.param(
        lambda w, a: w.register_participant(a.sd.key, a.spare[0].address, 1),
        id="register a participant",
    ),
]


@pytest.mark.parametrize("action", SD_ACTIONS)
def test_a_removed_exchanges_operator_may_no_longer(
    sd_removed: ConsortiumClient, actors: Actors, action: Callable[[ConsortiumClient, Actors], Any]
) -> None:
    with reverts("ConsortiumExchangeNotActive", code=SD):
        action(sd_removed, actors)


def test_the_last_member_cannot_be_removed(sd_removed: ConsortiumClient, actors: Actors) -> None:
    remove_zj, zj_data, _ = propose(sd_removed, actors.sh, ProposalKind.remove_exchange, ZJ)
    remove_sh, sh_data, _ = propose(sd_removed, actors.zj, ProposalKind.remove_exchange, SH)
    vote(sd_removed, actors.zj, remove_zj)
    vote(sd_removed, actors.sh, remove_sh)
    execute(sd_removed, actors.outsider, remove_zj, zj_data)
    assert sd_removed.consortium.functions.parameters().call()[1] == 1
    with reverts("ConsortiumLastMember", code=SH):
        execute(sd_removed, actors.outsider, remove_sh, sh_data)
    with reverts("ConsortiumLastMember", code=SH):
        propose(sd_removed, actors.sh, ProposalKind.remove_exchange, SH)


def test_a_passed_proposal_is_checked_again_when_executed(
    world: ConsortiumClient, actors: Actors
) -> None:
    first, first_data, _ = propose(
        world,
        actors.sh,
        ProposalKind.admit_exchange,
        GD,
        GD_NAME,
        GD_PROVINCE,
        actors.spare[0].address,
    )
    second, second_data, _ = propose(
        world,
        actors.zj,
        ProposalKind.admit_exchange,
        GD,
        "广东",
        GD_PROVINCE,
        actors.spare[1].address,
    )
    vote(world, actors.zj, first)
    vote(world, actors.sh, second)
    execute(world, actors.outsider, first, first_data)
    with reverts("ConsortiumExchangeExists", code=GD):
        execute(world, actors.outsider, second, second_data)
    assert not proposal(world, second)["executed"]
