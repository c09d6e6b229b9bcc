"""The production configuration of docs/deploy.md: each file parses, they agree, the doc shows them.

The files under ``config/besu/`` and the production examples under ``config/`` are read with the
loaders the software itself uses (``node.config.load_config``, ``onelist.chain.founding
.load_founding``), cross-checked (chain id, the four validators, allowlists, hosts), and every
fenced block of docs/deploy.md that names one of them must equal it, so the page cannot drift.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import rlp
from eth_utils import keccak, to_checksum_address

from node.config import NodeConfig, load_config
from onelist.chain.founding import Founding, load_founding

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
BESU = CONFIG / "besu"
DOC = ROOT / "docs" / "deploy.md"
NODE_FILES = sorted(CONFIG.glob("node.*.toml"))
VALIDATOR_FILES = sorted(BESU.glob("validator-*.toml"))
PRODUCTION_FILES = [
    *sorted(BESU.iterdir()),
    *NODE_FILES,
    CONFIG / "consortium.production.example.toml",
]
#: ```<language> config/<path>``` opens a block that shows that file.
FENCE = re.compile(r"^```(\w+) (config/\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ENODE = re.compile(r"^enode://([0-9a-f]{128})@([\d.]+):(\d+)$")


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _genesis() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((BESU / "genesis.json").read_text(encoding="utf-8"))
    return doc


def _permissions() -> dict[str, Any]:
    return _toml(BESU / "permissions_config.toml")


def _enodes() -> list[tuple[bytes, str, int]]:
    """(public key, host, port) of each allowlisted node."""
    found = []
    for url in _permissions()["nodes-allowlist"]:
        match = ENODE.match(url)
        assert match, f"not an enode URL: {url}"
        found.append((bytes.fromhex(match[1]), match[2], int(match[3])))
    return found


def _extra_data_validators() -> list[str]:
    """The validators in the genesis extraData: RLP [vanity, validators, vote, round, seals]."""
    raw = bytes.fromhex(_genesis()["extraData"].removeprefix("0x"))
    vanity, validators, vote, round_, seals = rlp.decode(raw)
    assert vanity == b"\0" * 32
    assert (vote, round_, seals) == ([], b"", [])
    assert all(len(v) == 20 for v in validators)
    return [to_checksum_address(v) for v in validators]


def _founding() -> Founding:
    return load_founding(CONFIG / "consortium.production.example.toml")


# ----------------------------------------------------------------------------- every file parses


@pytest.mark.parametrize("path", PRODUCTION_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_production_file_parses(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        json.loads(text)
    else:
        assert path.suffix == ".toml", f"an unexpected kind of file: {path}"
        tomllib.loads(text)


@pytest.mark.parametrize("path", NODE_FILES, ids=lambda p: p.name)
def test_each_node_config_loads_as_a_production_node(path: Path) -> None:
    config: NodeConfig = load_config(path)
    assert config.organisation == path.name.split(".")[1].upper()
    assert config.organisation in {ex.code for ex in _founding().exchanges}
    assert config.database_url.startswith("postgresql+psycopg://")
    assert config.ws_url is not None, "a websocket brings new listings in milliseconds"
    assert config.confirmations == 0, "QBFT blocks are final"
    assert config.operator_keystore and config.operator_passphrase_file


def test_the_founding_file_loads_with_the_real_loader() -> None:
    founding = _founding()
    assert len(founding.exchanges) >= 3
    assert founding.regulators


# ----------------------------------------------------------------------------- the chain


def test_the_genesis_is_qbft_with_free_gas_on_the_contracts_evm() -> None:
    config = _genesis()["config"]
    qbft = config["qbft"]
    assert qbft["blockperiodseconds"] >= 1
    assert qbft["epochlength"] > 0 and qbft["requesttimeoutseconds"] > qbft["blockperiodseconds"]
    assert "clique" not in config and "ibft2" not in config and "ethash" not in config
    assert config["zeroBaseFee"] is True
    assert config["londonBlock"] == 0 and config["shanghaiTime"] == 0
    compiler = json.loads((ROOT / "contracts" / "compiler.json").read_text(encoding="utf-8"))
    assert json.dumps(compiler).count('"shanghai"') >= 1, "contracts compiled for shanghai"
    assert not {"cancunTime", "pragueTime"} & set(config), "the EVM the tests run, no later"
    assert _genesis()["alloc"] == {}, "nobody needs a balance on a free-gas chain"


def test_the_genesis_names_four_validators_those_of_the_allowlisted_nodes() -> None:
    validators = _extra_data_validators()
    assert len(validators) >= 4, "BFT with one fault needs n >= 3f + 1 = 4"
    listed = json.loads((BESU / "validators.json").read_text(encoding="utf-8"))
    assert [to_checksum_address(a) for a in listed] == validators
    from_enodes = [to_checksum_address(keccak(key)[12:]) for key, _, _ in _enodes()]
    assert from_enodes == validators


def test_the_chain_id_is_the_same_wherever_it_is_written() -> None:
    chain_id = _genesis()["config"]["chainId"]
    texts = [DOC.read_text(encoding="utf-8")] + [
        p.read_text(encoding="utf-8") for p in PRODUCTION_FILES
    ]
    mentioned = {int(n) for text in texts for n in re.findall(r"--chain-id[ =](\d+)", text)}
    assert mentioned == {chain_id}


@pytest.mark.parametrize("path", VALIDATOR_FILES, ids=lambda p: p.name)
def test_each_validator_is_free_gas_permissioned_and_boots_from_the_others(path: Path) -> None:
    besu = _toml(path)
    assert besu["min-gas-price"] == 0
    assert besu["genesis-file"].endswith("genesis.json")
    for kind in ("nodes", "accounts"):
        assert besu[f"permissions-{kind}-config-file-enabled"] is True
        assert besu[f"permissions-{kind}-config-file"].endswith("permissions_config.toml")
    assert besu["rpc-http-enabled"] and besu["rpc-ws-enabled"]
    assert "ETH" in besu["rpc-http-api"] and "ETH" in besu["rpc-ws-api"]
    allowlisted = set(_permissions()["nodes-allowlist"])
    own = [u for u in allowlisted if f"@{besu['p2p-host']}:{besu['p2p-port']}" in u]
    assert len(own) == 1, "this validator's enode is allowlisted"
    assert set(besu["bootnodes"]) == allowlisted - set(own)


def test_there_are_as_many_validator_files_as_validators() -> None:
    assert len(VALIDATOR_FILES) == len(_extra_data_validators())


def test_every_operator_and_regulator_may_send_transactions() -> None:
    allowed = {to_checksum_address(a) for a in _permissions()["accounts-allowlist"]}
    founding = _founding()
    senders = {ex.operator for ex in founding.exchanges} | {r.account for r in founding.regulators}
    assert senders <= allowed


@pytest.mark.parametrize("path", NODE_FILES, ids=lambda p: p.name)
def test_each_node_follows_its_own_validator(path: Path) -> None:
    config = load_config(path)
    rpc, ws = urlsplit(config.rpc_url), urlsplit(config.ws_url or "")
    validators = [_toml(v) for v in VALIDATOR_FILES]
    own = [v for v in validators if v["rpc-http-host"] == rpc.hostname]
    assert len(own) == 1, f"{config.rpc_url} is no validator's RPC"
    assert rpc.port == own[0]["rpc-http-port"]
    assert (ws.hostname, ws.port) == (own[0]["rpc-ws-host"], own[0]["rpc-ws-port"])
    assert config.max_range <= 5000, "Besu's rpc-max-logs-range default"


# ----------------------------------------------------------------------------- the doc


def _blocks() -> list[tuple[str, str, str]]:
    return FENCE.findall(DOC.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("language", "name", "shown"), _blocks(), ids=[name for _, name, _ in _blocks()]
)
def test_each_file_the_doc_shows_is_the_file_itself(language: str, name: str, shown: str) -> None:
    path = ROOT / name
    assert path.is_file(), f"docs/deploy.md shows {name}, which does not exist"
    assert language == {".json": "json", ".toml": "toml"}[path.suffix]
    assert shown == path.read_text(encoding="utf-8"), f"docs/deploy.md's {name} differs"


def test_the_doc_shows_the_files_a_deployment_starts_from() -> None:
    shown = {name for _, name, _ in _blocks()}
    assert {
        "config/besu/genesis.json",
        "config/besu/validator-1.toml",
        "config/besu/permissions_config.toml",
        "config/consortium.production.example.toml",
        "config/node.sh.toml",
    } <= shown
