"""The local consortium's processes: one chain, the contracts on it, one node process each.

``onelist up`` and the end-to-end tests run the consortium through :class:`LocalConsortium`, so
both start, watch and stop it the same way. The nodes are ``onelist node run --config …``
child processes in sessions of their own (a Ctrl-C in the terminal reaches only ``up``, which
then stops them in order: nodes first, so none reports a vanished chain, then the chain), each
writing to its own log file.

If ``up`` is killed outright (SIGKILL, the OOM killer) it stops nothing itself: on Linux the
kernel sends each child SIGTERM as its parent dies (``launcher.die_with_parent``), and everywhere
the children's pids are recorded in ``<data>/up.children``, so ``onelist down`` (or the next
``up``) stops whatever a dead ``up`` left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from onelist.build.compiler import load_artifacts, repo_root
from onelist.chain.founding import Founding, load_founding
from onelist.chain.launcher import Backend, LocalChain, die_with_parent, free_port
from onelist.errors import ConfigError, ToolchainError
from onelist.network.plan import NetworkPlan, NodePlan, node_ports, plan_network

if TYPE_CHECKING:
    from web3 import Web3

    from onelist.chain.deployment import Deployment

# web3, eth-account and the node's store load where the chain is started and the nodes' files
# are written: `onelist down` and a refused `onelist up` need none of them.

__all__ = [
    "CHILDREN_FILE",
    "DEMO_MARKER",
    "LocalConsortium",
    "NodeFailed",
    "NodeProcess",
    "children_text",
    "is_deployed",
    "leftovers",
    "parse_children",
    "pid_file",
    "read_pid_file",
    "running_pid",
    "stop_leftovers",
    "wait_exited",
]

PID_FILE = "up.pid"
#: The pids of the chain and the nodes a running ``up`` started, one ``<pid> <what>`` a line.
CHILDREN_FILE = "up.children"
#: Written once ``up --demo`` has seeded a data folder (by :mod:`onelist.network.demo`).
DEMO_MARKER = "demo-seeded"


class NodeFailed(ToolchainError):
    """A node exited or never became ready; the message names it and quotes its log."""


def is_deployed(w3: Web3, deployment: Deployment) -> bool:
    """Whether the record describes this chain: same chain id and code at every address."""
    if w3.eth.chain_id != deployment.chain_id:
        return False
    return all(len(w3.eth.get_code(deployment.address(name))) > 0 for name in deployment.contracts)


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class NodeProcess:
    """``onelist node run --config`` for one planned node, its output appended to its log."""

    def __init__(self, node: NodePlan, on_start: Callable[[], None] | None = None) -> None:
        self.node = node
        self._on_start = on_start  # the supervisor records the new pid
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def start(self) -> None:
        if self.running:
            return
        self._log = self.node.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._log.write(f"--- onelist up starts {self.node.organisation}'s node {stamp}\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onelist.cli",
                "node",
                "run",
                "--config",
                str(self.node.config_path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=repo_root(),
            start_new_session=True,  # a terminal's Ctrl-C reaches `up` alone, which stops us
            preexec_fn=die_with_parent(),  # SIGTERM, which the node stops cleanly on, if `up` dies
        )
        if self._on_start is not None:
            self._on_start()

    def is_ready(self) -> bool:
        """``GET /ready`` answers 200: the node serves and its index is at the chain's head."""
        try:
            with urllib.request.urlopen(self.node.url + "/ready", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def log_tail(self, lines: int = 15) -> str:
        return _tail(self.node.log_path, lines)

    def failure(self) -> str:
        """Why this node stopped, for people: its exit code and the end of its log."""
        code = self.returncode
        how = f"exited with code {code}" if code is not None else "is not ready"
        return (
            f"{self.node.organisation}'s node ({self.node.url}) {how}; the last lines of "
            f"{self.node.log_path}:\n{self.log_tail()}"
        )

    def terminate(self) -> None:
        """Ask the node to stop (SIGTERM: it closes its server and index) without waiting."""
        process = self._process
        # Signalled only while unreaped, so the group id cannot belong to another process.
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``. Idempotent."""
        self.terminate()
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class LocalConsortium:
    """The founding consortium of ``founding_path`` on this machine, state in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        founding_path: Path,
        backend: Backend = "ganache",
        chain_port: int = 8545,
        node_port: int = 8601,
    ) -> None:
        self.data_dir = data_dir
        self.founding: Founding = load_founding(founding_path)
        self.chain = LocalChain(
            backend, port=chain_port or free_port(), data_dir=data_dir / f"chain-{backend}"
        )
        count = len(self.founding.exchanges) + len(self.founding.regulators)
        ports = node_ports(node_port, count, free_port)
        self.plan: NetworkPlan = plan_network(self.founding, data_dir, self.chain.url, ports)
        self.nodes = [NodeProcess(node, self._record_children) for node in self.plan.nodes]
        self.deployment: Deployment | None = None
        self.state = "not started"
        self.has_key: dict[str, bool] = {}

    # ------------------------------------------------------------------------- starting

    def start_chain(self) -> Deployment:
        """Start the chain; deploy the consortium unless the data folder's record is on it."""
        from onelist.chain.connection import connect, dev_private_keys
        from onelist.chain.deployment import deploy, load_deployment, save_deployment

        self.data_dir.mkdir(parents=True, exist_ok=True)
        artifacts = load_artifacts()
        self.chain.start()
        self._record_children()
        w3 = connect(self.chain.url, self.chain.chain_id)
        record = self.plan.deployment_path
        deployment = load_deployment(record) if record.exists() else None
        if deployment is not None and is_deployed(w3, deployment):
            deployment.check_abis(artifacts)
            self.state = "resumed"
        else:
            deployment = deploy(w3, self.founding, dev_private_keys()[0], artifacts)
            save_deployment(deployment, record)
            self.state = "deployed"
            self._forget_old_chain()
        self.deployment = deployment
        return deployment

    def _forget_old_chain(self) -> None:
        """A new deployment is a new chain history (after its state was lost, e.g. anvil killed
        before dumping it): the nodes' indexes and sent transactions belong to the old one and
        would look like a reorg past any window. Keystores and staff passwords are kept; the
        accounts are made again with the same passwords."""
        for node in self.plan.nodes:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{node.database_path}{suffix}").unlink(missing_ok=True)
        (self.data_dir / DEMO_MARKER).unlink(missing_ok=True)

    def start_nodes(
        self, timeout: float = 120.0, on_ready: Callable[[NodePlan], None] | None = None
    ) -> None:
        """Write every node's files, start the nodes and wait until each answers ``/ready``;
        :class:`NodeFailed` names the first that exits or is not ready within ``timeout``."""
        from onelist.chain.connection import dev_private_keys
        from onelist.network.provision import provision

        self.has_key = dict(provision(self.plan, dev_private_keys()))
        for node in self.nodes:
            node.start()
        self.wait_ready(*self.nodes, timeout=timeout, on_ready=on_ready)

    def wait_ready(
        self,
        *nodes: NodeProcess,
        timeout: float = 120.0,
        on_ready: Callable[[NodePlan], None] | None = None,
    ) -> None:
        """Wait until each of ``nodes`` answers ``/ready``; :class:`NodeFailed` names the first
        that exits or is not ready within ``timeout``."""
        waiting = list(nodes)
        deadline = time.monotonic() + timeout
        while waiting:
            for node in list(waiting):
                if not node.running:
                    raise NodeFailed(node.failure())
                if node.is_ready():
                    waiting.remove(node)
                    if on_ready is not None:
                        on_ready(node.node)
            if waiting and time.monotonic() > deadline:
                raise NodeFailed(waiting[0].failure() + f"\n(not ready within {timeout:.0f} s)")
            time.sleep(0.2)

    def start(self) -> LocalConsortium:
        try:
            self.start_chain()
            self.start_nodes()
        except BaseException:
            self.stop()
            raise
        return self

    # ------------------------------------------------------------------------- running

    def node(self, organisation: str) -> NodeProcess:
        for node in self.nodes:
            if node.node.organisation == organisation:
                return node
        raise KeyError(organisation)

    def failure(self) -> str | None:
        """What stopped, if anything did: a node (named, with its log) or the chain."""
        for node in self.nodes:
            if not node.running:
                return node.failure()
        if not self.chain.running:
            return f"the chain ({self.chain.url}) exited:\n{self.chain.output_tail()}"
        return None

    def stop(self) -> None:
        """Nodes first (in parallel: each gets SIGTERM, then each is awaited), then the chain,
        which dumps or closes its state. Idempotent; the data folder is kept."""
        for node in self.nodes:
            node.terminate()
        for node in self.nodes:
            node.stop()
        self.chain.stop()
        (self.data_dir / CHILDREN_FILE).unlink(missing_ok=True)

    def _record_children(self) -> None:
        """Write the running children's pids to ``<data>/up.children`` (replaced whole, so a
        reader never sees half a file)."""
        entries = [(self.chain.pid, f"chain {self.chain.backend}")] if self.chain.pid else []
        entries += [(n.pid, f"node {n.node.organisation}") for n in self.nodes if n.pid]
        path = self.data_dir / CHILDREN_FILE
        partial = path.with_name(path.name + ".partial")
        partial.write_text(children_text(entries), encoding="utf-8")
        partial.replace(path)

    def __enter__(self) -> LocalConsortium:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ----------------------------------------------------------------------------- the pid file


def read_pid_file(path: Path) -> int | None:
    """The pid a running ``up`` wrote, or None (no file, or not a number)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; nobody may reap it soon (a container's first process often does not).
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


def running_pid(data_dir: Path) -> int | None:
    """The pid of the ``up`` that runs on ``data_dir``, or None (a stale file is ignored)."""
    pid = read_pid_file(data_dir / PID_FILE)
    return pid if pid is not None and _alive(pid) else None


@contextlib.contextmanager
def pid_file(data_dir: Path) -> Iterator[Path]:
    """Claim ``data_dir`` for this process: one ``up`` per data folder. What a dead ``up`` left
    running on it is stopped first (its chain would hold the port)."""
    other = running_pid(data_dir)
    if other is not None and other != os.getpid():
        raise ConfigError(
            f"`onelist up` already runs on this data folder (pid {other}); `onelist down` stops it",
            where=str(data_dir),
        )
    if other is None:
        stop_leftovers(data_dir)
    path = data_dir / PID_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield path
    finally:
        if read_pid_file(path) == os.getpid():
            path.unlink(missing_ok=True)


def wait_exited(pid: int, timeout: float) -> bool:
    """Whether ``pid`` is gone within ``timeout`` (it is not our child: poll, never wait)."""
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# ----------------------------------------------------------------------------- a dead up's children


def children_text(entries: Iterable[tuple[int, str]]) -> str:
    """The ``up.children`` file for ``(pid, what)`` entries."""
    return "".join(f"{pid} {what}\n" for pid, what in entries)


def parse_children(text: str) -> list[tuple[int, str]]:
    """The ``(pid, what)`` entries of an ``up.children`` file; lines that are not one are
    skipped (a file cut short by a crash loses its last line, not the others)."""
    entries = []
    for line in text.splitlines():
        pid, _, what = line.strip().partition(" ")
        if pid.isdigit() and int(pid) > 1:
            entries.append((int(pid), what))
    return entries


def leftovers(
    entries: Sequence[tuple[int, str]],
    command_lines: Mapping[int, str | None],
    data_folders: Sequence[str],
) -> list[tuple[int, str]]:
    """The recorded children that still run as ``up`` started them: alive (a command line is
    known) and naming the data folder, as the chain's and the nodes' command lines do. A pid
    the system has since given to another process names no data folder and is left alone."""
    found = []
    for pid, what in entries:
        line = command_lines.get(pid)
        if line is not None and any(folder in line for folder in data_folders):
            found.append((pid, what))
    return found


def _command_line(pid: int) -> str | None:
    """``pid``'s command line, or None when it is gone (or cannot be read)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return None
        # No /proc (macOS): ask ps.
        answer = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
        return answer.stdout.strip() or None
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode("utf-8", "replace") or None


def _signal_leftover(pid: int, sig: signal.Signals) -> None:
    """Signal a checked leftover and, when it leads its process group as ``up``'s children do
    (sessions of their own), whatever it started in that group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def stop_leftovers(data_dir: Path, timeout: float = 15.0) -> list[str]:
    """Stop what a dead ``up`` on ``data_dir`` left running (SIGTERM to each process group,
    SIGKILL after ``timeout``), then remove its pid and children files. Returns what was
    stopped, for people. Call only when no ``up`` runs there: a live one's children are its own
    to stop."""
    path = data_dir / CHILDREN_FILE
    try:
        entries = parse_children(path.read_text(encoding="utf-8"))
    except OSError:
        entries = []
    folders = sorted({str(data_dir.absolute()), str(data_dir.resolve())})
    found = leftovers(entries, {pid: _command_line(pid) for pid, _ in entries}, folders)
    for pid, _ in found:
        _signal_leftover(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pid, _ in found:
        if not wait_exited(pid, max(0.0, deadline - time.monotonic())):
            _signal_leftover(pid, signal.SIGKILL)
            wait_exited(pid, 5.0)
    path.unlink(missing_ok=True)
    if running_pid(data_dir) is None:
        (data_dir / PID_FILE).unlink(missing_ok=True)
    return [f"{what} (pid {pid})" for pid, what in found]
