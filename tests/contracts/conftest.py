"""The consortium deployed once per session, with named actors, and helpers for contract tests.

Every test that changes the chain takes ``snapshot`` (directly or through ``world``), so each
starts from the same deployment: SH, ZJ and SD as members, the national regulator, a provider
registered at SH, a second provider at ZJ and a licensee at SD.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from onelist.build.compiler import Artifact
from onelist.catalogue import encode_catalogue
from onelist.chain.client import ConsortiumClient
from onelist.chain.deployment import Deployment, deploy
from onelist.chain.founding import Founding, load_founding
from onelist.chain.revert import TransactionReverted
from onelist.chain.samples import sample_catalogue, sample_record, sample_terms
from onelist.codes import ParticipantRole, exchange_code


@dataclass(frozen=True)
class Actor:
    key: str

    @property
    def address(self) -> str:
        return str(Account.from_key(self.key).address)


@dataclass(frozen=True)
class Actors:
    """Dev accounts by role; indexes 1-4 are the example TOML's operators and regulator."""

    deployer: Actor
    sh: Actor  # operator of 上海数据交易所
    zj: Actor  # operator of 浙江大数据交易中心
    sd: Actor  # operator of 山东数据交易有限公司
    regulator: Actor  # 国家数据局 (national)
    provider: Actor  # registered at SH
    provider2: Actor  # registered at ZJ
    licensee: Actor  # registered at SD
    outsider: Actor  # holds no role
    spare: tuple[Actor, ...]  # unused accounts, for new operators, exchanges and regulators


@pytest.fixture(scope="session")
def founding(repo_root: Path) -> Founding:
    return load_founding(repo_root / "config" / "consortium.example.toml")


@pytest.fixture(scope="session")
def actors(dev_keys: tuple[str, ...]) -> Actors:
    a = [Actor(k) for k in dev_keys]
    return Actors(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], tuple(a[9:]))


@pytest.fixture(scope="session")
def deployment(
    w3: Web3, founding: Founding, actors: Actors, artifacts: dict[str, Artifact]
) -> Deployment:
    return deploy(w3, founding, actors.deployer.key, artifacts)


@pytest.fixture(scope="session")
def client(w3: Web3, deployment: Deployment, artifacts: dict[str, Artifact]) -> ConsortiumClient:
    return ConsortiumClient(w3, deployment, artifacts)


@pytest.fixture(scope="session")
def registered(client: ConsortiumClient, actors: Actors) -> ConsortiumClient:
    """The deployment with its three participants registered (done once per session)."""
    client.register_participant(actors.sh.key, actors.provider.address, ParticipantRole.provider)
    client.register_participant(actors.zj.key, actors.provider2.address, ParticipantRole.provider)
    client.register_participant(actors.sd.key, actors.licensee.address, ParticipantRole.licensee)
    return client


@pytest.fixture
def world(registered: ConsortiumClient, snapshot: str) -> ConsortiumClient:
    """The registered deployment; whatever the test changes is reverted afterwards."""
    return registered


CATALOGUE = encode_catalogue(sample_catalogue())


def record(
    provider: Actor | str, seed: str = "a", version: int = 1, **policy: Any
) -> dict[str, Any]:
    address = provider.address if isinstance(provider, Actor) else provider
    return sample_record(address, seed, version, **policy)


def listed(
    client: ConsortiumClient,
    actors: Actors,
    seed: str = "a",
    home: str = "SH",
    provider: Actor | None = None,
    **policy: Any,
) -> tuple[bytes, dict[str, Any]]:
    """List a sample product of ``provider`` (default: the SH provider) at ``home``."""
    provider = provider or actors.provider
    operator = {"SH": actors.sh, "ZJ": actors.zj, "SD": actors.sd}[home]
    rec = record(provider, seed, **policy)
    listing_id, _ = client.list(operator.key, provider.key, home, rec, CATALOGUE)
    return listing_id, rec


def terms_for(
    client: ConsortiumClient,
    listing_id: bytes,
    rec: dict[str, Any],
    actors: Actors,
    via: str = "ZJ",
    **overrides: Any,
) -> dict[str, Any]:
    return sample_terms(
        listing_id,
        rec["version"],
        actors.licensee.address,
        exchange_code(via),
        client.now(),
        **overrides,
    )


@contextlib.contextmanager
def reverts(error: str, **expected_args: Any) -> Iterator[list[TransactionReverted]]:
    """Assert the block raises the contract's custom ``error`` (and optionally these args)."""
    caught: list[TransactionReverted] = []
    with pytest.raises(TransactionReverted) as info:
        yield caught
    caught.append(info.value)
    assert info.value.error_name == error, f"expected {error}, got {info.value}"
    names = info.value.revert.arg_names
    for name, value in expected_args.items():
        assert name in names, f"{error} has no argument {name!r} ({names})"
        actual = info.value.error_args[names.index(name)]
        assert actual == value, f"{error}.{name}: expected {value!r}, got {actual!r}"
