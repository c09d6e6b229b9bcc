"""ListingRegistry on the real contracts: who may do what, the on-chain listing rules, duplicate
datasets, replayed signatures, the events a node mirrors and their per-listing sequence numbers.

Every refusal names the exact custom error and its key arguments.
"""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD
from web3.types import TxReceipt

from onelist import eip712
from onelist.catalogue import decode_catalogue, encode_catalogue
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import increase_time
from onelist.chain.samples import sample_catalogue
from onelist.codes import ListingStatus, ProposalKind, SuspensionScope, exchange_code
from onelist.records import RECORD_ABI, record_from_tuple, record_hash, record_tuple, terms_tuple

from .conftest import CATALOGUE, Actor, Actors, listed, record, reverts, terms_for

ZERO = b"\0" * 32
EVIDENCE = keccak(text="evidence")
INDEX = {"SH": 0, "ZJ": 1, "SD": 2}


# ----------------------------------------------------------------- helpers


def state(client: ConsortiumClient, listing_id: bytes) -> dict[str, Any]:
    status, home, seq, suspended, truncated = client.listings.functions.listingState(
        listing_id
    ).call()
    return {
        "status": status,
        "homeIndex": home,
        "seq": seq,
        "suspendedUntil": suspended,
        "recordHash": truncated,
    }


def args_of(client: ConsortiumClient, receipt: TxReceipt, event: str) -> dict[str, Any]:
    """The one ``event`` of the ListingRegistry in ``receipt``, decoded by web3."""
    (log,) = events_named(client, receipt, event)
    return dict(log["args"])


def events_named(client: ConsortiumClient, receipt: TxReceipt, event: str) -> list[Any]:
    return list(getattr(client.listings.events, event)().process_receipt(receipt, errors=DISCARD))


def raw_listing_event(receipt: TxReceipt, event: str) -> tuple[str, dict[str, Any], bytes, int]:
    """(actor, record, catalogue, seq) of a Listed or VersionPublished log, decoded with eth-abi
    from the event's canonical signature, as a node's decoder reads it."""
    signature = f"{event}(bytes32,address,bytes8,address,{RECORD_ABI},bytes,uint64)"
    topic = keccak(text=signature)
    (log,) = [entry for entry in receipt["logs"] if bytes(entry["topics"][0]) == topic]
    actor, rec, catalogue, seq = decode(["address", RECORD_ABI, "bytes", "uint64"], log["data"])
    return to_checksum_address(actor), record_from_tuple(rec), catalogue, seq


def publish(
    client: ConsortiumClient,
    actors: Actors,
    listing_id: bytes,
    current: dict[str, Any],
    nxt: dict[str, Any],
    caller: str = "sh",
    signer: Actor | None = None,
    home: str = "SH",
    catalogue: bytes = CATALOGUE,
    deadline: int | None = None,
) -> TxReceipt:
    signer = signer or actors.provider
    return client.publish_version(
        getattr(actors, caller).key,
        signer.key,
        home,
        listing_id,
        current,
        nxt,
        catalogue,
        deadline,
    )


def delist(
    client: ConsortiumClient,
    caller: Actor,
    listing_id: bytes,
    current: dict[str, Any],
    reason: int = 7,
) -> TxReceipt:
    fn = client.listings.functions.delist(listing_id, record_tuple(current), reason, EVIDENCE)
    return client.send(fn, caller.key)


def withdraw(
    client: ConsortiumClient, caller: Actor, listing_id: bytes, current: dict[str, Any]
) -> TxReceipt:
    fn = client.listings.functions.withdrawConsent(listing_id, record_tuple(current), EVIDENCE)
    return client.send(fn, caller.key)


def grant(
    client: ConsortiumClient, actors: Actors, listing_id: bytes, rec: dict[str, Any], **terms: Any
) -> TxReceipt:
    _, receipt = client.grant(
        actors.zj.key,
        actors.licensee.key,
        terms_for(client, listing_id, rec, actors, **terms),
        rec,
    )
    return receipt


def version(rec: dict[str, Any], number: int, seed: str = "a", **fields: Any) -> dict[str, Any]:
    """The record's next version: a new dataset (fingerprint) and manifest unless given."""
    nxt = record(rec["provider"], seed, number)
    nxt["policy"] = {**rec["policy"], **fields.pop("policy", {})}
    nxt.update(fields)
    return nxt


# ----------------------------------------------------------------- list: who may


LIST_CALLERS = [
    pytest.param("sh", "SH", None, id="an operator of SH lists the provider's product at SH"),
    pytest.param(
        "zj",
        "ZJ",
        None,
        id="an operator of ZJ lists a product of a provider registered at SH, at ZJ",
    ),
    pytest.param(
        "zj",
        "SH",
        "ListingRegistryInvalidSignature",
        id="an operator of ZJ cannot use the provider's signature given for SH",
    ),
    pytest.param("provider", "SH", "ConsortiumNotOperator", id="the provider cannot list itself"),
    pytest.param("provider2", "SH", "ConsortiumNotOperator", id="another provider cannot list it"),
    pytest.param("regulator", "SH", "ConsortiumNotOperator", id="the regulator never lists"),
    pytest.param("licensee", "SH", "ConsortiumNotOperator", id="a licensee cannot list"),
    pytest.param("outsider", "SH", "ConsortiumNotOperator", id="an outsider cannot list"),
]


@pytest.mark.parametrize(("caller", "signed_for", "error"), LIST_CALLERS)
def test_list_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, signed_for: str, error: str | None
) -> None:
    rec = record(actors.provider)
    who = getattr(actors, caller)
    if error is None:
        listing_id, receipt = world.list(who.key, actors.provider.key, signed_for, rec, CATALOGUE)
        event = args_of(world, receipt, "Listed")
        assert event["homeExchange"] == exchange_code(signed_for)
        assert event["actor"] == who.address
        assert state(world, listing_id)["homeIndex"] == INDEX[signed_for]
        return
    expected = (
        {"account": who.address}
        if error == "ConsortiumNotOperator"
        else {"listingId": rec["fingerprint"], "provider": actors.provider.address}
    )
    with reverts(error, **expected):
        world.list(who.key, actors.provider.key, signed_for, rec, CATALOGUE)


LIST_PROVIDERS = [
    pytest.param("provider2", None, id="a provider registered at ZJ may be listed at SH"),
    pytest.param("outsider", 1, id="an unregistered account is not a provider"),
    pytest.param("licensee", 1, id="a licensee-only account is not a provider"),
    pytest.param("regulator", 1, id="the regulator is not a provider"),
    pytest.param("sd", 1, id="an operator is not a provider"),
]


@pytest.mark.parametrize(("provider", "role"), LIST_PROVIDERS)
def test_list_requires_a_registered_provider(
    world: ConsortiumClient, actors: Actors, provider: str, role: int | None
) -> None:
    who = getattr(actors, provider)
    rec = record(who)
    if role is None:
        listing_id, receipt = world.list(actors.sh.key, who.key, "SH", rec, CATALOGUE)
        assert args_of(world, receipt, "Listed")["provider"] == who.address
        assert state(world, listing_id)["status"] == ListingStatus.listed
        return
    with reverts("ConsortiumNotParticipant", account=who.address, role=role):
        world.list(actors.sh.key, who.key, "SH", rec, CATALOGUE)


def test_a_suspended_provider_is_not_listed(world: ConsortiumClient, actors: Actors) -> None:
    subject = bytes(12) + bytes.fromhex(actors.provider.address[2:])
    fn = world.consortium.functions.suspend(int(SuspensionScope.provider), subject, 1, EVIDENCE, 0)
    world.send(fn, actors.regulator.key)
    with reverts("OversightSuspended", scope=int(SuspensionScope.provider), subject=subject):
        listed(world, actors)


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(0, id="version 0 is refused"),
        pytest.param(2, id="version 2 is refused: a listing starts at version 1"),
    ],
)
def test_list_requires_version_one(world: ConsortiumClient, actors: Actors, number: int) -> None:
    rec = record(actors.provider, version=number)
    with reverts(
        "ListingRegistryWrongVersion", listingId=rec["fingerprint"], expected=1, given=number
    ):
        world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE)


def _sign(
    client: ConsortiumClient, key: str, rec: dict[str, Any], catalogue: bytes, deadline: int
) -> bytes:
    return client.sign_listing(key, rec["fingerprint"], "SH", rec, catalogue, deadline)


TAMPERING = [
    pytest.param("signer", id="a signature by another provider is refused"),
    pytest.param("catalogue", id="a catalogue changed after signing is refused"),
    pytest.param("manifestHash", id="a manifest hash changed after signing is refused"),
    pytest.param("policy", id="a price floor lowered after signing is refused"),
    pytest.param("deadline", id="a deadline moved after signing is refused"),
    pytest.param("empty", id="an empty signature is refused"),
]


@pytest.mark.parametrize("change", TAMPERING)
def test_list_requires_the_providers_signature_over_exactly_what_is_listed(
    world: ConsortiumClient, actors: Actors, change: str
) -> None:
    rec = record(actors.provider)
    deadline = world.deadline()
    signature = _sign(world, actors.provider.key, rec, CATALOGUE, deadline)
    sent, catalogue = dict(rec), CATALOGUE
    if change == "signer":
        signature = _sign(world, actors.provider2.key, rec, CATALOGUE, deadline)
    elif change == "catalogue":
        catalogue = encode_catalogue(sample_catalogue(title="另一个标题"))
    elif change == "manifestHash":
        sent["manifestHash"] = keccak(text="another manifest")
    elif change == "policy":
        sent["policy"] = {**rec["policy"], "priceFloorFen": 1}
    elif change == "deadline":
        deadline += 1
    else:
        signature = b""
    with reverts(
        "ListingRegistryInvalidSignature",
        listingId=rec["fingerprint"],
        provider=actors.provider.address,
    ):
        world.list(actors.sh.key, actors.provider.key, "SH", sent, catalogue, deadline, signature)


# ----------------------------------------------------------------- list: the on-chain rules

RISK = {"riskAssessment": keccak(text="risk assessment")}
AUTHORISATION = {"authorisationId": keccak(text="沪公数授运〔2025〕第007号")}

POLICY_RULES = [
    pytest.param({}, None, {}, id="general data with consent evidence is listed"),
    # rule 1 and 2: grade
    pytest.param(
        {"grade": 1, **RISK}, None, {}, id="important data with a risk assessment is listed"
    ),
    pytest.param(
        {"grade": 1},
        "ListingRegistryRiskAssessmentRequired",
        {},
        id="important data without a risk assessment is refused",
    ),
    pytest.param(
        {"grade": 2, **RISK},
        "ListingRegistryGradeNotListable",
        {"grade": 2},
        id="core data is never listed",
    ),
    pytest.param(
        {"grade": 3},
        "ListingRegistryGradeNotListable",
        {"grade": 3},
        id="a grade above core is not a grade",
    ),
    pytest.param(
        {"grade": 1, **RISK, "territory": 1},
        "ListingRegistryImportantDataCrossBorder",
        {},
        id="important data may not allow cross-border licences",
    ),
    pytest.param(
        {"grade": 1, **RISK, "territory": 0},
        None,
        {},
        id="important data may allow mainland licences",
    ),
    pytest.param({"territory": 1}, None, {}, id="general data may allow cross-border licences"),
    # rule 3: public data
    pytest.param({"openClass": 1}, None, {}, id="unconditionally open public data is listed"),
    pytest.param(
        {"openClass": 2},
        "ListingRegistryAuthorisationRequired",
        {},
        id="conditionally open public data without an authorisation id is refused",
    ),
    pytest.param(
        {"openClass": 2, **AUTHORISATION},
        None,
        {},
        id="conditionally open public data with an authorisation id is listed",
    ),
    pytest.param(
        {"openClass": 3, **AUTHORISATION},
        "ListingRegistryOpenClassNotListable",
        {"openClass": 3},
        id="public data not to be opened is never listed",
    ),
    pytest.param(
        {"openClass": 4},
        "ListingRegistryOpenClassNotListable",
        {"openClass": 4},
        id="an open class above 3 is not a class",
    ),
    # rule 4: personal information
    pytest.param(
        {"personalInfo": 0, "consentEvidence": ZERO},
        None,
        {},
        id="data without personal information needs no evidence",
    ),
    *[
        pytest.param(
            {"personalInfo": level, "consentEvidence": ZERO},
            "ListingRegistryPersonalDataWithoutEvidence",
            {"personalInfo": level},
            id=f"{name} data without evidence is refused",
        )
        for level, name in [(1, "anonymised"), (2, "de-identified"), (3, "identifiable")]
    ],
    pytest.param(
        {"personalInfo": 4},
        "ListingRegistryInvalidPersonalInfo",
        {"personalInfo": 4, "piFlags": 0},
        id="a personal-information status above identifiable is invalid",
    ),
    pytest.param(
        {"personalInfo": 0, "piFlags": 1},
        "ListingRegistryInvalidPersonalInfo",
        {"personalInfo": 0, "piFlags": 1},
        id="PI flags on data without personal information are invalid",
    ),
    pytest.param(
        {"personalInfo": 1, "piFlags": 2},
        "ListingRegistryInvalidPersonalInfo",
        {"personalInfo": 1, "piFlags": 2},
        id="PI flags on anonymised data are invalid",
    ),
    pytest.param(
        {"personalInfo": 2, "piFlags": 3},
        None,
        {},
        id="sensitive and under-14 flags on de-identified data are listed",
    ),
    pytest.param(
        {"personalInfo": 3, "piFlags": 1},
        None,
        {},
        id="a sensitive flag on identifiable data is listed",
    ),
    pytest.param(
        {"personalInfo": 2, "piFlags": 4},
        "ListingRegistryInvalidPersonalInfo",
        {"personalInfo": 2, "piFlags": 4},
        id="PI flag bit 2 is not a flag",
    ),
    # the usage envelope
    pytest.param(
        {"purposes": 0},
        "ListingRegistryInvalidEnvelope",
        {"field": "purposes"},
        id="an envelope without purposes is refused",
    ),
    pytest.param({"purposes": 1}, None, {}, id="an envelope with one purpose is listed"),
    pytest.param(
        {"maxTermDays": 0},
        "ListingRegistryInvalidEnvelope",
        {"field": "maxTermDays"},
        id="a maximum term of zero days is refused",
    ),
    pytest.param({"maxTermDays": 1}, None, {}, id="a maximum term of one day is listed"),
    pytest.param(
        {"territory": 2},
        "ListingRegistryInvalidEnvelope",
        {"field": "territory"},
        id="territory 2 is not a territory",
    ),
    pytest.param({"onwardTransfer": 2}, None, {}, id="sublicensing is listed"),
    pytest.param(
        {"onwardTransfer": 3},
        "ListingRegistryInvalidEnvelope",
        {"field": "onwardTransfer"},
        id="onward transfer 3 is not an onward transfer",
    ),
    pytest.param(
        {"deliveryModes": 0},
        "ListingRegistryInvalidEnvelope",
        {"field": "deliveryModes"},
        id="an envelope without delivery modes is refused",
    ),
    pytest.param({"deliveryModes": 15}, None, {}, id="all four delivery modes are listed"),
    pytest.param(
        {"deliveryModes": 16},
        "ListingRegistryInvalidEnvelope",
        {"field": "deliveryModes"},
        id="delivery mode bit 4 is not a delivery mode",
    ),
]


@pytest.mark.parametrize(("policy", "error", "args"), POLICY_RULES)
def test_listing_rules_at_their_boundaries(
    world: ConsortiumClient,
    actors: Actors,
    policy: dict[str, Any],
    error: str | None,
    args: dict[str, Any],
) -> None:
    rec = record(actors.provider, **policy)
    if error is None:
        listing_id, receipt = world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE)
        assert raw_listing_event(receipt, "Listed")[1] == rec
        assert state(world, listing_id)["status"] == ListingStatus.listed
        return
    with reverts(error, listingId=rec["fingerprint"], **args):
        world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE)


def test_a_new_version_must_pass_the_rules_too(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors)
    with reverts("ListingRegistryGradeNotListable", listingId=listing_id, grade=2):
        publish(world, actors, listing_id, rec, version(rec, 2, policy={"grade": 2}))


# ----------------------------------------------------------------- duplicate datasets (rule 6)


def test_another_provider_listing_the_same_dataset_is_refused_and_recorded(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    before = state(world, listing_id)
    copy = record(actors.provider2)  # same seed: the same dataset fingerprint
    assert copy["fingerprint"] == listing_id
    deadline = world.deadline()
    signature = world.sign_listing(
        actors.provider2.key, listing_id, "ZJ", copy, CATALOGUE, deadline
    )
    fn = world.listings.functions.list(record_tuple(copy), CATALOGUE, deadline, signature)
    assert fn.call({"from": actors.zj.address}) == ZERO

    _, receipt = world.list(
        actors.zj.key, actors.provider2.key, "ZJ", copy, CATALOGUE, deadline, signature
    )

    assert receipt["status"] == 1
    assert args_of(world, receipt, "DuplicateFingerprintRefused") == {
        "fingerprint": listing_id,
        "provider": actors.provider2.address,
        "actor": actors.zj.address,
        "listingId": listing_id,
        "homeExchange": exchange_code("ZJ"),
    }
    assert events_named(world, receipt, "Listed") == []
    assert state(world, listing_id) == before
    assert world.listings.functions.isCurrentRecord(listing_id, record_tuple(rec)).call()


def test_a_new_version_reusing_another_listings_dataset_is_refused_and_recorded(
    world: ConsortiumClient, actors: Actors
) -> None:
    taken, _ = listed(world, actors)
    other, rec = listed(world, actors, seed="b", home="ZJ", provider=actors.provider2)
    before = state(world, other)
    nxt = version(rec, 2, seed="b", fingerprint=taken)

    receipt = publish(
        world, actors, other, rec, nxt, caller="zj", signer=actors.provider2, home="ZJ"
    )

    assert args_of(world, receipt, "DuplicateFingerprintRefused") == {
        "fingerprint": taken,
        "provider": actors.provider2.address,
        "actor": actors.zj.address,
        "listingId": other,
        "homeExchange": exchange_code("ZJ"),
    }
    assert events_named(world, receipt, "VersionPublished") == []
    assert state(world, other) == before


def test_a_dataset_first_carried_by_a_later_version_is_held_for_its_provider(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    v2 = version(rec, 2)
    publish(world, actors, listing_id, rec, v2)
    fingerprint = v2["fingerprint"]
    assert world.listings.functions.fingerprintState(fingerprint).call() == [
        True,
        actors.provider.address,
    ]
    # Moving on to a third dataset does not free the second one.
    publish(world, actors, listing_id, v2, version(v2, 3))

    copy = {**record(actors.provider2, "c"), "fingerprint": fingerprint}
    _, receipt = world.list(actors.zj.key, actors.provider2.key, "ZJ", copy, CATALOGUE)
    assert args_of(world, receipt, "DuplicateFingerprintRefused")["provider"] == (
        actors.provider2.address
    )
    assert state(world, fingerprint)["status"] == 0


def test_the_same_provider_may_list_a_dataset_its_later_version_carries(
    world: ConsortiumClient, actors: Actors
) -> None:
    """Rule 6 refuses the same dataset from *different* providers only."""
    listing_id, rec = listed(world, actors)
    v2 = version(rec, 2)
    publish(world, actors, listing_id, rec, v2)
    again = {**record(actors.provider, "d"), "fingerprint": v2["fingerprint"]}
    new_id, receipt = world.list(actors.sh.key, actors.provider.key, "SH", again, CATALOGUE)
    assert new_id == v2["fingerprint"]
    assert args_of(world, receipt, "Listed")["listingId"] == new_id


def test_a_new_version_may_return_to_its_own_first_dataset(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    v2 = version(rec, 2)
    publish(world, actors, listing_id, rec, v2)
    v3 = version(v2, 3, fingerprint=listing_id)
    receipt = publish(world, actors, listing_id, v2, v3)
    assert args_of(world, receipt, "VersionPublished")["seq"] == 3


def test_fingerprint_state_of_an_unknown_dataset(world: ConsortiumClient) -> None:
    assert world.listings.functions.fingerprintState(keccak(text="nothing")).call() == [
        False,
        "0x" + "0" * 40,
    ]


# ----------------------------------------------------------------- replayed and foreign signatures


def test_the_same_list_transaction_sent_again_is_a_refused_duplicate(
    world: ConsortiumClient, actors: Actors
) -> None:
    rec = record(actors.provider)
    deadline = world.deadline()
    signature = _sign(world, actors.provider.key, rec, CATALOGUE, deadline)
    listing_id, _ = world.list(
        actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE, deadline, signature
    )
    _, receipt = world.list(
        actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE, deadline, signature
    )
    assert args_of(world, receipt, "DuplicateFingerprintRefused")["provider"] == (
        actors.provider.address
    )
    assert state(world, listing_id)["seq"] == 1


def test_a_version_signature_used_twice_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors)
    v2 = version(rec, 2)
    deadline = world.deadline()
    signature = world.sign_listing(actors.provider.key, listing_id, "SH", v2, CATALOGUE, deadline)
    args = (listing_id, record_tuple(rec), record_tuple(v2), CATALOGUE, deadline, signature)
    world.send(world.listings.functions.publishVersion(*args), actors.sh.key)

    with reverts("ListingRegistryRecordMismatch", listingId=listing_id):
        world.send(world.listings.functions.publishVersion(*args), actors.sh.key)
    replay = (listing_id, record_tuple(v2), record_tuple(v2), CATALOGUE, deadline, signature)
    with reverts("ListingRegistryWrongVersion", listingId=listing_id, expected=3, given=2):
        world.send(world.listings.functions.publishVersion(*replay), actors.sh.key)


def test_an_expired_listing_signature_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    rec = record(actors.provider)
    deadline = world.deadline(60)
    signature = _sign(world, actors.provider.key, rec, CATALOGUE, deadline)
    increase_time(world.w3, 120)
    with reverts("ListingRegistryExpiredSignature", deadline=deadline) as caught:
        world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE, deadline, signature)
    assert caught[0].error_args[1] > deadline


def test_an_expired_version_signature_is_refused(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors)
    deadline = world.deadline(60)
    increase_time(world.w3, 120)
    with reverts("ListingRegistryExpiredSignature", deadline=deadline):
        publish(world, actors, listing_id, rec, version(rec, 2), deadline=deadline)


FOREIGN_DOMAINS = [
    pytest.param("chain", id="a signature for another chain id is refused"),
    pytest.param("contract", id="a signature for another verifying contract is refused"),
]


@pytest.mark.parametrize("foreign", FOREIGN_DOMAINS)
def test_a_listing_signature_from_another_domain_is_refused(
    world: ConsortiumClient, actors: Actors, foreign: str
) -> None:
    rec = record(actors.provider)
    deadline = world.deadline()
    message = world.authorization(rec["fingerprint"], "SH", rec, CATALOGUE, deadline)
    chain_id, contract = world.chain_id, world.listings.address
    if foreign == "chain":
        chain_id += 1
    else:
        contract = world.licences.address
    signature = eip712.sign(
        "ListingAuthorization", message, chain_id, contract, actors.provider.key
    )
    with reverts(
        "ListingRegistryInvalidSignature",
        listingId=rec["fingerprint"],
        provider=actors.provider.address,
    ):
        world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE, deadline, signature)


# ----------------------------------------------------------------- publishVersion


PUBLISH_CALLERS = [
    pytest.param("sh", None, id="an operator of the home exchange publishes a new version"),
    pytest.param(
        "zj", "ListingRegistryNotHomeOperator", id="an operator of another exchange cannot"
    ),
    pytest.param(
        "sd", "ListingRegistryNotHomeOperator", id="an operator of a third exchange cannot"
    ),
    pytest.param("provider", "ConsortiumNotOperator", id="the provider cannot publish it itself"),
    pytest.param("provider2", "ConsortiumNotOperator", id="another provider cannot"),
    pytest.param("regulator", "ConsortiumNotOperator", id="the regulator cannot"),
    pytest.param("outsider", "ConsortiumNotOperator", id="an outsider cannot"),
]


@pytest.mark.parametrize(("caller", "error"), PUBLISH_CALLERS)
def test_publish_version_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, error: str | None
) -> None:
    listing_id, rec = listed(world, actors)
    who = getattr(actors, caller)
    v2 = version(rec, 2)
    if error is None:
        receipt = publish(world, actors, listing_id, rec, v2, caller=caller)
        event = args_of(world, receipt, "VersionPublished")
        assert (event["listingId"], event["actor"], event["seq"]) == (listing_id, who.address, 2)
        return
    expected = {"account": who.address}
    if error == "ListingRegistryNotHomeOperator":
        expected["listingId"] = listing_id
    with reverts(error, **expected):
        publish(world, actors, listing_id, rec, v2, caller=caller)


def test_a_new_version_is_emitted_and_becomes_the_current_record(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    catalogue = encode_catalogue(sample_catalogue(title="城市交通出行 OD 数据（第二版）"))
    v2 = version(rec, 2, policy={"priceFloorFen": 2_000_000, "deliveryModes": 15})

    receipt = publish(world, actors, listing_id, rec, v2, catalogue=catalogue)

    event = args_of(world, receipt, "VersionPublished")
    assert (event["listingId"], event["provider"], event["homeExchange"]) == (
        listing_id,
        actors.provider.address,
        exchange_code("SH"),
    )
    actor, decoded, emitted, seq = raw_listing_event(receipt, "VersionPublished")
    assert (actor, decoded, emitted, seq) == (actors.sh.address, v2, catalogue, 2)
    assert decode_catalogue(emitted)["title"] == "城市交通出行 OD 数据（第二版）"
    assert state(world, listing_id)["recordHash"] == record_hash(v2)[:21]
    current = world.listings.functions.isCurrentRecord
    assert current(listing_id, record_tuple(v2)).call()
    assert not current(listing_id, record_tuple(rec)).call()


WRONG_VERSIONS = [
    pytest.param(3, id="skipping a version is refused"),
    pytest.param(1, id="republishing the current version number is refused"),
]


@pytest.mark.parametrize("number", WRONG_VERSIONS)
def test_a_new_version_is_exactly_the_next_number(
    world: ConsortiumClient, actors: Actors, number: int
) -> None:
    listing_id, rec = listed(world, actors)
    nxt = version(rec, 2, version=number)
    with reverts("ListingRegistryWrongVersion", listingId=listing_id, expected=2, given=number):
        publish(world, actors, listing_id, rec, nxt)


def test_a_new_version_cannot_change_the_provider(world: ConsortiumClient, actors: Actors) -> None:
    listing_id, rec = listed(world, actors)
    nxt = version(rec, 2, provider=actors.provider2.address)
    with reverts(
        "ListingRegistryProviderChanged",
        listingId=listing_id,
        provider=actors.provider.address,
        given=actors.provider2.address,
    ):
        publish(world, actors, listing_id, rec, nxt, signer=actors.provider2)


AUTHORISATION = keccak(text="authorisation")

PUBLIC_DATA_CHANGES = [
    pytest.param(0, 1, id="a listing that is not public data cannot become 无条件开放 public data"),
    pytest.param(0, 2, id="a listing that is not public data cannot become 有条件开放 public data"),
    pytest.param(1, 0, id="a 无条件开放 listing cannot stop being public data"),
    pytest.param(2, 0, id="a 有条件开放 listing cannot stop being public data"),
]


@pytest.mark.parametrize(("current", "proposed"), PUBLIC_DATA_CHANGES)
def test_a_new_version_cannot_change_whether_the_listing_is_public_data(
    world: ConsortiumClient, actors: Actors, current: int, proposed: int
) -> None:
    listing_id, rec = listed(world, actors, openClass=current, authorisationId=AUTHORISATION)
    nxt = version(rec, 2, policy={"openClass": proposed})
    with reverts(
        "ListingRegistryPublicDataChanged",
        listingId=listing_id,
        current=current,
        proposed=proposed,
    ):
        publish(world, actors, listing_id, rec, nxt)
    assert world.listings.functions.isCurrentRecord(listing_id, record_tuple(rec)).call()


PUBLIC_CLASS_CHANGES = [
    pytest.param(1, 2, id="无条件开放 public data may become 有条件开放"),
    pytest.param(2, 1, id="有条件开放 public data may become 无条件开放"),
    pytest.param(0, 0, id="a listing that is not public data stays so"),
]


@pytest.mark.parametrize(("current", "proposed"), PUBLIC_CLASS_CHANGES)
def test_a_new_version_may_change_its_public_data_class(
    world: ConsortiumClient, actors: Actors, current: int, proposed: int
) -> None:
    listing_id, rec = listed(world, actors, openClass=current, authorisationId=AUTHORISATION)
    nxt = version(rec, 2, policy={"openClass": proposed})
    publish(world, actors, listing_id, rec, nxt)
    assert world.listings.functions.isCurrentRecord(listing_id, record_tuple(nxt)).call()


def test_a_new_version_must_be_signed_by_the_provider(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    with reverts(
        "ListingRegistryInvalidSignature", listingId=listing_id, provider=actors.provider.address
    ):
        publish(world, actors, listing_id, rec, version(rec, 2), signer=actors.provider2)


WRONG_CURRENT = [
    pytest.param("manifestHash", id="a current record with another manifest hash"),
    pytest.param("version", id="a current record with another version number"),
    pytest.param("policy", id="a current record with another policy"),
]


@pytest.mark.parametrize("field", WRONG_CURRENT)
def test_calls_on_a_listing_need_its_current_record(
    world: ConsortiumClient, actors: Actors, field: str
) -> None:
    listing_id, rec = listed(world, actors)
    wrong = dict(rec)
    if field == "manifestHash":
        wrong["manifestHash"] = keccak(text="forged")
    elif field == "version":
        wrong["version"] = 2
    else:
        wrong["policy"] = {**rec["policy"], "priceFloorFen": 0}
    with reverts("ListingRegistryRecordMismatch", listingId=listing_id):
        publish(world, actors, listing_id, wrong, version(rec, 2))
    with reverts("ListingRegistryRecordMismatch", listingId=listing_id):
        delist(world, actors.provider, listing_id, wrong)
    with reverts("ListingRegistryRecordMismatch", listingId=listing_id):
        withdraw(world, actors.provider, listing_id, wrong)


def test_calls_on_an_unknown_listing_are_refused(world: ConsortiumClient, actors: Actors) -> None:
    rec = record(actors.provider)
    unknown = rec["fingerprint"]
    with reverts("ListingRegistryUnknownListing", listingId=unknown):
        publish(world, actors, unknown, rec, version(rec, 2))
    with reverts("ListingRegistryUnknownListing", listingId=unknown):
        delist(world, actors.provider, unknown, rec)
    with reverts("ListingRegistryUnknownListing", listingId=unknown):
        withdraw(world, actors.provider, unknown, rec)
    assert state(world, unknown) == {
        "status": 0,
        "homeIndex": 0,
        "seq": 0,
        "suspendedUntil": 0,
        "recordHash": bytes(21),
    }
    assert not world.listings.functions.isCurrentRecord(unknown, record_tuple(rec)).call()


def test_after_a_new_version_the_old_record_no_longer_grants(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    v2 = version(rec, 2)
    publish(world, actors, listing_id, rec, v2)

    with reverts("ListingRegistryRecordMismatch", listingId=listing_id):
        grant(world, actors, listing_id, rec)
    receipt = grant(world, actors, listing_id, v2)
    (event,) = world.licences.events.LicenceGranted().process_receipt(receipt)
    assert (event["args"]["version"], event["args"]["seq"]) == (2, 3)


# ----------------------------------------------------------------- delist


DELIST_CALLERS = [
    pytest.param("provider", None, id="the provider delists its product"),
    pytest.param("sh", "SH", id="an operator of the home exchange delists it"),
    pytest.param("zj", "refused", id="an operator of another exchange cannot delist it"),
    pytest.param("provider2", "refused", id="another provider cannot delist it"),
    pytest.param("regulator", "refused", id="the regulator suspends, it does not delist"),
    pytest.param("licensee", "refused", id="a licensee cannot delist it"),
    pytest.param("outsider", "refused", id="an outsider cannot delist it"),
]


@pytest.mark.parametrize(("caller", "acting"), DELIST_CALLERS)
def test_delist_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, acting: str | None
) -> None:
    listing_id, rec = listed(world, actors)
    who = getattr(actors, caller)
    if acting == "refused":
        with reverts("ListingRegistryNotHomeOperator", account=who.address, listingId=listing_id):
            delist(world, who, listing_id, rec)
        assert state(world, listing_id)["status"] == ListingStatus.listed
        return
    receipt = delist(world, who, listing_id, rec, reason=42)
    assert args_of(world, receipt, "Delisted") == {
        "listingId": listing_id,
        "actor": who.address,
        "actingExchange": exchange_code(acting) if acting else bytes(8),
        "reasonCode": 42,
        "evidenceHash": EVIDENCE,
        "seq": 2,
    }
    assert state(world, listing_id)["status"] == ListingStatus.delisted


def test_an_operator_of_a_removed_home_exchange_cannot_delist(
    world: ConsortiumClient, actors: Actors
) -> None:
    """A removed exchange's operators lose all rights, also over the listings it was home to."""
    listing_id, rec = listed(world, actors)
    code = exchange_code("SH")
    data = encode(["bytes8"], [code])
    proposal, _ = world.propose(actors.zj.key, int(ProposalKind.remove_exchange), data)
    world.send(world.consortium.functions.vote(proposal, True), actors.sd.key)
    world.send(world.consortium.functions.execute(proposal, data), actors.zj.key)

    with reverts("ConsortiumExchangeNotActive", code=code):
        delist(world, actors.sh, listing_id, rec)
    with reverts("ConsortiumExchangeNotActive", code=code):
        publish(world, actors, listing_id, rec, version(rec, 2))
    # The provider keeps its own right to delist.
    delist(world, actors.provider, listing_id, rec)


AFTER_DELISTING = [
    pytest.param("delist", id="delisting again is refused"),
    pytest.param("publish", id="a new version is refused"),
    pytest.param("withdraw", id="withdrawing consent is refused"),
    pytest.param("grant", id="a grant is refused"),
    pytest.param("list", id="listing the same dataset again is a refused duplicate"),
]


@pytest.mark.parametrize("action", AFTER_DELISTING)
def test_delisting_is_final(world: ConsortiumClient, actors: Actors, action: str) -> None:
    listing_id, rec = listed(world, actors)
    delist(world, actors.provider, listing_id, rec)
    if action == "delist":
        with reverts("ListingRegistryDelisted", listingId=listing_id):
            delist(world, actors.sh, listing_id, rec)
    elif action == "publish":
        with reverts("ListingRegistryDelisted", listingId=listing_id):
            publish(world, actors, listing_id, rec, version(rec, 2))
    elif action == "withdraw":
        with reverts("ListingRegistryNotListed", listingId=listing_id, status=3):
            withdraw(world, actors.provider, listing_id, rec)
    elif action == "grant":
        with reverts("ListingRegistryNotListed", listingId=listing_id, status=3):
            grant(world, actors, listing_id, rec)
    else:
        _, receipt = world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE)
        assert args_of(world, receipt, "DuplicateFingerprintRefused")["listingId"] == listing_id
    assert state(world, listing_id)["status"] == ListingStatus.delisted


def test_a_consent_withdrawn_listing_can_be_delisted(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    withdraw(world, actors.provider, listing_id, rec)
    receipt = delist(world, actors.sh, listing_id, rec)
    assert args_of(world, receipt, "Delisted")["seq"] == 3


# ----------------------------------------------------------------- withdrawConsent


WITHDRAW_CALLERS = [
    pytest.param("provider", True, id="the provider withdraws its consent evidence"),
    pytest.param("sh", False, id="an operator of the home exchange cannot withdraw it"),
    pytest.param("zj", False, id="an operator of another exchange cannot withdraw it"),
    pytest.param("provider2", False, id="another provider cannot withdraw it"),
    pytest.param("regulator", False, id="the regulator cannot withdraw it"),
    pytest.param("outsider", False, id="an outsider cannot withdraw it"),
]


@pytest.mark.parametrize(("caller", "allowed"), WITHDRAW_CALLERS)
def test_withdraw_consent_by_role(
    world: ConsortiumClient, actors: Actors, caller: str, allowed: bool
) -> None:
    listing_id, rec = listed(world, actors)
    who = getattr(actors, caller)
    if not allowed:
        with reverts("ListingRegistryNotProvider", account=who.address, listingId=listing_id):
            withdraw(world, who, listing_id, rec)
        return
    receipt = withdraw(world, who, listing_id, rec)
    assert args_of(world, receipt, "ConsentWithdrawn") == {
        "listingId": listing_id,
        "provider": actors.provider.address,
        "evidenceHash": EVIDENCE,
        "seq": 2,
    }
    assert state(world, listing_id)["status"] == ListingStatus.consent_withdrawn


def test_a_consent_withdrawn_listing_refuses_grants_until_a_new_version(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    withdraw(world, actors.provider, listing_id, rec)
    with reverts("ListingRegistryNotListed", listingId=listing_id, status=2):
        grant(world, actors, listing_id, rec)
    with reverts("ListingRegistryNotListed", listingId=listing_id, status=2):
        withdraw(world, actors.provider, listing_id, rec)

    v2 = version(rec, 2, policy={"consentEvidence": keccak(text="fresh consent")})
    publish(world, actors, listing_id, rec, v2)

    assert state(world, listing_id)["status"] == ListingStatus.listed
    receipt = grant(world, actors, listing_id, v2)
    assert world.licences.events.LicenceGranted().process_receipt(receipt)[0]["args"]["seq"] == 4


def test_a_listing_without_consent_evidence_has_none_to_withdraw(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors, personalInfo=0, consentEvidence=ZERO)
    with reverts("ListingRegistryNoConsent", listingId=listing_id):
        withdraw(world, actors.provider, listing_id, rec)


# ----------------------------------------------------------------- functions for other contracts


def _record_grant(client: ConsortiumClient, listing_id: bytes, rec: dict[str, Any]) -> Any:
    return client.listings.functions.recordGrant(listing_id, record_hash(rec))


def _next_sequence(client: ConsortiumClient, listing_id: bytes, rec: dict[str, Any]) -> Any:
    return client.listings.functions.nextSequence(listing_id)


def _suspend_listing(client: ConsortiumClient, listing_id: bytes, rec: dict[str, Any]) -> Any:
    return client.listings.functions.setSuspension(listing_id, 2**40)


def _suspend_licence(client: ConsortiumClient, listing_id: bytes, rec: dict[str, Any]) -> Any:
    return client.licences.functions.setSuspension(listing_id, 2**40)


INTERNAL_CALLS = [
    pytest.param(
        _record_grant,
        "ListingRegistry",
        "sh",
        id="recordGrant is the LicenceRegistry's, not an operator's",
    ),
    pytest.param(
        _record_grant, "ListingRegistry", "provider", id="recordGrant is not the provider's"
    ),
    pytest.param(
        _next_sequence,
        "ListingRegistry",
        "zj",
        id="nextSequence is the LicenceRegistry's, not an operator's",
    ),
    pytest.param(
        _next_sequence, "ListingRegistry", "outsider", id="nextSequence is not an outsider's"
    ),
    pytest.param(
        _suspend_listing,
        "ListingRegistry",
        "regulator",
        id="a regulator suspends a listing through the Consortium only",
    ),
    pytest.param(
        _suspend_listing,
        "ListingRegistry",
        "provider",
        id="a listing's suspension is not the provider's",
    ),
    pytest.param(
        _suspend_licence,
        "LicenceRegistry",
        "regulator",
        id="a regulator suspends a licence through the Consortium only",
    ),
    pytest.param(
        _suspend_licence, "LicenceRegistry", "sd", id="a licence's suspension is not an operator's"
    ),
]


@pytest.mark.parametrize(("call", "contract", "caller"), INTERNAL_CALLS)
def test_functions_for_the_other_contracts_refuse_everyone_else(
    world: ConsortiumClient, actors: Actors, call: Any, contract: str, caller: str
) -> None:
    listing_id, rec = listed(world, actors)
    who = getattr(actors, caller)
    with reverts(f"{contract}Unauthorized", account=who.address):
        world.send(call(world, listing_id, rec), who.key)
    assert state(world, listing_id)["seq"] == 1


# ----------------------------------------------------------------- events and sequence numbers


def test_listed_event_carries_the_record_and_catalogue_as_sent(
    world: ConsortiumClient, actors: Actors
) -> None:
    rec = record(actors.provider, grade=1, **RISK, grantingExchanges=0b101, priceFloorFen=7)
    listing_id, receipt = world.list(actors.sh.key, actors.provider.key, "SH", rec, CATALOGUE)

    event = args_of(world, receipt, "Listed")
    assert (event["listingId"], event["provider"], event["homeExchange"], event["seq"]) == (
        rec["fingerprint"],
        actors.provider.address,
        exchange_code("SH"),
        1,
    )
    actor, decoded, catalogue, seq = raw_listing_event(receipt, "Listed")
    assert (actor, decoded, catalogue, seq) == (actors.sh.address, rec, CATALOGUE, 1)
    assert decode_catalogue(catalogue) == sample_catalogue()
    assert state(world, listing_id) == {
        "status": ListingStatus.listed,
        "homeIndex": 0,
        "seq": 1,
        "suspendedUntil": 0,
        "recordHash": record_hash(rec)[:21],
    }
    assert world.listings.functions.recordHashOf(record_tuple(rec)).call() == record_hash(rec)


def test_a_plain_json_catalogue_round_trips(world: ConsortiumClient, actors: Actors) -> None:
    catalogue = b"\x00" + rfc8785.dumps(sample_catalogue(title="明文目录"))
    rec = record(actors.provider)
    _, receipt = world.list(actors.sh.key, actors.provider.key, "SH", rec, catalogue)
    emitted = raw_listing_event(receipt, "Listed")[2]
    assert emitted == catalogue
    assert decode_catalogue(emitted)["title"] == "明文目录"


SEQUENCED = {
    "listings": ("Listed", "VersionPublished", "Delisted", "ConsentWithdrawn"),
    "licences": ("LicenceGranted", "LicenceRevoked", "LicenceTerminated"),
}


def sequenced(client: ConsortiumClient, receipt: TxReceipt) -> list[tuple[str, int]]:
    """(event, seq) of every listing-sequenced event in ``receipt``."""
    found = []
    for contract, names in SEQUENCED.items():
        for name in names:
            event = getattr(getattr(client, contract).events, name)()
            found += [
                (name, log["args"]["seq"]) for log in event.process_receipt(receipt, errors=DISCARD)
            ]
    return found


def test_every_event_of_a_listing_takes_the_next_sequence_number(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    other_id, _ = listed(world, actors, seed="other")
    expected = iter(range(2, 100))

    def step(receipt: TxReceipt, name: str) -> None:
        seq = next(expected)
        assert sequenced(world, receipt) == [(name, seq)]
        assert state(world, listing_id)["seq"] == seq

    by_zj = terms_for(world, listing_id, rec, actors)
    by_sd = terms_for(world, listing_id, rec, actors, via="SD", priceFen=3_000_000)
    by_sh = terms_for(world, listing_id, rec, actors, via="SH", priceFen=4_000_000)
    for operator, terms in [(actors.zj, by_zj), (actors.sd, by_sd), (actors.sh, by_sh)]:
        step(world.grant(operator.key, actors.licensee.key, terms, rec)[1], "LicenceGranted")
    with reverts("LicenceRegistryAlreadyGranted"):
        world.grant(actors.zj.key, actors.licensee.key, by_zj, rec)

    v2 = version(rec, 2)
    step(publish(world, actors, listing_id, rec, v2), "VersionPublished")
    revoke = world.licences.functions.revokeByProvider(
        terms_tuple(by_zj), record_tuple(v2), 1, EVIDENCE
    )
    step(world.send(revoke, actors.provider.key), "LicenceRevoked")
    revoke = world.licences.functions.revokeByRegulator(terms_tuple(by_sd), 2, EVIDENCE)
    step(world.send(revoke, actors.regulator.key), "LicenceRevoked")
    deadline = world.deadline()
    licence_id = world.licence_id(by_sh)
    terminate = world.licences.functions.terminate(
        terms_tuple(by_sh),
        record_tuple(v2),
        deadline,
        world.sign_termination(actors.provider.key, licence_id, deadline),
        world.sign_termination(actors.licensee.key, licence_id, deadline),
    )
    step(world.send(terminate, actors.outsider.key), "LicenceTerminated")
    step(withdraw(world, actors.provider, listing_id, v2), "ConsentWithdrawn")
    step(delist(world, actors.sh, listing_id, v2), "Delisted")

    assert state(world, other_id)["seq"] == 1
