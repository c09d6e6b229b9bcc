"""onelist.eip712 and onelist.records agree with the contracts: type strings and typehashes, the
EIP-712 domains, licence ids and record hashes (the last two for random values)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from onelist import eip712
from onelist.chain.client import ConsortiumClient
from onelist.records import (
    POLICY_FIELDS,
    RECORD_FIELDS,
    TERMS_FIELDS,
    record_hash,
    record_tuple,
    terms_tuple,
)

from .conftest import Actors, record

SOURCES = {
    "ListingRegistry": "contracts/listing/ListingRegistry.sol",
    "LicenceRegistry": "contracts/licence/LicenceRegistry.sol",
}

TYPEHASHES = [
    pytest.param("Policy", "ListingRegistry", "POLICY_TYPEHASH", id="Policy"),
    pytest.param(
        "ListingAuthorization",
        "ListingRegistry",
        "LISTING_AUTHORIZATION_TYPEHASH",
        id="ListingAuthorization",
    ),
    pytest.param(
        "LicenceAcceptance",
        "LicenceRegistry",
        "LICENCE_ACCEPTANCE_TYPEHASH",
        id="LicenceAcceptance",
    ),
    pytest.param(
        "LicenceTermination",
        "LicenceRegistry",
        "LICENCE_TERMINATION_TYPEHASH",
        id="LicenceTermination",
    ),
]


def registry(client: ConsortiumClient, name: str) -> Contract:
    return client.listings if name == "ListingRegistry" else client.licences


def test_every_eip712_type_has_a_typehash_on_chain() -> None:
    assert sorted(p.values[0] for p in TYPEHASHES) == sorted(eip712.TYPES)


@pytest.mark.parametrize(("primary", "contract", "constant"), TYPEHASHES)
def test_the_type_string_hashes_to_the_contracts_typehash(
    client: ConsortiumClient, primary: str, contract: str, constant: str
) -> None:
    on_chain = getattr(registry(client, contract).functions, constant)().call()
    assert on_chain == eip712.type_hash(primary) == keccak(text=eip712.type_string(primary))


@pytest.mark.parametrize(("primary", "contract", "constant"), TYPEHASHES)
def test_the_typehash_comment_quotes_the_exact_type_string(
    repo_root: Path, primary: str, contract: str, constant: str
) -> None:
    source = (repo_root / SOURCES[contract]).read_text(encoding="utf-8")
    pattern = rf'/// @dev keccak256\("([^"]+)"\)\s*\n\s*bytes32 public constant {constant}\b'
    match = re.search(pattern, source)
    assert match, f"no type-string comment above {constant}"
    assert match.group(1) == eip712.type_string(primary)


@pytest.mark.parametrize("contract", ["ListingRegistry", "LicenceRegistry"])
def test_the_domain_is_the_one_python_signs_for(client: ConsortiumClient, contract: str) -> None:
    c = registry(client, contract)
    fields, name, version, chain_id, verifying, salt, extensions = c.functions.eip712Domain().call()
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract
    assert (salt, extensions) == (bytes(32), [])
    assert {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": verifying,
    } == eip712.domain(contract, client.chain_id, c.address)


# ----------------------------------------------------------------- struct layouts


def _solidity_struct(repo_root: Path, name: str) -> list[tuple[str, str]]:
    source = (repo_root / "contracts/common/OnelistTypes.sol").read_text(encoding="utf-8")
    body = re.search(rf"struct {name} \{{(.*?)\}}", source, re.DOTALL)
    assert body, f"struct {name} not found"
    fields = re.findall(r"^\s*(\w+) (\w+);", body.group(1), re.MULTILINE)
    return [(field, typ) for typ, field in fields]


@pytest.mark.parametrize(
    ("struct", "python"),
    [
        pytest.param("Policy", POLICY_FIELDS, id="Policy has the EIP-712 fields in order"),
        pytest.param(
            "LicenceTerms",
            TERMS_FIELDS,
            id="LicenceTerms has the LicenceAcceptance fields in order",
        ),
        pytest.param(
            "ListingRecord",
            [(f, "Policy" if f == "policy" else t) for f, t in RECORD_FIELDS],
            id="ListingRecord has the record fields in order",
        ),
    ],
)
def test_the_solidity_structs_match_the_python_definitions(
    repo_root: Path, struct: str, python: list[tuple[str, str]]
) -> None:
    assert _solidity_struct(repo_root, struct) == python


# ----------------------------------------------------------------- random values


def _value(typ: str) -> st.SearchStrategy[Any]:
    if typ.startswith("uint"):
        return st.integers(0, 2 ** int(typ[4:]) - 1)
    if typ.startswith("bytes"):
        size = int(typ[5:])
        return st.binary(min_size=size, max_size=size)
    if typ == "bool":
        return st.booleans()
    if typ == "address":
        return st.binary(min_size=20, max_size=20).map(to_checksum_address)
    raise ValueError(typ)


def _struct(fields: list[tuple[str, str]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: _value(typ) for name, typ in fields})


POLICIES = _struct(POLICY_FIELDS)
RECORDS = st.fixed_dictionaries(
    {
        **{name: _value(typ) for name, typ in RECORD_FIELDS if name != "policy"},
        "policy": POLICIES,
    }
)
TERMS = _struct(TERMS_FIELDS)
RANDOM = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@RANDOM
@given(terms=TERMS)
def test_a_licence_id_is_the_digest_the_licensee_signs(
    client: ConsortiumClient, terms: dict[str, Any]
) -> None:
    on_chain = client.licences.functions.licenceIdOf(terms_tuple(terms)).call()
    assert on_chain == eip712.digest(
        "LicenceAcceptance", terms, client.chain_id, client.licences.address
    )


@RANDOM
@given(rec=RECORDS)
def test_the_record_hash_is_the_one_python_computes(
    client: ConsortiumClient, rec: dict[str, Any]
) -> None:
    assert client.listings.functions.recordHashOf(record_tuple(rec)).call() == record_hash(rec)


def test_sign_signs_the_digest(client: ConsortiumClient, actors: Actors) -> None:
    rec = record(actors.provider)
    message = client.authorization(rec["fingerprint"], "SH", rec, b"\x00{}", 1)
    args = ("ListingAuthorization", message, client.chain_id, client.listings.address)
    signature = eip712.sign(*args, actors.provider.key)
    recovered = Account._recover_hash(eip712.digest(*args), signature=signature)
    assert recovered == actors.provider.address
