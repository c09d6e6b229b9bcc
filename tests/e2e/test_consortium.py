"""The consortium end to end: three exchanges' nodes and the regulator's, each its own process,
over one chain. What one node does, every node shows; what the regulator stops, every exchange
refuses; a node that was away catches up; and at the end every index is the same.

The tests run in file order: the last one compares the digests of everything before it.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from node.service import open_store
from onelist.build.compiler import repo_root
from onelist.chain.founding import load_founding
from onelist.network.demo import Listed
from onelist.network.staff_client import NodeAnswer, get_json

from .conftest import EXCHANGES, ORGANISATIONS, Network


def pages(network: Network, listing_id: str, until: Any = lambda page: True) -> dict[str, Any]:
    return {org: network.actors.wait_listing(org, listing_id, until=until) for org in ORGANISATIONS}


def auditor_of(organisation: str) -> str:
    return "officer" if organisation == "regulator" else "auditor"


def list_public_credit(network: Network) -> Listed:
    key = network.cast.provider_a
    return network.actors.submit_and_approve("SH", key, network.product("public-credit", key))


def test_a_listing_approved_at_sh_is_the_same_at_every_node(network: Network) -> None:
    key = network.cast.provider_b  # registered at ZJ, listing at SH: recognised network-wide
    listed = network.actors.submit_and_approve("SH", key, network.product("traffic-od", key))
    seen = pages(network, listed.listing_id)
    sh = seen["SH"]
    assert sh["home_exchange"] == "SH" and sh["status"] == "listed"
    assert sh["title"] == listed.manifest.catalogue.title
    assert sh["personal_information"]["consent_evidence"] is not None
    for organisation, page in seen.items():
        assert page == sh, f"{organisation}'s node shows the listing differently"


def test_a_licence_granted_via_zj_has_the_same_split_at_every_node(network: Network) -> None:
    listed = list_public_credit(network)
    network.actors.wait_listing("ZJ", listed.listing_id)
    grant = network.actors.request_and_grant("ZJ", network.cast.licensee, listed, "e2e ZJ-1")
    fees = load_founding(repo_root() / "config" / "consortium.example.toml")
    network.actors.wait_indexed()
    events = {}
    for org in ORGANISATIONS:
        answer = network.actors.staff(org, auditor_of(org)).get(
            "/audit/events", event="LicenceGranted", listing=listed.listing_id
        )
        events[org] = answer["events"]
    granted = events["SH"]
    assert len(granted) == 1 and granted[0]["acting_exchange"] == "ZJ"
    args = granted[0]["args"]
    assert args["licenceId"] == grant["licence_id"]
    price = int(args["priceFen"])
    home, granting, consortium = (
        price * bps // 10_000 for bps in (fees.home_bps, fees.granting_bps, fees.consortium_bps)
    )
    assert [int(s) for s in args["shares"]] == [
        price - home - granting - consortium,
        home,
        granting,
        consortium,
    ]
    for organisation, items in events.items():
        assert items == granted, f"{organisation}'s node shows the grant differently"
    for page in pages(network, listed.listing_id, until=lambda p: p["licence_count"] == 1).values():
        assert page["revenue_fen"] == price
    # The public disclosure credits SH as the home and ZJ as the granting exchange, everywhere.
    disclosures = {
        org: get_json(network.local.plan.node(org).url + "/disclosure") for org in ORGANISATIONS
    }
    shown = disclosures["SH"]
    assert {row["exchange"] for row in shown["by_home_exchange"]} == {"SH"}
    assert "ZJ" in {row["exchange"] for row in shown["by_granting_exchange"]}
    for organisation, disclosure in disclosures.items():
        assert disclosure == shown, f"{organisation}'s node discloses differently"


def test_a_suspension_stops_grants_at_every_exchange_until_reinstated(network: Network) -> None:
    listed = list_public_credit(network)
    pages(network, listed.listing_id)
    network.actors.oversee("suspensions", "listing", listed.listing_id, "e2e-case-1")
    pages(network, listed.listing_id, until=lambda p: p["status"] == "suspended")
    for exchange in EXCHANGES:
        with pytest.raises(NodeAnswer) as refused:
            network.actors.grant_direct(
                exchange, network.cast.licensee, listed, f"e2e {exchange}-s"
            )
        assert refused.value.status == 409, refused.value
        assert "ListingRegistrySuspended" in str(refused.value)
    network.actors.oversee("reinstatements", "listing", listed.listing_id, "e2e-case-1")
    pages(network, listed.listing_id, until=lambda p: p["status"] == "listed")
    for exchange in EXCHANGES:
        grant = network.actors.grant_direct(
            exchange, network.cast.licensee, listed, f"e2e {exchange}"
        )
        assert grant["listing_id"] == listed.listing_id
    pages(network, listed.listing_id, until=lambda p: p["licence_count"] == len(EXCHANGES))


def test_a_node_stopped_during_traffic_catches_up_after_a_restart(network: Network) -> None:
    sd = network.local.node("SD")
    sd.stop()
    try:
        listed = [list_public_credit(network) for _ in range(2)]
        network.actors.wait_listing("ZJ", listed[0].listing_id)
        network.actors.request_and_grant("ZJ", network.cast.licensee, listed[0], "e2e while away")
        with pytest.raises(OSError):  # SD's node is away
            network.actors.listing("SD", listed[0].listing_id)
    finally:
        sd.start()
    network.local.wait_ready(sd)
    for item in listed:
        until_granted = (lambda p: p["licence_count"] == 1) if item is listed[0] else None
        page = network.actors.wait_listing(
            "SD", item.listing_id, until=until_granted or (lambda p: True)
        )
        assert page == network.actors.listing("SH", item.listing_id)


def test_every_index_is_the_same_and_equals_the_chain(network: Network) -> None:
    block = network.actors.wait_indexed()
    digests = {}
    for org in ORGANISATIONS:
        node = network.local.plan.node(org)
        store = open_store(f"sqlite:///{node.database_path}")
        try:
            cursor = store.cursor()
            assert cursor is not None and cursor.block_number >= block
            digests[org] = store.digest().hexdigest
        finally:
            store.close()
    assert len(set(digests.values())) == 1, digests
    sd = network.local.plan.node("SD")  # the node that was away re-derives equal from the chain
    verified = subprocess.run(
        [sys.executable, "-m", "onelist.cli", "node", "verify", "--config", str(sd.config_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "verified" in verified.stdout
