"""Session fixtures shared by every test: the repository, its compiled contracts, one local chain.

The chain is started once per session (it takes about a second) and each test that changes it
asks for ``snapshot``, which reverts the chain afterwards, so tests stay independent and fast.
Choose the backend with ``ONELIST_TEST_CHAIN=ganache|anvil`` (default ganache).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from onelist.build.compiler import Artifact, compile_contracts
from onelist.build.compiler import repo_root as _repo_root
from onelist.chain.connection import connect, dev_private_keys, evm_revert, evm_snapshot
from onelist.chain.launcher import BACKENDS, Backend, LocalChain

pytest_plugins = ["tests.integration.db_fixtures"]

CHAIN_FIXTURES = {"chain", "w3", "snapshot"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hardhat: runs npx hardhat (slow; once per session)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the session chain with ``chain``, so ``-m 'not chain'`` works."""
    for item in items:
        if CHAIN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.chain)


class HardhatCompile:
    """``hardhat compile --force`` of the real contracts, started in the background as soon as the
    session knows a ``hardhat`` test will run: its solc-js build (15-25 s of one core) overlaps
    the tests before it instead of adding to the session."""

    def __init__(self, root: Path) -> None:
        # Open as long as the process runs: closed by stop().
        self.output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(root / "node_modules" / ".bin" / "hardhat"), "compile", "--force", "--quiet"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"},
        )

    def result(self, timeout: float = 900) -> tuple[int, str]:
        """Wait for it; its exit code and output."""
        code = self.process.wait(timeout=timeout)
        self.output.seek(0)
        return code, self.output.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.output.close()


_hardhat: HardhatCompile | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    global _hardhat
    if session.config.option.collectonly:
        return
    if any(item.get_closest_marker("hardhat") for item in session.items):
        _hardhat = HardhatCompile(_repo_root())


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _hardhat is not None:
        _hardhat.stop()


@pytest.fixture(scope="session")
def hardhat_compile(repo_root: Path) -> HardhatCompile:
    """The background ``hardhat compile`` (started now if the session did not start it)."""
    global _hardhat
    if _hardhat is None:
        _hardhat = HardhatCompile(repo_root)
    return _hardhat


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return _repo_root()


@pytest.fixture(scope="session")
def artifacts(repo_root: Path) -> dict[str, Artifact]:
    """Every contract under contracts/, compiled once (a cache hit when nothing changed)."""
    return compile_contracts(repo_root)


def _test_backend() -> Backend:
    backend = os.environ.get("ONELIST_TEST_CHAIN", "ganache")
    for known in BACKENDS:
        if backend == known:
            return known
    raise pytest.UsageError(f"ONELIST_TEST_CHAIN={backend!r}: use one of {', '.join(BACKENDS)}")


@pytest.fixture(scope="session")
def chain() -> Iterator[LocalChain]:
    with LocalChain(_test_backend()) as local_chain:
        yield local_chain


@pytest.fixture(scope="session")
def w3(chain: LocalChain) -> Web3:
    return connect(chain.url, chain.chain_id)


@pytest.fixture(scope="session")
def dev_keys() -> tuple[str, ...]:
    """The funded development accounts' private keys (index 0 is the usual deployer)."""
    return dev_private_keys()


@pytest.fixture
def snapshot(w3: Web3) -> Iterator[str]:
    """Revert every change the test makes to the chain (yields the snapshot id)."""
    snapshot_id = evm_snapshot(w3)
    yield snapshot_id
    evm_revert(w3, snapshot_id)
