"""Membership: the founding state, operators and participants, for every role that may call.

Exchanges, regulators and parameters change only by the members' votes (test_governance.py);
here each exchange's operators manage their own colleagues and register participants, whom
the whole network recognises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import event_abi_to_log_topic, keccak
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from onelist.build.compiler import Artifact
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import send_transaction
from onelist.chain.deployment import Deployment
from onelist.chain.founding import Founding, constructor_args
from onelist.codes import (
    ExchangeStatus,
    ListingStatus,
    ParticipantRole,
    ProposalKind,
    SuspensionScope,
    exchange_code,
)

from .conftest import CATALOGUE, Actor, Actors, listed, record, reverts, terms_for

SH, ZJ, SD = (exchange_code(c) for c in ("SH", "ZJ", "SD"))
NO_CODE = b"\0" * 8
ZERO = "0x" + "00" * 20
#: Events of the constructor: 3 x (ExchangeAdmitted, OperatorAdded), RegulatorAdded,
#: FeeScheduleSet, VotingPeriodSet; then the session fixture registers three participants.
FOUNDING_EVENTS = 9
START_EVENTS = FOUNDING_EVENTS + 3
PROVIDER, LICENSEE = int(ParticipantRole.provider), int(ParticipantRole.licensee)
BOTH = PROVIDER | LICENSEE


def who(actors: Actors, name: str) -> Actor:
    """An actor by role name; ``spare`` is a fresh account that holds no role."""
    return actors.spare[0] if name == "spare" else getattr(actors, name)


def address(actors: Actors, name: str) -> str:
    return ZERO if name == "zero" else who(actors, name).address


def event_count(client: ConsortiumClient) -> int:
    return int(client.consortium.functions.parameters().call()[2])


def emitted(client: ConsortiumClient, receipt: TxReceipt, name: str) -> dict[str, Any]:
    """The arguments of the one ``name`` event the Consortium emitted in ``receipt``."""
    event = getattr(client.consortium.events, name)()
    (log,) = event.process_receipt(receipt, errors=DISCARD)
    return dict(log["args"])


def consortium_events(client: ConsortiumClient, receipt: TxReceipt) -> list[tuple[str, dict]]:
    """Every Consortium event in ``receipt``, in log order, as (name, arguments)."""
    contract = client.consortium
    names = {event_abi_to_log_topic(e): e["name"] for e in contract.abi if e["type"] == "event"}
    out = []
    for log in receipt["logs"]:
        if log["address"] == contract.address:
            name = names[bytes(log["topics"][0])]
            out.append((name, dict(contract.events[name]().process_log(log)["args"])))
    return out


def add_operator(client: ConsortiumClient, by: Actor, account: str) -> TxReceipt:
    return client.send(client.consortium.functions.addOperator(account), by.key)


def remove_operator(client: ConsortiumClient, by: Actor, account: str) -> TxReceipt:
    return client.send(client.consortium.functions.removeOperator(account), by.key)


def register(client: ConsortiumClient, by: Actor, account: str, roles: int = PROVIDER) -> TxReceipt:
    return client.register_participant(by.key, account, roles, identity=f"USCC of {account}")


# ----------------------------------------------------------------- founding state

FOUNDERS = [
    pytest.param("SH", 0, 310000, "上海数据交易所", "sh", id="SH is index 0 in Shanghai 310000"),
    pytest.param(
        "ZJ", 1, 330000, "浙江大数据交易中心", "zj", id="ZJ is index 1 in Zhejiang 330000"
    ),
    pytest.param(
        "SD", 2, 370000, "山东数据交易有限公司", "sd", id="SD is index 2 in Shandong 370000"
    ),
]


@pytest.mark.parametrize("code, index, province, name, operator", FOUNDERS)
def test_each_founding_exchange_is_an_active_member_with_its_one_operator(
    registered: ConsortiumClient,
    founding: Founding,
    actors: Actors,
    code: str,
    index: int,
    province: int,
    name: str,
    operator: str,
) -> None:
    c = registered.consortium.functions
    account = who(actors, operator).address
    assert founding.exchange(code).operator == account
    assert founding.exchange(code).name == name
    assert c.exchangeCodeAt(index).call() == exchange_code(code)
    assert tuple(c.exchange(exchange_code(code)).call()) == (
        index,
        ExchangeStatus.active,
        province,
        1,
    )
    assert tuple(c.operatorExchange(account).call()) == (exchange_code(code), index)


def test_the_founding_regulator_fees_and_voting_period_are_those_of_the_toml(
    registered: ConsortiumClient, founding: Founding, actors: Actors
) -> None:
    c = registered.consortium.functions
    assert c.exchangeCount().call() == 3
    assert [r.account for r in founding.regulators] == [actors.regulator.address]
    assert tuple(c.regulator(actors.regulator.address).call()) == (True, 0)
    assert tuple(c.feeSchedule().call()) == (300, 200, 100)
    assert tuple(c.parameters().call()) == (259200, 3, START_EVENTS)
    assert c.proposalCount().call() == 0


def test_the_constructor_emits_the_founding_events_numbered_from_one(
    w3: Web3, registered: ConsortiumClient, deployment: Deployment, actors: Actors
) -> None:
    receipt = w3.eth.get_transaction_receipt(deployment.contracts["Consortium"].transaction)
    events = consortium_events(registered, receipt)
    founders = [
        (SH, 0, 310000, "上海数据交易所", actors.sh),
        (ZJ, 1, 330000, "浙江大数据交易中心", actors.zj),
        (SD, 2, 370000, "山东数据交易有限公司", actors.sd),
    ]
    expected: list[tuple[str, dict]] = []
    for code, index, province, name, operator in founders:
        admitted = {"code": code, "index": index, "province": province, "name": name}
        admitted |= {"firstOperator": operator.address, "proposalId": 0}
        expected.append(("ExchangeAdmitted", admitted))
        expected.append(
            ("OperatorAdded", {"exchange": code, "operator": operator.address, "actor": ZERO})
        )
    expected += [
        (
            "RegulatorAdded",
            {"regulator": actors.regulator.address, "province": 0, "name": "国家数据局"}
            | {"proposalId": 0},
        ),
        (
            "FeeScheduleSet",
            {"homeBps": 300, "grantingBps": 200, "consortiumBps": 100, "proposalId": 0},
        ),
        ("VotingPeriodSet", {"votingPeriod": 259200, "proposalId": 0}),
    ]
    for seq, ((name, args), (want_name, want)) in enumerate(
        zip(events, expected, strict=True), start=1
    ):
        assert name == want_name
        assert args == want | {"seq": seq}


FOUNDING_ERRORS = [
    pytest.param(
        lambda f: replace(f, exchanges=()),
        "ConsortiumFoundingMismatch",
        {},
        id="a consortium needs at least one founding exchange",
    ),
    pytest.param(
        lambda f: replace(f, exchanges=(*f.exchanges, f.exchanges[0])),
        "ConsortiumExchangeExists",
        {"code": SH},
        id="no two founding exchanges share a code",
    ),
    pytest.param(
        lambda f: replace(f, exchanges=(replace(f.exchanges[0], province=310100),)),
        "ConsortiumInvalidExchange",
        {"code": SH, "province": 310100},
        id="a founding exchange is in a province, not a city",
    ),
    pytest.param(
        lambda f: replace(
            f, regulators=(replace(f.regulators[0], account=f.exchanges[1].operator),)
        ),
        "ConsortiumAccountInUse",
        {},
        id="a founding operator may not also be the regulator",
    ),
    pytest.param(
        lambda f: replace(f, home_bps=9000, granting_bps=900, consortium_bps=101),
        "ConsortiumInvalidFeeSchedule",
        {"homeBps": 9000, "grantingBps": 900, "consortiumBps": 101},
        id="the fees add up to at most 10000 basis points",
    ),
    pytest.param(
        lambda f: replace(f, voting_period=0),
        "ConsortiumInvalidVotingPeriod",
        {"votingPeriod": 0},
        id="the voting period is at least a minute",
    ),
]


@pytest.mark.parametrize("change, error, args", FOUNDING_ERRORS)
def test_the_constructor_refuses_an_inconsistent_founding(
    world: ConsortiumClient,
    founding: Founding,
    actors: Actors,
    artifacts: dict[str, Artifact],
    change: Callable[[Founding], Founding],
    error: str,
    args: dict[str, Any],
) -> None:
    artifact = artifacts["Consortium"]
    factory = world.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    registries = (actors.outsider.address, actors.outsider.address)
    with reverts(error, **args):
        send_transaction(
            world.w3,
            factory.constructor(*constructor_args(change(founding), *registries)),
            actors.deployer.key,
        )


# ----------------------------------------------------------------- who may call at all

CALLS: dict[str, Callable[[ConsortiumClient, Actors], Any]] = {
    "add an operator": lambda w, a: w.consortium.functions.addOperator(a.spare[0].address),
    "remove an operator": lambda w, a: w.consortium.functions.removeOperator(a.sh.address),
    "register a participant": lambda w, a: w.consortium.functions.registerParticipant(
        a.spare[0].address, PROVIDER, keccak(text="identity")
    ),
}
NON_OPERATORS = {
    "the national regulator": "regulator",
    "a provider": "provider",
    "a licensee": "licensee",
    "an outsider": "outsider",
}


@pytest.mark.parametrize(
    "call, caller",
    [
        pytest.param(call, caller, id=f"{text} may not {call}")
        for call in CALLS
        for text, caller in NON_OPERATORS.items()
    ],
)
def test_only_an_operator_may_manage_operators_and_participants(
    world: ConsortiumClient, actors: Actors, call: str, caller: str
) -> None:
    account = who(actors, caller).address
    with reverts("ConsortiumNotOperator", account=account):
        world.send(CALLS[call](world, actors), who(actors, caller).key)


# ----------------------------------------------------------------- addOperator


@pytest.mark.parametrize(
    "by, code, index",
    [
        pytest.param("sh", SH, 0, id="the SH operator adds a colleague who then registers for SH"),
        pytest.param("zj", ZJ, 1, id="the ZJ operator adds a colleague who then registers for ZJ"),
        pytest.param("sd", SD, 2, id="the SD operator adds a colleague who then registers for SD"),
    ],
)
def test_an_operator_adds_a_colleague_who_then_acts_for_the_same_exchange(
    world: ConsortiumClient, actors: Actors, by: str, code: bytes, index: int
) -> None:
    c = world.consortium.functions
    new, participant = actors.spare[0], actors.spare[1]
    receipt = add_operator(world, who(actors, by), new.address)
    assert emitted(world, receipt, "OperatorAdded") == {
        "exchange": code,
        "operator": new.address,
        "actor": who(actors, by).address,
        "seq": START_EVENTS + 1,
    }
    assert tuple(c.operatorExchange(new.address).call()) == (code, index)
    assert c.exchange(code).call()[3] == 2

    receipt = register(world, new, participant.address, LICENSEE)
    assert emitted(world, receipt, "ParticipantRegistered")["actor"] == new.address
    assert tuple(c.participant(participant.address).call()) == (code, LICENSEE)


IN_USE = [
    pytest.param("sh", "ConsortiumAccountInUse", {}, id="its own exchange's operator"),
    pytest.param("zj", "ConsortiumAccountInUse", {}, id="another exchange's operator"),
    pytest.param("regulator", "ConsortiumAccountInUse", {}, id="the national regulator"),
    pytest.param(
        "provider", "ConsortiumParticipantExists", {"registeredBy": SH}, id="SH's provider"
    ),
    pytest.param(
        "provider2", "ConsortiumParticipantExists", {"registeredBy": ZJ}, id="ZJ's provider"
    ),
    pytest.param(
        "licensee", "ConsortiumParticipantExists", {"registeredBy": SD}, id="SD's licensee"
    ),
    pytest.param("zero", "ConsortiumZeroAddress", None, id="the zero address"),  # no arguments
]
BECOME = {
    "an operator": lambda w, account: w.consortium.functions.addOperator(account),
    "a participant": lambda w, account: w.consortium.functions.registerParticipant(
        account, BOTH, bytes(32)
    ),
}


@pytest.mark.parametrize(
    "role, target, error, args",
    [
        pytest.param(role, *case.values, id=f"{case.id} cannot become {role}")
        for role in BECOME
        for case in IN_USE
    ],
)
def test_an_account_that_holds_a_role_cannot_become_an_operator_or_a_participant(
    world: ConsortiumClient,
    actors: Actors,
    role: str,
    target: str,
    error: str,
    args: dict[str, Any] | None,
) -> None:
    account = address(actors, target)
    expected = {} if args is None else {"account": account, **args}
    with reverts(error, **expected):
        world.send(BECOME[role](world, account), actors.sh.key)


# ----------------------------------------------------------------- removeOperator


@pytest.mark.parametrize(
    "remover, removed",
    [
        pytest.param("sh", "spare", id="the founding operator removes the colleague it added"),
        pytest.param("spare", "sh", id="the added operator removes the founding one"),
        pytest.param("spare", "spare", id="an operator removes itself while another remains"),
    ],
)
def test_a_removed_operator_loses_every_right_and_the_other_keeps_them(
    world: ConsortiumClient, actors: Actors, remover: str, removed: str
) -> None:
    c = world.consortium.functions
    add_operator(world, actors.sh, actors.spare[0].address)
    gone, kept = who(actors, removed), who(actors, "sh" if removed == "spare" else "spare")

    receipt = remove_operator(world, who(actors, remover), gone.address)
    assert emitted(world, receipt, "OperatorRemoved") == {
        "exchange": SH,
        "operator": gone.address,
        "actor": who(actors, remover).address,
        "seq": START_EVENTS + 2,
    }
    assert tuple(c.operatorExchange(gone.address).call()) == (NO_CODE, 0)
    assert c.exchange(SH).call()[3] == 1
    with reverts("ConsortiumNotOperator", account=gone.address):
        register(world, gone, actors.spare[1].address)
    with reverts("ConsortiumNotOperator", account=gone.address):
        add_operator(world, gone, actors.spare[1].address)
    with reverts("ConsortiumNotOperator", account=gone.address):
        world.list(gone.key, actors.provider.key, "SH", record(actors.provider), CATALOGUE)
    register(world, kept, actors.spare[1].address)


@pytest.mark.parametrize(
    "by, target, exchange",
    [
        pytest.param("zj", "sh", ZJ, id="the ZJ operator may not remove an operator of SH"),
        pytest.param("sh", "zj", SH, id="the SH operator may not remove an operator of ZJ"),
        pytest.param("sh", "regulator", SH, id="the regulator is no operator to remove"),
        pytest.param("sh", "provider", SH, id="a provider is no operator to remove"),
        pytest.param("sh", "outsider", SH, id="an outsider is no operator to remove"),
    ],
)
def test_an_operator_removes_only_operators_of_its_own_exchange(
    world: ConsortiumClient, actors: Actors, by: str, target: str, exchange: bytes
) -> None:
    account = who(actors, target).address
    with reverts("ConsortiumNotOperatorOf", account=account, exchange=exchange):
        remove_operator(world, who(actors, by), account)


def test_the_only_operator_of_an_exchange_cannot_be_removed(
    world: ConsortiumClient, actors: Actors
) -> None:
    with reverts("ConsortiumLastOperator", exchange=SH, operator=actors.sh.address):
        remove_operator(world, actors.sh, actors.sh.address)


def test_the_last_operator_left_after_a_removal_cannot_be_removed(
    world: ConsortiumClient, actors: Actors
) -> None:
    add_operator(world, actors.sh, actors.spare[0].address)
    remove_operator(world, actors.spare[0], actors.sh.address)
    with reverts("ConsortiumLastOperator", exchange=SH, operator=actors.spare[0].address):
        remove_operator(world, actors.spare[0], actors.spare[0].address)


# ----------------------------------------------------------------- registerParticipant


@pytest.mark.parametrize(
    "by, code, roles",
    [
        pytest.param("sh", SH, PROVIDER, id="SH registers a provider"),
        pytest.param("zj", ZJ, LICENSEE, id="ZJ registers a licensee"),
        pytest.param("sd", SD, BOTH, id="SD registers a participant that is both"),
    ],
)
def test_an_operator_registers_a_participant_for_its_exchange(
    world: ConsortiumClient, actors: Actors, by: str, code: bytes, roles: int
) -> None:
    account = actors.spare[0].address
    receipt = register(world, who(actors, by), account, roles)
    assert emitted(world, receipt, "ParticipantRegistered") == {
        "participant": account,
        "exchange": code,
        "actor": who(actors, by).address,
        "roles": roles,
        "identityHash": keccak(text=f"USCC of {account}"),
        "seq": START_EVENTS + 1,
    }
    assert tuple(world.consortium.functions.participant(account).call()) == (code, roles)


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param(0, id="no role at all"),
        pytest.param(4, id="an undefined role bit"),
        pytest.param(7, id="both roles plus an undefined bit"),
        pytest.param(255, id="every bit"),
    ],
)
def test_a_participant_needs_the_provider_or_licensee_role_and_nothing_else(
    world: ConsortiumClient, actors: Actors, roles: int
) -> None:
    with reverts("ConsortiumInvalidRoles", roles=roles):
        register(world, actors.sh, actors.spare[0].address, roles)


@pytest.mark.parametrize(
    "participant, by, registered_by",
    [
        pytest.param("provider", "sh", SH, id="SH may not register its own provider twice"),
        pytest.param("provider", "zj", SH, id="ZJ may not register a provider SH registered"),
        pytest.param("licensee", "sh", SD, id="SH may not register a licensee SD registered"),
    ],
)
def test_a_participant_is_registered_once_for_the_whole_network(
    world: ConsortiumClient, actors: Actors, participant: str, by: str, registered_by: bytes
) -> None:
    account = who(actors, participant).address
    with reverts("ConsortiumParticipantExists", account=account, registeredBy=registered_by):
        register(world, who(actors, by), account, BOTH)


@pytest.mark.parametrize(
    "home, index",
    [
        pytest.param("SH", 0, id="a provider registered at ZJ lists at SH"),
        pytest.param("SD", 2, id="a provider registered at ZJ lists at SD"),
    ],
)
def test_a_registration_is_recognised_by_every_exchange(
    world: ConsortiumClient, actors: Actors, home: str, index: int
) -> None:
    listing_id, rec = listed(world, actors, home=home, provider=actors.provider2)
    status, home_index, *_ = world.listings.functions.listingState(listing_id).call()
    assert (status, home_index) == (ListingStatus.listed, index)
    # ... and the licensee registered at SD is licensed through ZJ
    licence_id, _ = world.grant(
        actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec
    )
    assert world.licences.functions.inForce(licence_id).call()


@pytest.mark.parametrize(
    "account",
    [
        pytest.param("licensee", id="a licensee is not a provider whose product may be listed"),
        pytest.param("outsider", id="an unregistered account's product may not be listed"),
    ],
)
def test_only_a_registered_provider_has_products_listed(
    world: ConsortiumClient, actors: Actors, account: str
) -> None:
    with reverts("ConsortiumNotParticipant", account=who(actors, account).address, role=PROVIDER):
        listed(world, actors, provider=who(actors, account))


def test_only_a_registered_licensee_is_granted_a_licence(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors) | {"licensee": actors.provider2.address}
    with reverts("ConsortiumNotParticipant", account=actors.provider2.address, role=LICENSEE):
        world.grant(actors.zj.key, actors.provider2.key, terms, rec)


# ----------------------------------------------------------------- the event sequence


def test_every_consortium_event_carries_the_next_contract_wide_seq(
    world: ConsortiumClient, actors: Actors
) -> None:
    """Operators, participants, proposals and suspensions share one sequence; the registries'
    own events (a listing, a grant) do not take numbers from it."""
    c = world.consortium.functions
    new, participant = actors.spare[0], actors.spare[1]
    receipts = [
        add_operator(world, actors.zj, new.address),
        register(world, new, participant.address, LICENSEE),
    ]
    listing_id, rec = listed(world, actors)
    world.grant(actors.zj.key, actors.licensee.key, terms_for(world, listing_id, rec, actors), rec)
    kind, data = int(ProposalKind.set_voting_period), encode(["uint64"], [86400])
    receipts += [
        remove_operator(world, actors.zj, new.address),
        world.propose(actors.sd.key, kind, data)[1],
        world.send(c.vote(1, False), actors.sh.key),
        world.send(
            c.suspend(SuspensionScope.exchange_granting, SD + bytes(24), 1, keccak(text="DSL"), 0),
            actors.regulator.key,
        ),
    ]
    seqs = [args["seq"] for r in receipts for _, args in consortium_events(world, r)]
    assert len(seqs) == 7  # propose emits ProposalCreated and the proposer's VoteCast
    assert seqs == list(range(START_EVENTS + 1, START_EVENTS + 1 + len(seqs)))
    assert event_count(world) == seqs[-1]


# ----------------------------------------------------------------- grantParticipantRoles

SUSPENSION_BASIS = keccak(text="数据安全法 第四十五条")


def add_roles(client: ConsortiumClient, by: Actor, account: str, roles: int) -> TxReceipt:
    return client.grant_participant_roles(by.key, account, roles)


def provider_subject(account: str) -> bytes:
    return bytes(12) + bytes.fromhex(account[2:])


@pytest.mark.parametrize(
    "participant, by, code, roles, added, held",
    [
        pytest.param(
            "licensee", "sd", SD, PROVIDER, PROVIDER, BOTH, id="SD makes its licensee a provider"
        ),
        pytest.param(
            "provider", "sh", SH, LICENSEE, LICENSEE, BOTH, id="SH makes its provider a licensee"
        ),
        pytest.param(
            "provider",
            "sh",
            SH,
            BOTH,
            LICENSEE,
            BOTH,
            id="naming a held role again adds only the new one",
        ),
    ],
)
def test_the_registering_exchange_adds_roles_to_its_participant(
    world: ConsortiumClient,
    actors: Actors,
    participant: str,
    by: str,
    code: bytes,
    roles: int,
    added: int,
    held: int,
) -> None:
    account = who(actors, participant).address
    receipt = add_roles(world, who(actors, by), account, roles)
    assert consortium_events(world, receipt) == [
        (
            "ParticipantRolesAdded",
            {
                "participant": account,
                "exchange": code,
                "actor": who(actors, by).address,
                "added": added,
                "roles": held,
                "seq": START_EVENTS + 1,
            },
        )
    ]
    assert tuple(world.consortium.functions.participant(account).call()) == (code, held)
    assert event_count(world) == START_EVENTS + 1


def test_a_licensee_made_a_provider_has_its_product_listed_and_is_still_licensed(
    world: ConsortiumClient, actors: Actors
) -> None:
    with reverts("ConsortiumNotParticipant", account=actors.licensee.address, role=PROVIDER):
        listed(world, actors, provider=actors.licensee)
    add_roles(world, actors.sd, actors.licensee.address, PROVIDER)
    listing_id, _ = listed(world, actors, seed="own", provider=actors.licensee)
    assert world.listings.functions.listingState(listing_id).call()[0] == ListingStatus.listed
    other, other_rec = listed(world, actors)
    licence_id, _ = world.grant(
        actors.zj.key, actors.licensee.key, terms_for(world, other, other_rec, actors), other_rec
    )
    assert world.licences.functions.inForce(licence_id).call()


def test_a_provider_made_a_licensee_is_granted_a_licence(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors) | {"licensee": actors.provider2.address}
    add_roles(world, actors.zj, actors.provider2.address, LICENSEE)
    licence_id, _ = world.grant(actors.zj.key, actors.provider2.key, terms, rec)
    assert world.licences.functions.inForce(licence_id).call()


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param(0, id="no role at all"),
        pytest.param(4, id="an undefined role bit"),
        pytest.param(7, id="a role plus an undefined bit"),
        pytest.param(255, id="every bit"),
    ],
)
def test_roles_added_are_the_provider_or_licensee_role_and_nothing_else(
    world: ConsortiumClient, actors: Actors, roles: int
) -> None:
    with reverts("ConsortiumInvalidRoles", roles=roles):
        add_roles(world, actors.sd, actors.licensee.address, roles)


@pytest.mark.parametrize(
    "account",
    [
        pytest.param("spare", id="an account never registered"),
        pytest.param("zj", id="an operator, which is no participant"),
    ],
)
def test_roles_are_added_only_to_a_registered_participant(
    world: ConsortiumClient, actors: Actors, account: str
) -> None:
    target = who(actors, account).address
    with reverts("ConsortiumParticipantNotRegistered", account=target):
        add_roles(world, actors.sh, target, LICENSEE)


@pytest.mark.parametrize(
    "participant, by, registered_by, exchange",
    [
        pytest.param("provider", "zj", SH, ZJ, id="ZJ may not add roles to SH's provider"),
        pytest.param("licensee", "sh", SD, SH, id="SH may not add roles to SD's licensee"),
    ],
)
def test_only_the_registering_exchange_adds_roles(
    world: ConsortiumClient,
    actors: Actors,
    participant: str,
    by: str,
    registered_by: bytes,
    exchange: bytes,
) -> None:
    account = who(actors, participant).address
    with reverts(
        "ConsortiumNotRegisteringExchange",
        account=account,
        registeredBy=registered_by,
        exchange=exchange,
    ):
        add_roles(world, who(actors, by), account, BOTH)


@pytest.mark.parametrize(
    "participant, by, roles, held",
    [
        pytest.param("provider", "sh", PROVIDER, PROVIDER, id="a provider made a provider again"),
        pytest.param("licensee", "sd", LICENSEE, LICENSEE, id="a licensee made a licensee again"),
    ],
)
def test_adding_only_roles_already_held_is_refused(
    world: ConsortiumClient, actors: Actors, participant: str, by: str, roles: int, held: int
) -> None:
    account = who(actors, participant).address
    with reverts("ConsortiumRolesAlreadyHeld", account=account, roles=roles, held=held):
        add_roles(world, who(actors, by), account, roles)


def test_a_participant_with_both_roles_has_nothing_to_add(
    world: ConsortiumClient, actors: Actors
) -> None:
    add_roles(world, actors.sh, actors.provider.address, LICENSEE)
    with reverts("ConsortiumRolesAlreadyHeld", roles=BOTH, held=BOTH):
        add_roles(world, actors.sh, actors.provider.address, BOTH)


def test_only_an_operator_adds_roles(world: ConsortiumClient, actors: Actors) -> None:
    with reverts("ConsortiumNotOperator", account=actors.provider.address):
        add_roles(world, actors.provider, actors.provider.address, LICENSEE)


def test_a_suspended_provider_is_given_no_role_until_reinstated(
    world: ConsortiumClient, actors: Actors
) -> None:
    c = world.consortium.functions
    account = actors.provider.address
    subject = provider_subject(account)
    until = world.now() + 86400
    scope = int(SuspensionScope.provider)
    world.send(c.suspend(scope, subject, 1, SUSPENSION_BASIS, until), actors.regulator.key)
    with reverts("OversightSuspended", scope=scope, subject=subject, until=until):
        add_roles(world, actors.sh, account, LICENSEE)
    world.send(c.reinstate(scope, subject, 10, SUSPENSION_BASIS), actors.regulator.key)
    add_roles(world, actors.sh, account, LICENSEE)
    assert tuple(c.participant(account).call()) == (SH, BOTH)


def test_a_participant_of_a_removed_exchange_keeps_its_roles_and_gains_none(
    world: ConsortiumClient, actors: Actors
) -> None:
    c = world.consortium.functions
    data = encode(["bytes8"], [SD])
    proposal, _ = world.propose(actors.sh.key, int(ProposalKind.remove_exchange), data)
    world.send(c.vote(proposal, True), actors.zj.key)
    world.send(c.execute(proposal, data), actors.outsider.key)
    account = actors.licensee.address
    with reverts("ConsortiumExchangeNotActive", code=SD):
        add_roles(world, actors.sd, account, PROVIDER)
    with reverts("ConsortiumNotRegisteringExchange", registeredBy=SD, exchange=SH):
        add_roles(world, actors.sh, account, PROVIDER)
    assert tuple(c.participant(account).call()) == (SD, LICENSEE)
