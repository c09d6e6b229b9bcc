"""benchmarks/eventgen.py: real events through the real contracts, and the shortcuts it takes.

The generator skips eth-account and eth-abi on its hot path (its own legacy-transaction signer,
ABI encoder and EIP-712 digest), so each shortcut is checked here against the library it
replaces; then a small run on the session chain must leave at least the events it claims.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from web3 import Web3

from benchmarks import eventgen
from benchmarks.eventgen import (
    GenerationError,
    Signer,
    abi_type,
    generate_events,
    record_values,
    sign_legacy,
    terms_values,
    typed_digest,
)
from onelist import eip712
from onelist.build.compiler import Artifact
from onelist.catalogue import decode_catalogue
from onelist.chain.connection import dev_private_keys
from onelist.chain.deployment import CONTRACTS, Deployment, deploy
from onelist.chain.founding import Founding, load_founding
from onelist.chain.samples import sample_record, sample_terms
from onelist.codes import exchange_code
from onelist.records import RECORD_ABI, TERMS_ABI, record_tuple, terms_tuple

KEY = bytes.fromhex(dev_private_keys()[5][2:])
VERIFIER = "0x" + "ab" * 20
RECORD = sample_record(Account.from_key(KEY).address, "eventgen")
TERMS = sample_terms(b"\x01" * 32, 1, Account.from_key(KEY).address, exchange_code("SH"), 10**9)


@pytest.fixture(params=["coincurve", "eth-keys"])
def signer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Signer:
    """The same key, signing with libsecp256k1 and with eth-keys' own backend."""
    if request.param == "eth-keys":
        monkeypatch.setattr(eventgen, "_coincurve", None)
    signer = Signer(KEY)
    if request.param == "coincurve" and not signer.fast:
        pytest.skip("coincurve is not installed")
    return signer


def test_a_legacy_transaction_is_signed_as_eth_account_signs_it(signer: Signer) -> None:
    tx: dict[str, Any] = {
        "nonce": 7,
        "gasPrice": 2_000_000_000,
        "gas": 400_000,
        "to": "0x" + "11" * 20,
        "value": 5,
        "data": b"\x01\x02" * 300,
        "chainId": 31337,
    }
    expected = Account.sign_transaction(tx, KEY)
    raw, tx_hash = sign_legacy(
        signer,
        nonce=7,
        gas_price=2_000_000_000,
        gas=400_000,
        to=bytes.fromhex("11" * 20),
        data=b"\x01\x02" * 300,
        chain_id=31337,
        value=5,
    )
    assert raw == bytes(expected.raw_transaction)
    assert tx_hash == bytes(expected.hash)


@pytest.mark.parametrize(
    ("primary", "message"),
    [
        pytest.param(
            "ListingAuthorization",
            {
                "listingId": RECORD["fingerprint"],
                "version": 1,
                "homeExchange": exchange_code("SH"),
                "manifestHash": RECORD["manifestHash"],
                "fingerprint": RECORD["fingerprint"],
                "catalogueHash": b"\x22" * 32,
                "policy": RECORD["policy"],
                "deadline": 10**9,
            },
            id="a listing authorization, with its nested policy, hashes as eth-account hashes it",
        ),
        pytest.param(
            "LicenceAcceptance", TERMS, id="a licence acceptance hashes as eth-account hashes it"
        ),
        pytest.param(
            "LicenceTermination",
            {"licenceId": b"\x33" * 32, "deadline": 12345},
            id="a termination hashes as eth-account hashes it",
        ),
    ],
)
def test_typed_digest_equals_eip712_digest(primary: str, message: dict[str, Any]) -> None:
    assert typed_digest(primary, message, 31337, VERIFIER) == eip712.digest(
        primary, message, 31337, VERIFIER
    )


def test_a_typed_signature_is_the_one_eip712_sign_makes(signer: Signer) -> None:
    digest = typed_digest("LicenceAcceptance", TERMS, 1337, VERIFIER)
    assert signer.sign_typed(digest) == eip712.sign("LicenceAcceptance", TERMS, 1337, VERIFIER, KEY)


@pytest.mark.parametrize(
    ("types", "values"),
    [
        pytest.param(
            [RECORD_ABI, "bytes", "uint64", "bytes"],
            [record_tuple(RECORD), "目录".encode() * 50, 10**9, b"\x05" * 65],
            id="list: a static struct then dynamic bytes",
        ),
        pytest.param(
            [TERMS_ABI, RECORD_ABI, "bytes"],
            [terms_tuple(TERMS), record_tuple(RECORD), b"\x07" * 65],
            id="grant: two static structs and a signature",
        ),
        pytest.param(
            ["uint8", "bytes"], [4, b""], id="propose: empty bytes still take a length word"
        ),
        pytest.param(
            ["uint8", "bytes32", "uint16", "bytes32", "uint64"],
            [2, b"\x09" * 32, 101, b"\x0a" * 32, 2**64 - 1],
            id="suspend: only static words",
        ),
        pytest.param(
            ["bytes8", "string", "uint32", "address", "bool"],
            [exchange_code("BJ"), "北京国际大数据交易所", 110000, "0x" + "cd" * 20, True],
            id="a string and a short fixed bytes value",
        ),
    ],
)
def test_the_fast_abi_encoder_equals_eth_abi(types: list[str], values: list[Any]) -> None:
    fast = abi_type("(" + ",".join(types) + ")")
    assert fast is not None
    assert fast.encode(values) == encode(types, values)


@pytest.mark.parametrize(
    ("typ", "value"),
    [
        pytest.param("uint8", 256, id="a uint8 of 256 is refused"),
        pytest.param("uint64", -1, id="a negative uint is refused"),
        pytest.param("bytes8", b"\x01" * 9, id="nine bytes do not fit a bytes8"),
        pytest.param("address", "0x1234", id="a short address is refused"),
    ],
)
def test_the_fast_abi_encoder_refuses_what_does_not_fit(typ: str, value: Any) -> None:
    encoder = abi_type(typ)
    assert encoder is not None
    with pytest.raises(ValueError):
        encoder.encode(value)


def test_record_and_terms_values_are_the_records_module_tuples() -> None:
    assert record_values(RECORD) == record_tuple(RECORD)
    assert terms_values(TERMS) == terms_tuple(TERMS)


# --------------------------------------------------------------------------- on a chain


@pytest.fixture(scope="module")
def founding(repo_root: Any) -> Founding:
    return load_founding(repo_root / "config" / "consortium.example.toml")


@pytest.fixture(scope="module")
def generated(
    w3: Web3, founding: Founding, artifacts: dict[str, Artifact]
) -> tuple[Deployment, eventgen.GeneratedStats]:
    """A deployment of its own on the session chain, with about 300 events made on it."""
    deployment = deploy(w3, founding, dev_private_keys()[0], artifacts)
    return deployment, generate_events(w3, deployment, 300, seed=7)


def test_a_small_run_makes_at_least_the_events_asked_for_and_the_chain_holds_them(
    w3: Web3, generated: tuple[Deployment, eventgen.GeneratedStats]
) -> None:
    deployment, stats = generated
    assert 300 <= stats.events < 450
    assert sum(stats.events_by_name.values()) == stats.events
    assert stats.transactions > 0 and stats.blocks > 0
    logs = w3.eth.get_logs(
        {
            "fromBlock": stats.first_block,
            "toBlock": stats.last_block,
            "address": [deployment.address(name) for name in CONTRACTS],
        }
    )
    assert len(logs) == stats.events


def test_the_events_are_a_realistic_mix(
    w3: Web3, generated: tuple[Deployment, eventgen.GeneratedStats], artifacts: dict[str, Artifact]
) -> None:
    deployment, stats = generated
    made = Counter(stats.events_by_name)
    for name in (
        "ExchangeAdmitted",
        "RegulatorAdded",
        "OperatorAdded",
        "ParticipantRegistered",
        "ProposalCreated",
        "VoteCast",
        "ProposalExecuted",
        "Listed",
        "LicenceGranted",
        "LicenceRevoked",
        "Suspended",
        "Reinstated",
    ):
        assert made[name] > 0, f"no {name} among {dict(made)}"
    assert made["LicenceGranted"] > made["Listed"]
    registry = w3.eth.contract(
        address=deployment.address("ListingRegistry"), abi=artifacts["ListingRegistry"].abi
    )
    listed = registry.events.Listed().get_logs(
        from_block=stats.first_block, to_block=stats.last_block
    )
    titles = {decode_catalogue(e["args"]["catalogue"])["title"] for e in listed}
    assert len(titles) > 5
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in title) for title in titles)


def test_a_seed_is_used_once_per_deployment(
    w3: Web3, generated: tuple[Deployment, eventgen.GeneratedStats]
) -> None:
    deployment, _ = generated
    with pytest.raises(GenerationError, match="seed 7 was used"):
        generate_events(w3, deployment, 10, seed=7)
