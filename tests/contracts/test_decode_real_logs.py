"""The node's decoder on real logs: what the deployed contracts emit, fetched with a raw
``eth_getLogs``, decodes to the values web3's own event decoder reads, and projects cleanly.

(Here rather than under tests/integration/ so that it shares the contract tests' fixtures.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import LogReceipt

from node.decode import EventCatalog, decode_log, unpack_shares
from node.events import DecodedEvent, RawLog
from node.projections import project
from onelist.build.compiler import Artifact
from onelist.chain.client import ConsortiumClient
from onelist.chain.deployment import CONTRACTS, Deployment
from onelist.chain.samples import sample_catalogue
from onelist.codes import ParticipantRole, ProposalKind, SuspensionScope, exchange_code
from onelist.records import record_tuple, terms_tuple

from .conftest import CATALOGUE, Actors, listed, record, terms_for

BASIS = keccak(text="数据安全法 第四十五条")
EVIDENCE = keccak(text="evidence")


def passed(client: ConsortiumClient, actors: Actors, kind: ProposalKind, data: bytes) -> None:
    """Propose at SH, vote yes at ZJ and SD, and execute (anyone may)."""
    proposal, _ = client.propose(actors.sh.key, int(kind), data)
    client.send(client.consortium.functions.vote(proposal, True), actors.zj.key)
    client.send(client.consortium.functions.vote(proposal, True), actors.sd.key)
    client.send(client.consortium.functions.execute(proposal, data), actors.outsider.key)


def suspend_and_reinstate(
    client: ConsortiumClient, actors: Actors, scope: SuspensionScope, subject: bytes, until: int
) -> None:
    consortium = client.consortium.functions
    client.send(consortium.suspend(int(scope), subject, 7, BASIS, until), actors.regulator.key)
    client.send(consortium.reinstate(int(scope), subject, 9, BASIS), actors.regulator.key)


def act(client: ConsortiumClient, actors: Actors) -> None:
    """Something of every kind the consortium does, as its members would do it."""
    listings, licences = client.listings.functions, client.licences.functions
    listing, rec = listed(client, actors)
    other, other_rec = listed(client, actors, seed="b", home="ZJ", provider=actors.provider2)
    # the same dataset again, by another provider: refused and recorded
    client.list(actors.zj.key, actors.provider2.key, "ZJ", record(actors.provider2), CATALOGUE)
    nxt = record(actors.provider, "a", version=2)
    client.publish_version(actors.sh.key, actors.provider.key, "SH", listing, rec, nxt, CATALOGUE)

    terms = terms_for(client, listing, nxt, actors, via="ZJ")
    licence, _ = client.grant(actors.zj.key, actors.licensee.key, terms, nxt)
    later = terms_for(client, listing, nxt, actors, via="SD", priceFen=3_000_000)
    client.grant(actors.sd.key, actors.licensee.key, later, nxt)
    public, public_rec = listed(client, actors, seed="c", openClass=1)
    exclusive = terms_for(client, public, public_rec, actors, via="SH")
    approval, auction = keccak(text="approval"), keccak(text="open auction")
    client.grant_exclusive(
        actors.sh.key, actors.licensee.key, exclusive, public_rec, approval, auction
    )
    deadline = client.deadline()
    later_id = client.licence_id(later)
    client.send(
        licences.terminate(
            terms_tuple(later),
            record_tuple(nxt),
            deadline,
            client.sign_termination(actors.provider.key, later_id, deadline),
            client.sign_termination(actors.licensee.key, later_id, deadline),
        ),
        actors.outsider.key,
    )

    now = client.now()
    suspend_and_reinstate(client, actors, SuspensionScope.licence, licence, 0)
    suspend_and_reinstate(client, actors, SuspensionScope.listing, listing, now + 86400)
    provider = bytes(12) + bytes.fromhex(actors.provider.address[2:])
    suspend_and_reinstate(client, actors, SuspensionScope.provider, provider, 0)
    suspend_and_reinstate(
        client, actors, SuspensionScope.exchange_granting, exchange_code("SD") + bytes(24), 0
    )
    client.send(licences.revokeByRegulator(terms_tuple(terms), 21, BASIS), actors.regulator.key)

    client.send(
        listings.withdrawConsent(other, record_tuple(other_rec), EVIDENCE), actors.provider2.key
    )
    client.send(listings.delist(other, record_tuple(other_rec), 3, EVIDENCE), actors.provider2.key)

    spare, regulator, member = actors.spare[0], actors.spare[1], actors.spare[2]
    client.send(client.consortium.functions.addOperator(spare.address), actors.sh.key)
    client.send(client.consortium.functions.removeOperator(spare.address), actors.sh.key)
    client.register_participant(actors.sd.key, actors.outsider.address, ParticipantRole.licensee)
    client.grant_participant_roles(actors.sd.key, actors.outsider.address, ParticipantRole.provider)
    passed(client, actors, ProposalKind.set_fee_schedule, encode(["uint16"] * 3, [400, 300, 50]))
    passed(client, actors, ProposalKind.set_voting_period, encode(["uint64"], [3 * 86400]))
    passed(
        client,
        actors,
        ProposalKind.add_regulator,
        encode(["address", "uint32", "string"], [regulator.address, 330000, "浙江省数据局"]),
    )
    passed(client, actors, ProposalKind.remove_regulator, encode(["address"], [regulator.address]))
    passed(
        client,
        actors,
        ProposalKind.admit_exchange,
        encode(
            ["bytes8", "string", "uint32", "address"],
            [exchange_code("GZ"), "贵阳大数据交易所", 520000, member.address],
        ),
    )
    passed(client, actors, ProposalKind.remove_exchange, encode(["bytes8"], [exchange_code("GZ")]))


def raw(log: LogReceipt) -> RawLog:
    return RawLog(
        block_number=log["blockNumber"],
        block_hash=bytes(log["blockHash"]),
        tx_hash=bytes(log["transactionHash"]),
        log_index=log["logIndex"],
        address=log["address"],
        topics=tuple(bytes(topic) for topic in log["topics"]),
        data=bytes(log["data"]),
        removed=bool(log.get("removed", False)),
    )


def plain(param: Mapping[str, Any], value: Any) -> Any:
    """A value as web3 decodes it, in the node's plain spelling (independently of node.decode)."""
    typ = param["type"]
    if typ == "tuple":
        components = param["components"]
        if isinstance(value, Mapping):
            return {c["name"]: plain(c, value[c["name"]]) for c in components}
        return {c["name"]: plain(c, v) for c, v in zip(components, value, strict=True)}
    if typ == "bytes8":
        return bytes(value).rstrip(b"\0").decode("ascii")
    if typ.startswith("bytes"):
        return "0x" + bytes(value).hex()
    return value


def web3_args(contract: Contract, abi: list[dict[str, Any]], event: DecodedEvent) -> Any:
    receipt = contract.w3.eth.get_transaction_receipt(event.tx_hash)  # type: ignore[arg-type]
    processed = getattr(contract.events, event.name)().process_receipt(receipt, errors=DISCARD)
    (entry,) = [e for e in processed if e["logIndex"] == event.log_index]
    inputs = next(i for i in abi if i["type"] == "event" and i["name"] == event.name)["inputs"]
    return {p["name"]: plain(p, entry["args"][p["name"]]) for p in inputs}


def test_real_logs_decode_as_web3_decodes_them(
    world: ConsortiumClient,
    actors: Actors,
    w3: Web3,
    deployment: Deployment,
    artifacts: dict[str, Artifact],
) -> None:
    act(world, actors)
    catalog = EventCatalog.from_deployment(deployment, artifacts)
    logs = w3.eth.get_logs(
        {
            "fromBlock": deployment.block,
            "toBlock": "latest",
            "address": [deployment.address(name) for name in CONTRACTS],
        }
    )
    blocks = {int(log["blockNumber"]) for log in logs}
    times: dict[int, int] = {n: int(w3.eth.get_block(n)["timestamp"]) for n in blocks}
    events = [
        decode_log(raw(log), catalog, w3.eth.chain_id, times[log["blockNumber"]]) for log in logs
    ]

    emitted = {event.name for event in events}
    every = {
        item["name"]
        for name in CONTRACTS
        for item in artifacts[name].abi
        if item["type"] == "event"
    }
    assert emitted == every - {"EIP712DomainChanged"}  # OpenZeppelin's, never emitted

    contracts = {
        "Consortium": world.consortium,
        "ListingRegistry": world.listings,
        "LicenceRegistry": world.licences,
    }
    for event in events:
        granted = event.name in ("LicenceGranted", "ExclusiveLicenceGranted")
        derived = {"shares"} if granted else set()
        ours = {k: v for k, v in event.args.items() if k not in derived}
        theirs = web3_args(contracts[event.contract], artifacts[event.contract].abi, event)
        assert ours == theirs, f"{event.name} at log {event.log_index}"
        assert event.block_time == times[event.block_number]
        if event.name in ("Listed", "VersionPublished"):
            assert (event.catalogue, event.catalogue_error) == (sample_catalogue(), None)
        if granted:
            assert event.args["shares"] == unpack_shares(event.args["split"])
            assert sum(event.args["shares"]) == event.args["priceFen"]
        project(event)  # real values fit the index's columns
