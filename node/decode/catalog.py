"""Every event the node reads, by (contract address, topic0), with its decoder built once.

The indexer decodes tens of thousands of logs a second, so everything that depends only on the
ABI is done here, at start-up: the event signatures and their topic0, the decoder of each
event's data (:mod:`node.decode.layout`), and one value converter per argument
(:mod:`node.decode.values`).
Decoding a log is then a dictionary lookup and a call (web3's ``contract.events`` decoder parses
the ABI again for every log and is several times slower).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from node.decode.layout import DataDecoder, compile_decoder
from node.decode.values import Converter, data_converter, topic_converter
from onelist.chain.revert import canonical_type

if TYPE_CHECKING:
    from onelist.build.compiler import Artifact
    from onelist.chain.deployment import Deployment


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event of one contract, ready to decode."""

    contract: str
    name: str
    signature: str  # e.g. "Delisted(bytes32,address,bytes8,uint16,bytes32,uint64)"
    topic0: bytes
    indexed: tuple[tuple[str, str], ...]  # (name, type) of the indexed arguments, in order
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    decode_data: DataDecoder
    topic_converters: tuple[Converter, ...]
    data_converters: tuple[Converter, ...]
    order: tuple[tuple[str, bool, int], ...]  # every argument in ABI order: (name, indexed, i)

    @classmethod
    def from_abi(cls, contract: str, item: Mapping[str, Any]) -> EventSpec:
        """The spec of an ABI ``event`` entry."""
        inputs: list[Mapping[str, Any]] = list(item.get("inputs", []))
        name = str(item["name"])
        signature = f"{name}({','.join(canonical_type(p) for p in inputs)})"
        indexed = [p for p in inputs if p.get("indexed")]
        data = [p for p in inputs if not p.get("indexed")]
        order: list[tuple[str, bool, int]] = []
        counts = [0, 0]
        for p in inputs:
            is_indexed = bool(p.get("indexed"))
            order.append((str(p["name"]), is_indexed, counts[is_indexed]))
            counts[is_indexed] += 1
        data_types = tuple(canonical_type(p) for p in data)
        return cls(
            contract=contract,
            name=name,
            signature=signature,
            topic0=keccak(text=signature),
            indexed=tuple((str(p["name"]), canonical_type(p)) for p in indexed),
            data_names=tuple(str(p["name"]) for p in data),
            data_types=data_types,
            decode_data=compile_decoder(data_types),
            topic_converters=tuple(topic_converter(p) for p in indexed),
            data_converters=tuple(data_converter(p) for p in data),
            order=tuple(order),
        )


class EventCatalog:
    """The events of the deployment's contracts, keyed by (lower-case address, topic0)."""

    __slots__ = ("_by_address", "_contracts", "_specs")

    def __init__(self, specs: Mapping[tuple[str, bytes], EventSpec], contracts: Mapping[str, str]):
        self._specs = dict(specs)
        self._contracts = dict(contracts)  # lower-case address → contract name
        self._by_address: dict[str, dict[bytes, EventSpec]] = {a: {} for a in self._contracts}
        for (address, topic0), spec in self._specs.items():
            self._by_address[address][topic0] = spec

    @classmethod
    def from_abis(
        cls, abis: Mapping[str, Sequence[Mapping[str, Any]]], addresses: Mapping[str, str]
    ) -> EventCatalog:
        """The catalog of the contracts in ``addresses`` (name → address), ABIs from ``abis``.

        Anonymous events have no topic0 to look them up by and are left out (ours have none).
        """
        missing = sorted(set(addresses) - set(abis))
        if missing:
            raise ValueError(f"no ABI for {', '.join(missing)}")
        specs: dict[tuple[str, bytes], EventSpec] = {}
        contracts: dict[str, str] = {}
        for contract, address in addresses.items():
            key = address.lower()
            if key in contracts:
                raise ValueError(f"{contract} and {contracts[key]} share the address {address}")
            contracts[key] = contract
            for item in abis[contract]:
                if item.get("type") == "event" and not item.get("anonymous", False):
                    spec = EventSpec.from_abi(contract, item)
                    specs[(key, spec.topic0)] = spec
        return cls(specs, contracts)

    @classmethod
    def from_deployment(
        cls, deployment: Deployment, artifacts: Mapping[str, Artifact]
    ) -> EventCatalog:
        """The catalog of a deployment's contracts, with the ABIs of their compiled artifacts."""
        addresses = {name: c.address for name, c in deployment.contracts.items()}
        return cls.from_abis({name: artifacts[name].abi for name in addresses}, addresses)

    def contract_at(self, address: str) -> str | None:
        """The contract name at ``address`` (any spelling), or None."""
        return self._contracts.get(address.lower())

    def events_of(self, address: str) -> Mapping[bytes, EventSpec] | None:
        """The specs of the contract at ``address`` by topic0, or None if it is not ours."""
        return self._by_address.get(address.lower())

    def lookup(self, address: str, topic0: bytes) -> EventSpec | None:
        return self._specs.get((address.lower(), topic0))

    @property
    def addresses(self) -> list[str]:
        """The contracts' addresses (lower case), e.g. for an ``eth_getLogs`` filter."""
        return list(self._contracts)

    def __iter__(self) -> Iterator[EventSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)
