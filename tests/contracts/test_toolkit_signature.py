"""A listing prepared and signed with the provider toolkit is accepted by the ListingRegistry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from listing.hashing import manifest_hash_bytes
from listing.manifest import Manifest, load_manifest
from listing.onchain import catalogue_bytes, listing_id, policy_of
from listing.signing import sign_listing
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import send_transaction
from onelist.records import record_tuple

from .conftest import Actors, reverts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "manifests"


def indexes(client: ConsortiumClient) -> dict[str, int]:
    """The deployed exchanges' indexes, plus the other exchanges the examples name (SZ, GZ, JS):
    members of a larger consortium than the example TOML's three, given unused indexes."""
    return {"SZ": 10, "GZ": 11, "JS": 12, **client.exchange_indexes()}


def provider_manifest(actors: Actors, name: str = "traffic-od.json") -> Manifest:
    example = load_manifest(EXAMPLES / name)
    return example.model_copy(update={"provider": actors.provider.address, "home_exchange": "SH"})


def record_of(manifest: Manifest, indexes: dict[str, int]) -> dict[str, Any]:
    return {
        "provider": manifest.provider,
        "version": manifest.version,
        "manifestHash": manifest_hash_bytes(manifest),
        "fingerprint": bytes.fromhex(manifest.fingerprint[2:]),
        "policy": policy_of(manifest, indexes),
    }


def submit(
    client: ConsortiumClient, actors: Actors, manifest: Manifest, document: dict[str, Any]
) -> Any:
    record = record_of(manifest, indexes(client))
    fn = client.listings.functions.list(
        record_tuple(record),
        catalogue_bytes(manifest),
        document["message"]["deadline"],
        bytes.fromhex(document["signature"][2:]),
    )
    return send_transaction(client.w3, fn, actors.sh.key)


@pytest.mark.parametrize(
    "name", ["traffic-od.json", "public-credit.json", "industrial-telemetry.json"]
)
def test_a_toolkit_signature_lists_the_example_on_chain(
    world: ConsortiumClient, actors: Actors, name: str
) -> None:
    manifest = provider_manifest(actors, name)
    document = sign_listing(
        manifest,
        bytes.fromhex(actors.provider.key[2:]),
        chain_id=world.chain_id,
        registry=world.listings.address,
        deadline=world.deadline(),
        exchange_indexes=indexes(world),
    )
    receipt = submit(world, actors, manifest, document)
    (event,) = world.listings.events.Listed().process_receipt(receipt)
    assert event["args"]["listingId"] == listing_id(manifest)
    assert event["args"]["catalogue"] == catalogue_bytes(manifest)
    assert keccak(event["args"]["catalogue"]) == keccak(catalogue_bytes(manifest))


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("chain", id="a signature for another chain id is refused"),
        pytest.param("contract", id="a signature for another contract is refused"),
    ],
)
def test_a_toolkit_signature_for_elsewhere_is_refused(
    world: ConsortiumClient, actors: Actors, where: str
) -> None:
    manifest = provider_manifest(actors)
    document = sign_listing(
        manifest,
        bytes.fromhex(actors.provider.key[2:]),
        chain_id=world.chain_id + (1 if where == "chain" else 0),
        registry=world.licences.address if where == "contract" else world.listings.address,
        deadline=world.deadline(),
        exchange_indexes=indexes(world),
    )
    with reverts("ListingRegistryInvalidSignature"):
        submit(world, actors, manifest, document)
