"""Start and stop a local development chain (ganache or anvil) from node_modules.

Why: tests, demos and ``onelist up`` need a real EVM that behaves the same on every machine and
needs no network. Both backends are configured alike: the well-known development mnemonic,
20 funded accounts, a 30,000,000 gas limit, the shanghai hardfork (the EVM version the contracts
are compiled for) and instant mining, or with ``block_time`` a block every few seconds as a QBFT
network seals them (for measurements that must see block times). Either can keep its state in a
data directory so a later run resumes where the last one stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

from onelist.build.compiler import find_tool, repo_root
from onelist.errors import ConfigError, ToolchainError

Backend = Literal["ganache", "anvil"]
BACKENDS: tuple[Backend, ...] = ("ganache", "anvil")

#: The Hardhat/Foundry development mnemonic: public, so its keys hold value on no real chain.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 20
DEV_BALANCE_ETHER = 1_000_000
GAS_LIMIT = 30_000_000
HARDFORK = "shanghai"
DEFAULT_CHAIN_IDS: dict[Backend, int] = {"ganache": 1337, "anvil": 31337}
ANVIL_STATE_FILE = "anvil-state.json"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the OS picks it; a race with others is unlikely)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def rpc_call(url: str, method: str, params: list[object], timeout: float = 2.0) -> object:
    """One JSON-RPC call over plain HTTP; used before web3 is worth setting up."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise ToolchainError(f"{method} failed: {answer['error']}", where=url)
    return answer.get("result")


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send ``sig`` to the child when its parent dies,
    even by SIGKILL, so a killed ``onelist up`` (or test run) leaves no chain or node behind.
    None where that cannot be armed (not Linux, or not the main thread; see below).

    The kernel sends the signal when the *thread* that forked the child ends, not the process:
    a child started from a worker thread would be stopped as soon as that thread finished. So it
    is armed only from the main thread, which lives as long as the process; ``up`` and the
    tests start the chain and the nodes from it. Elsewhere ``onelist down`` still finds a dead
    ``up``'s processes through the pids it recorded in its data folder.
    """
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    # Resolved here, in the parent: between fork and exec the child should only make the call.
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()

    def arm() -> None:
        if prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:
            # The parent died between fork and prctl: no signal will come, so do not start.
            raise ChildProcessError("the parent exited before the child started")

    return arm


def _executable(backend: Backend, root: Path) -> Path:
    """The chain's executable in node_modules; for anvil the platform binary itself.

    anvil's npm launcher (``node_modules/.bin/anvil``) is a Node process that spawns the binary;
    signalling the binary directly means a stop never leaves an orphan behind. ganache's
    (``.bin/ganache``, a link to its ``cli.js``) is the chain itself: ``#!/usr/bin/env node``
    execs node in the same process, which forks nothing, so the parent-death signal and
    ``stop()`` reach the chain and not a wrapper (never ``npx``, which would be one).
    """
    if backend == "anvil":
        machine = platform.machine().lower()
        arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
        system = platform.system().lower()
        native = find_tool(f"@foundry-rs/anvil-{system}-{arch}/bin/anvil", root)
        if native is not None:
            return native
    found = find_tool(f".bin/{backend}", root)
    if found is None:
        raise ToolchainError(f"{backend} is not in node_modules; run npm ci (or ./onelist) first")
    return found


class LocalChain:
    """A ganache or anvil process on 127.0.0.1, usable as a context manager.

    ``data_dir`` keeps the chain state between runs (ganache's database, or anvil's state file
    dumped on exit). ``stop()`` sends SIGTERM, then SIGKILL after ``stop_timeout``; it is
    idempotent and also runs at interpreter exit, so a crashed test run leaves no chain behind.
    On Linux the chain also gets SIGTERM when the process that started it is killed outright
    (:func:`die_with_parent`), which no exit handler survives.
    """

    def __init__(
        self,
        backend: Backend = "ganache",
        *,
        port: int | None = None,
        chain_id: int | None = None,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        root: Path | None = None,
        block_time: int | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 15.0,
    ) -> None:
        if backend not in BACKENDS:
            raise ConfigError(
                f"unknown chain backend {backend!r}; use one of {', '.join(BACKENDS)}"
            )
        self.backend: Backend = backend
        self.host = host
        self.port = port or free_port(host)
        self.chain_id = chain_id if chain_id is not None else DEFAULT_CHAIN_IDS[backend]
        self.data_dir = data_dir.resolve() if data_dir is not None else None
        self.root = (root or repo_root()).resolve()
        # Seconds between blocks, as a QBFT network seals them; None mines each transaction at once.
        self.block_time = block_time
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def command(self) -> list[str]:
        """The command line that starts the chain (also useful to show a user)."""
        if self.backend == "ganache":
            cmd = [
                str(_executable("ganache", self.root)),
                "--server.host", self.host,
                "--server.port", str(self.port),
                "--wallet.mnemonic", DEV_MNEMONIC,
                "--wallet.totalAccounts", str(DEV_ACCOUNT_COUNT),
                "--wallet.defaultBalance", str(DEV_BALANCE_ETHER),
                "--chain.chainId", str(self.chain_id),
                "--chain.networkId", str(self.chain_id),
                "--chain.hardfork", HARDFORK,
                "--miner.blockGasLimit", str(GAS_LIMIT),
                "--logging.quiet",
            ]  # fmt: skip
            if self.block_time is None:
                cmd += ["--miner.instamine", "eager"]
            else:
                cmd += ["--miner.blockTime", str(self.block_time)]
            if self.data_dir is not None:
                cmd += ["--database.dbPath", str(self.data_dir)]
            return cmd
        cmd = [
            str(_executable("anvil", self.root)),
            "--host", self.host,
            "--port", str(self.port),
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(DEV_ACCOUNT_COUNT),
            "--balance", str(DEV_BALANCE_ETHER),
            "--chain-id", str(self.chain_id),
            "--hardfork", HARDFORK,
            "--gas-limit", str(GAS_LIMIT),
            "--quiet",
        ]  # fmt: skip
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        if self.data_dir is not None:
            cmd += ["--state", str(self.data_dir / ANVIL_STATE_FILE)]
        return cmd

    def start(self) -> LocalChain:
        """Start the process and wait until it answers ``eth_chainId`` with our chain id."""
        if self.running:
            return self
        cmd = self.command()
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        # Output goes to a file, not a pipe: nobody reads a pipe while the chain runs, and a
        # full pipe would block the chain. The file lives as long as the chain; stop() closes it.
        self._log = tempfile.TemporaryFile(prefix=f"onelist-{self.backend}-")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches any children
                preexec_fn=die_with_parent(),  # SIGTERM if we are killed outright
                env={**os.environ, "NO_COLOR": "1"},
            )
        except OSError as exc:
            self._close_log()
            raise ToolchainError(f"cannot start {self.backend}: {exc}") from None
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ToolchainError(
                    f"{self.backend} exited with code {self._process.returncode} while starting:\n"
                    + self.output_tail()
                )
            try:
                answer = rpc_call(self.url, "eth_chainId", [], timeout=1.0)
            except (OSError, ValueError, ToolchainError) as exc:
                last_error = str(exc)
                time.sleep(0.1)
                continue
            if not isinstance(answer, str) or int(answer, 16) != self.chain_id:
                raise ToolchainError(
                    f"{self.backend} answers chain id {answer}, expected {self.chain_id}",
                    where=self.url,
                )
            return
        raise ToolchainError(
            f"{self.backend} did not answer eth_chainId within {self.startup_timeout:.0f}s "
            f"({last_error}):\n{self.output_tail()}",
            where=self.url,
        )

    def output_tail(self, lines: int = 20) -> str:
        """The last lines the chain process printed (for error messages)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the chain: SIGTERM (lets anvil dump its state, ganache close its database),
        then SIGKILL to the whole process group if it does not exit in time. Idempotent."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None and process.poll() is None:
            self._signal(process, signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
        self._close_log()

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        # The group is signalled only while its leader is unreaped, so its id cannot be reused.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalChain:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalChain({self.backend}, {self.url}, chain id {self.chain_id}, {state})"
