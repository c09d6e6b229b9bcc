"""A manifest's on-chain projection: ids, policy, the EIP-712 message and its signature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings

from listing.errors import ManifestError, SigningError
from listing.hashing import manifest_hash_bytes
from listing.manifest import Manifest, load_manifest, manifest_from_data
from listing.onchain import (
    ZERO32,
    catalogue_bytes,
    grants_bitmask,
    listing_authorization,
    listing_id,
    policy_of,
    to_json,
)
from listing.signing import recover_signer, sign_listing
from onelist import eip712
from onelist.catalogue import decode_catalogue
from tests.unit.listing.json_values import mutated_manifests
from tests.unit.listing.manifests import DELETE, document, edited, h

EXAMPLES = Path(__file__).parents[3] / "examples" / "manifests"
INDEXES = {"SH": 0, "BJ": 1, "SZ": 2, "GZ": 3, "ZJ": 4, "JS": 5}
TRAFFIC_KEY = bytes(keccak(text="onelist example provider: traffic-od"))
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def example(name: str) -> Manifest:
    return load_manifest(EXAMPLES / name)


FINGERPRINT = "0x" + "ab" * 32
LISTING = "0x" + "cd" * 32


@pytest.mark.parametrize(
    ("version", "named", "expected"),
    [
        pytest.param(1, None, FINGERPRINT, id="version 1 is listed under its own fingerprint"),
        pytest.param(1, FINGERPRINT, FINGERPRINT, id="version 1 may name its fingerprint"),
        pytest.param(2, LISTING, LISTING, id="a later version keeps the listing it names"),
    ],
)
def test_the_listing_id_is_the_first_versions_fingerprint(
    version: int, named: str | None, expected: str
) -> None:
    manifest = example("traffic-od.json").model_copy(
        update={"version": version, "listing_id": named, "fingerprint": FINGERPRINT}
    )
    assert listing_id(manifest) == bytes.fromhex(expected[2:])


def test_the_policy_has_the_contracts_fields_in_order() -> None:
    policy = policy_of(example("public-credit.json"))
    assert list(policy) == [name for name, _ in eip712.POLICY_FIELDS]


def test_the_policy_of_the_od_example() -> None:
    manifest = example("traffic-od.json")
    assert policy_of(manifest, INDEXES) == {
        "grade": 0,
        "openClass": 0,
        "personalInfo": 3,
        "piFlags": 1,
        "consentEvidence": bytes.fromhex(
            manifest.evidence.consent_or_anonymisation_report.hash[2:]  # type: ignore[union-attr]
        ),
        "riskAssessment": ZERO32,
        "authorisationId": ZERO32,
        "purposes": (1 << 5) | (1 << 4) | (1 << 0),
        "maxTermDays": 365,
        "territory": 0,
        "onwardTransfer": 0,
        "modelTraining": False,
        "deliveryModes": 4 | 8,
        "grantingExchanges": (1 << 2) | (1 << 0) | (1 << 3),
        "priceFloorFen": 36000000,
    }


def test_the_policy_of_the_public_data_example() -> None:
    policy = policy_of(example("public-credit.json"))
    assert policy["openClass"] == 2
    assert policy["authorisationId"] == keccak("沪公数授运〔2025〕第007号".encode())
    assert policy["grantingExchanges"] == 0
    assert policy["consentEvidence"] == ZERO32


def test_the_policy_of_the_important_example() -> None:
    manifest = example("industrial-telemetry.json")
    policy = policy_of(manifest, INDEXES)
    assert policy["grade"] == 1
    assert policy["riskAssessment"] == bytes.fromhex(
        manifest.evidence.risk_assessment.hash[2:]  # type: ignore[union-attr]
    )
    assert policy["modelTraining"] is True
    assert policy["grantingExchanges"] == (1 << 0) | (1 << 4) | (1 << 5)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {
                "personal_information.status": "identifiable",
                "evidence.consent_or_anonymisation_report": document("report"),
                "evidence.separate_consent": document("separate"),
            },
            h("report"),
            id="consent evidence is the consent report when there is one",
        ),
        pytest.param(
            {
                "personal_information.status": "identifiable",
                "evidence.consent_or_anonymisation_report": DELETE,
                "evidence.separate_consent": document("separate"),
            },
            h("separate"),
            id="else the separate consent",
        ),
        pytest.param({}, "0x" + "00" * 32, id="else zero"),
    ],
)
def test_consent_evidence(changes: dict[str, Any], expected: str) -> None:
    policy = policy_of(manifest_from_data(edited(changes)))
    assert policy["consentEvidence"] == bytes.fromhex(expected[2:])


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param((False, False), 0, id="no flags"),
        pytest.param((True, False), 1, id="sensitive is bit 0"),
        pytest.param((False, True), 2, id="under 14 is bit 1"),
        pytest.param((True, True), 3, id="both"),
    ],
)
def test_pi_flags(flags: tuple[bool, bool], expected: int) -> None:
    changes = {
        "personal_information.status": "identifiable",
        "personal_information.sensitive": flags[0],
        "personal_information.under_14": flags[1],
    }
    assert policy_of(manifest_from_data(edited(changes)))["piFlags"] == expected


GRANTS = [
    pytest.param("all", None, 0, id="all is zero, with or without an index table"),
    pytest.param(["SH"], {"SH": 0}, 1, id="index 0 is bit 0"),
    pytest.param(["SH", "BJ"], {"SH": 7, "BJ": 255}, (1 << 7) | (1 << 255), id="index 255"),
]


@pytest.mark.parametrize(("granting", "indexes", "mask"), GRANTS)
def test_granting_exchanges_bitmask(
    granting: Any, indexes: dict[str, int] | None, mask: int
) -> None:
    assert grants_bitmask(granting, indexes) == mask


@pytest.mark.parametrize(
    ("granting", "indexes", "where"),
    [
        pytest.param(["SH"], None, "usage.granting_exchanges[0]", id="a list needs an index table"),
        pytest.param(
            ["SH", "XX"], {"SH": 0}, "usage.granting_exchanges[1]", id="an unknown exchange"
        ),
        pytest.param(["SH"], {"SH": 256}, "usage.granting_exchanges[0]", id="index 256"),
        pytest.param(["SH"], {"SH": -1}, "usage.granting_exchanges[0]", id="a negative index"),
    ],
)
def test_granting_exchanges_refused(
    granting: list[str], indexes: dict[str, int] | None, where: str
) -> None:
    with pytest.raises(SigningError) as caught:
        grants_bitmask(granting, indexes)
    assert caught.value.where == where


def test_the_listing_authorization_message() -> None:
    manifest = example("traffic-od.json")
    catalogue = catalogue_bytes(manifest)
    message = listing_authorization(
        manifest, manifest_hash_bytes(manifest), catalogue, 1_800_000_000, INDEXES
    )
    assert list(message) == [name for name, _ in eip712.TYPES["ListingAuthorization"]]
    assert message["listingId"] == bytes.fromhex(manifest.fingerprint[2:])
    assert message["version"] == 1
    assert message["homeExchange"] == b"SZ\0\0\0\0\0\0"
    assert message["fingerprint"] == bytes.fromhex(manifest.fingerprint[2:])
    assert message["catalogueHash"] == keccak(catalogue)
    assert message["deadline"] == 1_800_000_000
    assert decode_catalogue(catalogue) == manifest.catalogue.model_dump(
        mode="json", exclude_none=True
    )


def test_a_deadline_beyond_uint64_is_refused() -> None:
    manifest = example("public-credit.json")
    with pytest.raises(SigningError, match="uint64"):
        listing_authorization(manifest, bytes(32), b"\x01", 2**64)


def test_to_json_writes_bytes_as_hex() -> None:
    assert to_json({"a": b"\x01\x02", "b": [b"\xff"], "c": 3}) == {
        "a": "0x0102",
        "b": ["0xff"],
        "c": 3,
    }


def sign(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "chain_id": 31337,
        "registry": REGISTRY,
        "deadline": 1_800_000_000,
        "exchange_indexes": INDEXES,
    }
    arguments.update(overrides)
    return sign_listing(example("traffic-od.json"), TRAFFIC_KEY, **arguments)


def test_a_signature_recovers_to_the_provider() -> None:
    document_ = sign()
    assert document_["signer"] == example("traffic-od.json").provider
    assert recover_signer(document_) == document_["signer"]
    # The JSON file form is what submission will send; it still recovers.
    assert recover_signer(json.loads(json.dumps(document_))) == document_["signer"]


def test_the_signature_is_over_the_contracts_digest() -> None:
    document_ = sign()
    digest = eip712.digest("ListingAuthorization", document_["message"], 31337, REGISTRY)
    signature = bytes.fromhex(document_["signature"][2:])
    from eth_keys.datatypes import Signature

    key = Signature(signature[:64] + bytes([signature[64] - 27]))
    recovered = key.recover_public_key_from_msg_hash(digest).to_checksum_address()
    assert recovered == document_["signer"]


@pytest.mark.parametrize(
    "domain_change",
    [
        pytest.param({"chainId": 1}, id="a signature for another chain does not recover"),
        pytest.param(
            {"verifyingContract": "0x" + "11" * 20},
            id="a signature for another registry does not recover",
        ),
    ],
)
def test_a_signature_is_bound_to_its_chain_and_contract(domain_change: dict[str, Any]) -> None:
    document_ = sign()
    moved = {**document_, "domain": {**document_["domain"], **domain_change}}
    assert recover_signer(moved) != document_["signer"]


def test_a_signature_is_bound_to_its_deadline() -> None:
    document_ = sign()
    moved = {**document_, "message": {**document_["message"], "deadline": 1_900_000_000}}
    assert recover_signer(moved) != document_["signer"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        pytest.param({"chain_id": 0}, "chain id", id="chain id zero is refused"),
        pytest.param({"registry": "0x1234"}, "not an address", id="a short registry address"),
        pytest.param({"exchange_indexes": None}, "index table", id="a granting list, no table"),
    ],
)
def test_signing_refuses_bad_arguments(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SigningError, match=fragment):
        sign(**overrides)


def test_only_the_providers_key_signs() -> None:
    with pytest.raises(SigningError, match="provider"):
        sign_listing(
            example("traffic-od.json"),
            bytes(Account.create().key),
            chain_id=31337,
            registry=REGISTRY,
            deadline=1_800_000_000,
            exchange_indexes=INDEXES,
        )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_manifests())
def test_whatever_loads_projects_onto_the_chain(value: Any) -> None:
    try:
        manifest = manifest_from_data(value)
    except ManifestError:
        return
    granting = manifest.usage.granting_exchanges
    indexes = {} if granting == "all" else {code: i for i, code in enumerate(granting)}
    catalogue = catalogue_bytes(manifest)
    message = listing_authorization(
        manifest, manifest_hash_bytes(manifest), catalogue, 1_800_000_000, indexes
    )
    for name, typ in eip712.POLICY_FIELDS:
        field = message["policy"][name]
        if typ.startswith("uint"):
            assert 0 <= field < 2 ** int(typ[4:])
        elif typ == "bytes32":
            assert len(field) == 32
