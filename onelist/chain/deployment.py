"""Deploying the consortium's contracts, and the deployment record nodes read.

The three contracts refer to each other through immutables, so their addresses are computed
before deployment from the deployer's nonce (CREATE addresses are keccak(rlp(sender, nonce))):
no contract needs an owner to be wired up afterwards, and none keeps one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import rlp
from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from onelist.build.compiler import Artifact, load_artifacts
from onelist.chain.connection import send_transaction
from onelist.chain.founding import Founding, constructor_args
from onelist.errors import ConfigError, ToolchainError

#: Deployment order; the addresses are predicted from consecutive nonces in this order.
CONTRACTS = ("Consortium", "ListingRegistry", "LicenceRegistry")
RECORD_VERSION = 1


def create_address(sender: str, nonce: int) -> str:
    """The address a CREATE from ``sender`` at ``nonce`` deploys to."""
    raw = keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:]
    return to_checksum_address(raw)


def abi_sha256(abi: list[dict[str, Any]]) -> str:
    canonical = json.dumps(abi, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class DeployedContract:
    address: str
    abi_sha256: str
    transaction: str
    block: int


@dataclass(frozen=True)
class Deployment:
    """What a node needs to find and trust the consortium's contracts."""

    chain_id: int
    deployer: str
    block: int  # the first block that holds a consortium event
    block_hash: str
    founding_sha256: str
    deployed_at: int
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    version: int = RECORD_VERSION

    def address(self, name: str) -> ChecksumAddress:
        return to_checksum_address(self.contracts[name].address)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "deployment record") -> Deployment:
        try:
            doc = json.loads(text)
            contracts = {
                name: DeployedContract(**entry) for name, entry in doc.pop("contracts").items()
            }
            missing = [name for name in CONTRACTS if name not in contracts]
            if missing:
                raise ConfigError(f"missing contracts: {', '.join(missing)}", where=where)
            return cls(contracts=contracts, **doc)
        except (json.JSONDecodeError, TypeError, KeyError, AttributeError) as exc:
            raise ConfigError(f"not a onelist deployment record ({exc})", where=where) from None

    def check_abis(self, artifacts: dict[str, Artifact]) -> None:
        """Refuse to run against contracts whose ABI is not the one this code was built with."""
        for name, deployed in self.contracts.items():
            if abi_sha256(artifacts[name].abi) != deployed.abi_sha256:
                raise ConfigError(
                    f"{name} at {deployed.address} was deployed with another ABI; "
                    "rebuild from the matching sources or redeploy",
                    where="deployment record",
                )


def save_deployment(deployment: Deployment, path: Path) -> None:
    """Write the record atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".deployment-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(deployment.to_json())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_deployment(path: Path) -> Deployment:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the deployment record: {exc.strerror} (run `onelist deploy` first)",
            where=str(path),
        ) from None
    return Deployment.from_json(text, where=str(path))


def deploy(
    w3: Web3,
    founding: Founding,
    deployer_key: bytes | str,
    artifacts: dict[str, Artifact] | None = None,
) -> Deployment:
    """Deploy Consortium, ListingRegistry and LicenceRegistry with ``founding`` members."""
    artifacts = artifacts or load_artifacts()
    deployer = Account.from_key(deployer_key).address
    nonce = w3.eth.get_transaction_count(deployer, "pending")
    predicted = {name: create_address(deployer, nonce + i) for i, name in enumerate(CONTRACTS)}
    args: dict[str, tuple[Any, ...]] = {
        "Consortium": constructor_args(
            founding, predicted["ListingRegistry"], predicted["LicenceRegistry"]
        ),
        "ListingRegistry": (predicted["Consortium"], predicted["LicenceRegistry"]),
        "LicenceRegistry": (predicted["Consortium"], predicted["ListingRegistry"]),
    }
    deployed: dict[str, DeployedContract] = {}
    first_block: tuple[int, str] | None = None
    for name in CONTRACTS:
        artifact = artifacts[name]
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = send_transaction(w3, factory.constructor(*args[name]), deployer_key)
        address = receipt["contractAddress"]
        if address is None or to_checksum_address(address) != predicted[name]:
            raise ToolchainError(
                f"{name} was deployed at {address}, not at {predicted[name]}: another "
                f"transaction from {deployer} interleaved; deploy again from an idle account"
            )
        if first_block is None:
            first_block = (receipt["blockNumber"], receipt["blockHash"].to_0x_hex())
        deployed[name] = DeployedContract(
            address=predicted[name],
            abi_sha256=abi_sha256(artifact.abi),
            transaction=receipt["transactionHash"].to_0x_hex(),
            block=receipt["blockNumber"],
        )
    assert first_block is not None
    return Deployment(
        chain_id=w3.eth.chain_id,
        deployer=deployer,
        block=first_block[0],
        block_hash=first_block[1],
        founding_sha256=founding.source_sha256,
        deployed_at=int(time.time()),
        contracts=deployed,
    )
