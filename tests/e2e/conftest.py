"""One local consortium for the end-to-end tests: a real chain, the contracts, and a real
``onelist node run`` process for each of SH, ZJ, SD and the national regulator, started by the
same supervisor ``onelist up`` uses. Started once per session (about ten seconds); the tests
share it and each lists products of its own, so their order matters only where a test says so.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account

from listing.manifest import Manifest, manifest_from_data
from onelist.build.compiler import repo_root
from onelist.chain.launcher import BACKENDS
from onelist.network.demo import Actors, DemoCast
from onelist.network.scenario import as_local_manifest
from onelist.network.supervisor import LocalConsortium

EXCHANGES = ("SH", "ZJ", "SD")
ORGANISATIONS = (*EXCHANGES, "regulator")
_seeds = itertools.count()


@dataclass
class Network:
    """The running consortium, the actions on it, and who acts."""

    local: LocalConsortium
    actors: Actors
    cast: DemoCast

    def product(self, name: str, provider_key: str, home: str = "SH") -> Manifest:
        """A fresh product (its own dataset fingerprint) from ``examples/manifests/<name>``."""
        seed = f"{name}:{next(_seeds)}:{time.time_ns()}"
        path = repo_root() / "examples" / "manifests" / f"{name}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        local = as_local_manifest(document, Account.from_key(provider_key).address, home, EXCHANGES)
        local["fingerprint"] = "0x" + hashlib.sha256(seed.encode()).hexdigest()
        local["product_ref"] = f"{document['product_ref']}-{next(_seeds)}"
        return manifest_from_data(local)


def _backend() -> str:
    backend = os.environ.get("ONELIST_TEST_CHAIN", "ganache")
    assert backend in BACKENDS, backend
    return backend


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    local = LocalConsortium(
        data_dir,
        founding_path=repo_root() / "config" / "consortium.example.toml",
        backend=_backend(),  # type: ignore[arg-type]
        chain_port=0,
        node_port=0,
    )
    with local:
        assert local.deployment is not None
        actors = Actors(local.plan, local.deployment)
        cast = DemoCast.from_dev_keys()
        a, b, licensee = (
            Account.from_key(k).address for k in (cast.provider_a, cast.provider_b, cast.licensee)
        )
        actors.register("SH", a, ["provider"], "e2e provider A")
        actors.register("ZJ", b, ["provider"], "e2e provider B")
        actors.register("SD", licensee, ["licensee"], "e2e licensee")
        actors.wait_indexed()
        yield Network(local, actors, cast)
