"""The local consortium's plan: nodes, ports, folders and each node's configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from node.config import parse_config
from node.web.staff.access import may_suspend
from onelist.chain.connection import address_of, dev_private_keys
from onelist.chain.founding import load_founding, parse_founding
from onelist.errors import ConfigError
from onelist.network.plan import (
    DEFAULT_NODE_PORT,
    NetworkPlan,
    node_ports,
    node_toml,
    plan_network,
    regulator_organisation,
    staff_accounts,
)
from onelist.network.provision import dev_key_for
from onelist.network.summary import shown_path, summary_lines

ROOT = Path(__file__).resolve().parents[3]
FOUNDING = load_founding(ROOT / "config" / "consortium.example.toml")
CHAIN = "http://127.0.0.1:8545"


def example_plan(data_dir: Path = Path("/srv/onelist")) -> NetworkPlan:
    return plan_network(FOUNDING, data_dir, CHAIN, node_ports(DEFAULT_NODE_PORT, 4, lambda: 0))


def test_one_node_per_exchange_then_the_regulator_on_fixed_ports() -> None:
    plan = example_plan()
    assert [(n.organisation, n.port) for n in plan.nodes] == [
        ("SH", 8601),
        ("ZJ", 8602),
        ("SD", 8603),
        ("regulator", 8604),
    ]
    assert plan.node("ZJ").folder == Path("/srv/onelist/nodes/zj")
    assert plan.node("regulator").is_regulator and not plan.node("SH").is_regulator
    assert plan.node("SH").account == FOUNDING.exchange("SH").operator
    assert plan.node("regulator").account == FOUNDING.regulators[0].account
    assert plan.deployment_path == Path("/srv/onelist/deployment.json")


def test_a_relative_data_folder_becomes_absolute_for_the_configs() -> None:
    plan = example_plan(Path(".onelist"))
    assert plan.data_dir.is_absolute()
    assert all(n.folder.is_absolute() for n in plan.nodes)


@pytest.mark.parametrize(
    ("base", "count", "expected"),
    [
        pytest.param(8601, 4, [8601, 8602, 8603, 8604], id="consecutive ports from the base"),
        pytest.param(0, 3, [5001, 5002, 5003], id="base 0 asks for free ports, skipping repeats"),
    ],
)
def test_node_ports(base: int, count: int, expected: list[int]) -> None:
    answers = iter([5001, 5001, 5002, 5003])
    assert node_ports(base, count, lambda: next(answers)) == expected


@pytest.mark.parametrize("base", [80, 65534], ids=["a privileged port", "past 65535"])
def test_node_ports_out_of_range_are_refused(base: int) -> None:
    with pytest.raises(ConfigError, match="--node-port"):
        node_ports(base, 4, lambda: 0)


def test_the_plan_needs_one_distinct_port_per_node() -> None:
    with pytest.raises(ConfigError, match="4 nodes need 4 ports"):
        plan_network(FOUNDING, Path("/d"), CHAIN, [8601, 8602])
    with pytest.raises(ConfigError, match="share a port"):
        plan_network(FOUNDING, Path("/d"), CHAIN, [8601, 8601, 8602, 8603])


@pytest.mark.parametrize(
    ("index", "count", "expected"),
    [(0, 1, "regulator"), (0, 2, "regulator"), (1, 2, "regulator-2")],
    ids=["the only regulator", "the first of two", "the second of two"],
)
def test_regulator_organisation(index: int, count: int, expected: str) -> None:
    assert regulator_organisation(index, count) == expected


def test_the_node_config_is_what_node_run_reads() -> None:
    plan = example_plan()
    sh = plan.node("SH")
    keystore = sh.keystore_dir / "UTC--x--70997970c51812dc3a010c7d01b50e0d17dc79c8"
    config = parse_config(node_toml(plan, sh, keystore))
    assert config.organisation == "SH"
    assert config.http_port == 8601 and config.http_host == "127.0.0.1"
    assert config.rpc_url == CHAIN and config.ws_url == "ws://127.0.0.1:8545"
    assert config.database_url == "sqlite:////srv/onelist/nodes/sh/index.db"
    assert config.deployment == Path("/srv/onelist/deployment.json")
    assert config.operator_keystore == str(keystore)
    assert config.operator_passphrase_file == "/srv/onelist/nodes/sh/keystore-passphrase"


def test_a_node_without_a_dev_key_has_no_keystore_in_its_config() -> None:
    plan = example_plan()
    text = node_toml(plan, plan.node("regulator"), None)
    assert "operator_keystore" not in tomllib.loads(text)["node"]
    assert parse_config(text).organisation == "regulator"


def test_exchanges_and_regulators_get_their_staff() -> None:
    assert [a.username for a in staff_accounts(False)] == ["reviewer", "admin", "auditor"]
    assert staff_accounts(True)[0].roles == ("regulator_officer", "auditor")


def test_the_summary_names_every_node_and_never_a_password_unless_asked() -> None:
    plan = example_plan()
    has_key = {n.organisation: True for n in plan.nodes}
    lines = summary_lines(plan, has_key, Path("/srv"))
    text = "\n".join(lines)
    for node in plan.nodes:
        assert node.url in text
    assert "onelist/nodes/<org>/staff-passwords (mode 0600" in text
    assert "s3cret-pass" not in text
    asked = summary_lines(plan, has_key, Path("/srv"), {"SH": {"reviewer": "s3cret-pass"}})
    assert any("reviewer" in line and "s3cret-pass" in line for line in asked)


def test_the_summarys_example_urls_are_ascii() -> None:
    """A request line carries no raw UTF-8: aiohttp answers 400 ("Invalid char in url query")
    to ``curl 'http://…/listings?q=数据'``, which the summary once suggested. Chinese goes in
    through ``curl -G --data-urlencode``."""
    plan = example_plan()
    lines = summary_lines(plan, {n.organisation: True for n in plan.nodes}, Path("/srv"))
    urls = [word.strip("'\"") for line in lines for word in line.split() if "http://" in word]
    assert any("/listings" in url for url in urls)
    assert all(url.isascii() for url in urls), [url for url in urls if not url.isascii()]
    assert any("--data-urlencode 'q=数据'" in line for line in lines)


@pytest.mark.parametrize(
    ("path", "cwd", "expected"),
    [
        ("/work/main/.onelist/nodes", "/work/main", ".onelist/nodes"),
        ("/tmp/data", "/work/main", "/tmp/data"),
    ],
    ids=["below the working folder: relative", "elsewhere: absolute"],
)
def test_shown_path(path: str, cwd: str, expected: str) -> None:
    assert shown_path(Path(path), Path(cwd)) == expected


#: Development account 8 (the demo uses 5 to 7) as a provincial regulator beside the national one.
PROVINCIAL_KEY = dev_private_keys()[8]
TWO_REGULATORS = (
    (ROOT / "config" / "consortium.example.toml").read_text(encoding="utf-8")
    + f"""
[[regulators]]
name = "浙江省数据局"
province = 330000
account = "{address_of(PROVINCIAL_KEY)}"
"""
)


def test_every_regulator_node_runs_as_a_regulator_with_its_own_key() -> None:
    founding = parse_founding(TWO_REGULATORS)
    plan = plan_network(founding, Path("/srv/onelist"), CHAIN, node_ports(8601, 5, lambda: 0))
    national, provincial = plan.node("regulator"), plan.node("regulator-2")
    assert (national.port, provincial.port) == (8604, 8605)
    assert national.folder != provincial.folder == Path("/srv/onelist/nodes/regulator-2")
    keys = dev_private_keys()
    assert dev_key_for(national.account, keys) == keys[4]
    assert dev_key_for(provincial.account, keys) == PROVINCIAL_KEY
    configs = [
        parse_config(node_toml(plan, node, node.keystore_dir / f"UTC--x--{node.account}"))
        for node in (national, provincial)
    ]
    for node, config in zip((national, provincial), configs, strict=True):
        # "regulator" is what a node opens its suspension sender and officer's pages for.
        assert config.organisation == "regulator"
        assert may_suspend(frozenset({"regulator_officer"}), config.organisation)
        assert config.operator_keystore == str(node.keystore_dir / f"UTC--x--{node.account}")
        assert config.operator_passphrase_file == str(node.passphrase_path)
        assert config.http_port == node.port
    assert configs[0].database_url != configs[1].database_url
    assert configs[0].operator_keystore != configs[1].operator_keystore
