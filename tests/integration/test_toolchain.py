"""The offline toolchain against the real tools: solc-js via py-solc-x, Hardhat, ganache, anvil.

The compiler and revert-decoding tests use a test-only contract (tests/contracts/fixtures/), so
they do not depend on the state of contracts/; the Hardhat comparison checks the real contracts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3
from web3.contract import Contract

from onelist.build.compiler import (
    ARTIFACTS_DIR,
    COMPILER_CONFIG,
    STAMP_FILE,
    Artifact,
    compile_contracts,
    compile_files,
    load_artifact,
)
from onelist.chain.connection import (
    accounts,
    call,
    connect,
    dev_private_keys,
    evm_revert,
    evm_snapshot,
    increase_time,
    send_transaction,
)
from onelist.chain.launcher import BACKENDS, Backend, LocalChain, free_port, rpc_call
from onelist.chain.revert import TransactionReverted
from onelist.errors import ChainError, ToolchainError
from tests.conftest import HardhatCompile

FIXTURES = Path(__file__).resolve().parents[1] / "contracts" / "fixtures"
PROBE = "ToolchainProbe"


# --- compiler ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_template(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    """A throwaway project (the real compiler.json, the probe in contracts/), compiled once."""
    root = tmp_path_factory.mktemp("project")
    (root / "contracts" / "probe").mkdir(parents=True)
    shutil.copy(repo_root / COMPILER_CONFIG, root / COMPILER_CONFIG)
    shutil.copy(FIXTURES / f"{PROBE}.sol", root / "contracts" / "probe" / f"{PROBE}.sol")
    compile_contracts(root)
    return root


@pytest.fixture
def project(tmp_path: Path, compiled_template: Path) -> Path:
    """A fresh copy of the compiled template, so each test pays for at most one solc run."""
    shutil.copytree(compiled_template, tmp_path / "project")
    return tmp_path / "project"


def _mtimes(project: Path) -> dict[str, int]:
    out = project / ARTIFACTS_DIR
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir()}


def test_compile_writes_artifacts_named_by_contract(project: Path) -> None:
    artifacts = compile_contracts(project, force=True)

    probe = artifacts[PROBE]
    assert probe.source_name == f"contracts/probe/{PROBE}.sol"
    assert probe.is_deployable and 0 < probe.deployed_size < 24_576
    assert {item.get("name") for item in probe.abi} >= {"store", "ToolchainProbeTooLarge"}
    on_disk = json.loads((project / ARTIFACTS_DIR / f"{PROBE}.json").read_text())
    assert Artifact.from_json(on_disk) == probe
    assert set(on_disk) >= {"abi", "bytecode", "deployedBytecode", "metadata", "sourceName"}
    # Imported libraries are compiled but get no artifact: only contracts/ does.
    assert "Strings" not in artifacts
    metadata = json.loads(probe.metadata)
    assert metadata["settings"]["evmVersion"] == "shanghai"
    assert "@openzeppelin/contracts/utils/Strings.sol" in metadata["sources"]


def test_second_compile_is_a_cache_hit(project: Path) -> None:
    before = _mtimes(project)  # the template was compiled once already

    started = time.monotonic()
    again = compile_contracts(project)

    assert time.monotonic() - started < 1.0  # no solc run: that alone takes longer
    assert _mtimes(project) == before
    assert PROBE in again
    assert load_artifact(PROBE, project) == again[PROBE]


def _bump_optimizer_runs(path: Path) -> None:
    config = json.loads(path.read_text())
    config["settings"]["optimizer"]["runs"] += 1
    path.write_text(json.dumps(config))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda p: (p / "contracts" / "probe" / f"{PROBE}.sol").write_text(
                (FIXTURES / f"{PROBE}.sol").read_text() + "\n// changed\n"
            ),
            id="a source changed",
        ),
        pytest.param(
            lambda p: _bump_optimizer_runs(p / COMPILER_CONFIG), id="the settings changed"
        ),
        pytest.param(
            lambda p: (p / ARTIFACTS_DIR / f"{PROBE}.json").write_text("{}"),
            id="an artifact was edited by hand",
        ),
        pytest.param(
            lambda p: (p / ARTIFACTS_DIR / f"{PROBE}.json").unlink(),
            id="an artifact was deleted",
        ),
    ],
)
def test_cache_is_rebuilt_when(project: Path, change: object) -> None:
    stamp_before = (project / ARTIFACTS_DIR / STAMP_FILE).stat().st_mtime_ns
    assert callable(change)
    change(project)

    artifacts = compile_contracts(project)

    assert (project / ARTIFACTS_DIR / STAMP_FILE).stat().st_mtime_ns != stamp_before
    assert json.loads((project / ARTIFACTS_DIR / f"{PROBE}.json").read_text())["abi"]
    assert PROBE in artifacts


def test_a_new_contract_is_added_and_a_removed_one_dropped(project: Path) -> None:
    extra = project / "contracts" / "Extra.sol"
    extra.write_text(
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.24;\ncontract Extra {}\n"
    )
    assert "Extra" in compile_contracts(project)

    extra.unlink()

    assert "Extra" not in compile_contracts(project)
    assert not (project / ARTIFACTS_DIR / "Extra.json").exists()


def test_compile_error_raises_toolchain_error_with_solc_message(project: Path) -> None:
    broken = project / "contracts" / "Broken.sol"
    broken.write_text(
        "pragma solidity ^0.8.24;\ncontract Broken { function f() { undefinedThing(); } }\n"
    )

    with pytest.raises(ToolchainError) as raised:
        compile_contracts(project)

    assert "contracts/Broken.sol:2" in str(raised.value)
    assert "undefinedThing" in str(raised.value)


def test_cli_reports_a_compile_error_without_traceback(project: Path) -> None:
    (project / "contracts" / "Broken.sol").write_text("pragma solidity ^0.8.24;\ncontract {\n")

    result = subprocess.run(
        [sys.executable, "-m", "onelist.cli", "build"],
        capture_output=True,
        text=True,
        env={**os.environ, "ONELIST_ROOT": str(project)},
        timeout=300,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("onelist: error: compilation failed")
    assert "ParserError" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_build_prints_sizes(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "onelist.cli", "build"],
        capture_output=True,
        text=True,
        env={**os.environ, "ONELIST_ROOT": str(project)},
        timeout=300,
        check=True,
    )

    row = next(line for line in result.stdout.splitlines() if line.startswith(PROBE))
    assert f"contracts/probe/{PROBE}.sol" in row
    assert "%" in row


# --- Hardhat gives the same bytecode ------------------------------------------------------------


@pytest.fixture(scope="session")
def hardhat_build(
    repo_root: Path, artifacts: dict[str, Artifact], hardhat_compile: HardhatCompile
) -> Path:
    """``hardhat compile --force`` of the real contracts, once per session (started in the
    background when the session began: tests/conftest.py); returns its artifacts dir."""
    if not artifacts:
        pytest.skip("no contracts under contracts/ yet")
    code, output = hardhat_compile.result()
    assert code == 0, output
    assert "Downloading compiler" not in output
    return repo_root / "build" / "hardhat"


@pytest.mark.hardhat
def test_hardhat_and_py_solc_x_produce_identical_bytecode(
    hardhat_build: Path, artifacts: dict[str, Artifact]
) -> None:
    differing = []
    for name, ours in artifacts.items():
        theirs = json.loads((hardhat_build / ours.source_name / f"{name}.json").read_text())
        if (theirs["bytecode"], theirs["deployedBytecode"]) != (
            ours.bytecode,
            ours.deployed_bytecode,
        ):
            differing.append(name)

    assert differing == []


# --- local chains -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_local_chain_starts_and_stops(backend: Backend) -> None:
    chain = LocalChain(backend)
    with chain:
        assert chain.running
        w3 = connect(chain.url, chain.chain_id)
        assert w3.eth.chain_id == chain.chain_id == {"ganache": 1337, "anvil": 31337}[backend]
        assert len(accounts(w3)) == 20
        assert w3.eth.get_block("latest")["gasLimit"] == 30_000_000
        assert w3.eth.get_balance(accounts(w3)[19]) >= 10**6 * 10**18

    assert not chain.running
    chain.stop()  # idempotent
    with pytest.raises(ChainError):
        connect(chain.url, timeout=1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_local_chain_resumes_from_its_data_dir(backend: Backend, tmp_path: Path) -> None:
    keys = dev_private_keys()
    with LocalChain(backend, data_dir=tmp_path) as chain:
        w3 = connect(chain.url, chain.chain_id)
        send_transaction(w3, {"to": accounts(w3)[7], "value": 12345}, keys[0])
        height, balance = w3.eth.block_number, w3.eth.get_balance(accounts(w3)[7])

    with LocalChain(backend, data_dir=tmp_path) as chain:
        w3 = connect(chain.url, chain.chain_id)
        assert w3.eth.block_number == height
        assert w3.eth.get_balance(accounts(w3)[7]) == balance


def test_local_chain_start_failure_shows_the_process_output() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        chain = LocalChain("ganache", port=busy.getsockname()[1], startup_timeout=30)
        with pytest.raises(ToolchainError, match="exited with code"):
            chain.start()
    assert not chain.running


def test_connect_refuses_a_wrong_chain_id(chain: LocalChain) -> None:
    with pytest.raises(ChainError, match="chain id is") as raised:
        connect(chain.url, expected_chain_id=chain.chain_id + 1)
    assert chain.url in str(raised.value)


def test_connect_names_an_unreachable_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainError) as raised:
        connect(url, timeout=1.0)
    assert url in str(raised.value)


# --- transactions and decoded reverts, on both backends -------------------------------------------


@pytest.fixture(scope="module")
def probe_artifact(repo_root: Path) -> Artifact:
    source = f"tests/contracts/fixtures/{PROBE}.sol"
    return compile_files({source: (repo_root / source).read_text()}, repo_root)[PROBE]


@pytest.fixture(scope="module", params=BACKENDS)
def probe(request: pytest.FixtureRequest, probe_artifact: Artifact) -> Iterator[Contract]:
    """The probe contract deployed on a fresh chain of each backend."""
    with LocalChain(request.param) as local_chain:
        w3 = connect(local_chain.url, local_chain.chain_id)
        factory = w3.eth.contract(abi=probe_artifact.abi, bytecode=probe_artifact.bytecode)
        receipt = send_transaction(w3, factory.constructor(), dev_private_keys()[0])
        address = receipt["contractAddress"]
        assert address is not None
        yield w3.eth.contract(address=address, abi=probe_artifact.abi)


def _w3(contract: Contract) -> Web3:
    return contract.w3


def test_send_transaction_returns_the_receipt(probe: Contract) -> None:
    receipt = send_transaction(_w3(probe), probe.functions.store(42), dev_private_keys()[1])

    assert receipt["status"] == 1
    assert call(_w3(probe), probe.functions.value()) == 42
    (event,) = probe.events.ToolchainProbeStored().process_receipt(receipt)
    assert event["args"]["value"] == 42


@pytest.mark.parametrize(
    ("function", "args", "name", "error_args", "text"),
    [
        ("store", (500,), "ToolchainProbeTooLarge", (500, 100), "value=500, limit=100"),
        ("empty", (), "ToolchainProbeEmpty", (), "ToolchainProbeEmpty()"),
        ("plain", (), "Error", ("plain reason",), "Error('plain reason')"),
        ("divide", (1, 0), "Panic", (0x12,), "division or modulo by zero"),
    ],
    ids=["custom error with values", "custom error without values", "reason string", "panic"],
)
def test_a_revert_is_decoded(
    probe: Contract,
    function: str,
    args: tuple[int, ...],
    name: str,
    error_args: tuple[object, ...],
    text: str,
) -> None:
    with pytest.raises(TransactionReverted) as raised:
        send_transaction(_w3(probe), probe.functions[function](*args), dev_private_keys()[1])

    assert raised.value.error_name == name
    assert raised.value.error_args == error_args
    assert text in str(raised.value)
    assert f"{function}(" in str(raised.value)


def test_a_revert_in_a_mined_transaction_is_decoded(probe: Contract) -> None:
    # With the gas given there is no estimate to fail first: the revert happens on chain.
    with pytest.raises(TransactionReverted, match=r"\(tx 0x[0-9a-f]{64}\)") as raised:
        send_transaction(_w3(probe), probe.functions.store(101), dev_private_keys()[1], gas=200_000)

    assert raised.value.error_args == (101, 100)


def test_a_plain_transaction_is_decoded_with_the_abis_given(
    probe: Contract, probe_artifact: Artifact
) -> None:
    data = probe.functions.name(b"\x07" * 32)._encode_transaction_data()
    tx = {"to": probe.address, "data": data}

    with pytest.raises(TransactionReverted) as raised:
        send_transaction(_w3(probe), tx, dev_private_keys()[2], abis=[probe_artifact.abi])

    assert raised.value.error_name == "ToolchainProbeNamed"
    assert raised.value.error_args == ("0x" + "07" * 32, b"\x07" * 32)


def test_snapshot_revert_and_increase_time(probe: Contract) -> None:
    w3 = _w3(probe)
    snapshot_id = evm_snapshot(w3)
    before = call(w3, probe.functions.timestamp())
    send_transaction(w3, probe.functions.store(77), dev_private_keys()[3])

    increase_time(w3, 3600)

    assert call(w3, probe.functions.timestamp()) >= before + 3600
    evm_revert(w3, snapshot_id)
    assert call(w3, probe.functions.value()) != 77


def test_session_fixtures_share_one_chain(w3: Web3, chain: LocalChain, snapshot: str) -> None:
    assert rpc_call(chain.url, "eth_chainId", []) == hex(chain.chain_id)
    send_transaction(w3, {"to": accounts(w3)[9], "value": 1}, dev_private_keys()[0])
