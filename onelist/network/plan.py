"""What ``onelist up`` runs for a founding consortium: which nodes, on which ports, with which
files and configuration. Pure: paths are computed, never touched, so the plan is the same on
every machine and a unit test can hold it.

One node per member exchange and one per regulator, in the founding file's order, each with
its own folder ``<data>/nodes/<org>/`` (the folder ``onelist node … --organisation ORG`` uses
by default, so the everyday commands find the same index), its own SQLite index, log file,
keystore and staff accounts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from onelist.chain.founding import Founding
from onelist.errors import ConfigError

__all__ = [
    "DEFAULT_NODE_PORT",
    "NetworkPlan",
    "NodePlan",
    "StaffAccount",
    "node_ports",
    "node_toml",
    "plan_network",
    "regulator_organisation",
    "staff_accounts",
]

#: The first node's HTTP port; the others follow in the founding file's order (SH 8601, ZJ 8602,
#: SD 8603, the regulator 8604 for the example), so the printed URLs stay the same every run.
DEFAULT_NODE_PORT = 8601
#: How often a local node asks the chain's head when caught up: a local chain mines at once and
#: a demo should see a listing at every node within a second.
LOCAL_POLL_INTERVAL = 0.2


@dataclass(frozen=True)
class StaffAccount:
    username: str
    roles: tuple[str, ...]


_EXCHANGE_STAFF = (
    StaffAccount("reviewer", ("reviewer",)),
    StaffAccount("admin", ("admin",)),
    StaffAccount("auditor", ("auditor",)),
)
_REGULATOR_STAFF = (StaffAccount("officer", ("regulator_officer", "auditor")),)


def staff_accounts(is_regulator: bool) -> tuple[StaffAccount, ...]:
    """The staff a local node starts with: an exchange's review desk, registrations and
    auditor; a regulator's officer, who reads the trail and suspends."""
    return _REGULATOR_STAFF if is_regulator else _EXCHANGE_STAFF


def regulator_organisation(index: int, count: int) -> str:
    """The label of the ``index``-th regulator's node in ``up`` (its folder, its line in the
    summary): ``regulator`` when there is one, ``regulator-2``… for further ones. Every one of
    them runs as organisation ``regulator`` (:attr:`NodePlan.node_organisation`)."""
    return "regulator" if count == 1 or index == 0 else f"regulator-{index + 1}"


@dataclass(frozen=True)
class NodePlan:
    """One node of the local consortium."""

    organisation: str  # an exchange code, or "regulator", "regulator-2"… (see node_organisation)
    name: str  # the exchange's or regulator's name, for people
    account: str  # the operator (or regulator) account whose key the node sends with
    port: int
    folder: Path

    @property
    def is_regulator(self) -> bool:
        return self.organisation.startswith("regulator")

    @property
    def node_organisation(self) -> str:
        """What the node's ``organisation`` setting says: the exchange's code, or ``regulator``
        for every regulator. A node knows a regulator's node by that value alone (it opens the
        suspension sender, refuses the review desk); which regulator it is comes from its key,
        so a national and a provincial regulator each send with their own."""
        return "regulator" if self.is_regulator else self.organisation

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.folder / "node.toml"

    @property
    def database_path(self) -> Path:
        return self.folder / "index.db"

    @property
    def log_path(self) -> Path:
        return self.folder / "node.log"

    @property
    def keystore_dir(self) -> Path:
        return self.folder / "keystore"

    @property
    def passphrase_path(self) -> Path:
        return self.folder / "keystore-passphrase"

    @property
    def staff_passwords_path(self) -> Path:
        return self.folder / "staff-passwords"

    @property
    def staff(self) -> tuple[StaffAccount, ...]:
        return staff_accounts(self.is_regulator)


@dataclass(frozen=True)
class NetworkPlan:
    data_dir: Path
    chain_url: str
    deployment_path: Path
    nodes: tuple[NodePlan, ...]

    def node(self, organisation: str) -> NodePlan:
        for plan in self.nodes:
            if plan.organisation == organisation:
                return plan
        raise KeyError(organisation)


def node_ports(base: int, count: int, pick_free: Callable[[], int]) -> list[int]:
    """``count`` consecutive ports from ``base``; ``base`` 0 asks ``pick_free`` for each (tests
    run several consortiums side by side)."""
    if base == 0:
        ports: list[int] = []
        while len(ports) < count:
            port = pick_free()
            if port not in ports:
                ports.append(port)
        return ports
    if not 1024 <= base <= 65535 - count + 1:
        raise ConfigError(
            f"{count} node ports from {base} do not fit in 1024..65535", where="--node-port"
        )
    return [base + i for i in range(count)]


def plan_network(
    founding: Founding, data_dir: Path, chain_url: str, ports: Sequence[int]
) -> NetworkPlan:
    """The nodes of ``founding``: its exchanges, then its regulators, one port each."""
    members: list[tuple[str, str, str]] = [
        (ex.code, ex.name, ex.operator) for ex in founding.exchanges
    ]
    count = len(founding.regulators)
    members += [
        (regulator_organisation(i, count), reg.name, reg.account)
        for i, reg in enumerate(founding.regulators)
    ]
    if len(ports) != len(members):
        raise ConfigError(f"{len(members)} nodes need {len(members)} ports, not {len(ports)}")
    if len(set(ports)) != len(ports):
        raise ConfigError("two nodes share a port", where="--node-port")
    data_dir = data_dir.absolute()  # the configs are read from another working folder too
    nodes = tuple(
        NodePlan(org, name, account, port, data_dir / "nodes" / org.lower())
        for (org, name, account), port in zip(members, ports, strict=True)
    )
    return NetworkPlan(data_dir, chain_url, data_dir / "deployment.json", nodes)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def node_toml(plan: NetworkPlan, node: NodePlan, keystore: Path | None) -> str:
    """The ``[node]`` table ``onelist node run --config`` reads for ``node``, naming its
    ``keystore`` and passphrase file (None: the founding account is no dev key, so the node
    runs without one and its desk answers 503)."""
    ws_url = "ws" + plan.chain_url.removeprefix("http")
    values: Mapping[str, object] = {
        "organisation": node.node_organisation,
        "rpc_url": plan.chain_url,
        "ws_url": ws_url,
        "deployment": plan.deployment_path,
        "database_url": f"sqlite:///{node.database_path}",
        "http_host": "127.0.0.1",
        "http_port": node.port,
        "poll_interval": LOCAL_POLL_INTERVAL,
    }
    if keystore is not None:
        values = {
            **values,
            "operator_keystore": keystore,
            "operator_passphrase_file": node.passphrase_path,
        }
    lines = [
        f"# {node.name}: written by `onelist up` on every start; edit the founding file instead.",
        "[node]",
        *(f"{key} = {_toml_value(value)}" for key, value in values.items()),
    ]
    return "\n".join(lines) + "\n"
