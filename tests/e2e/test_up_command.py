"""``onelist up`` as a user runs it: a process that starts the chain and four nodes, prints what
runs where, stops everything on Ctrl-C, resumes its state, runs detached until ``onelist down``,
and stops the rest when one node dies. "No orphan" means no process whose command line names
the data folder outlives ``up``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from onelist.build.compiler import repo_root
from onelist.chain.launcher import free_port
from onelist.network.demo import APPROVAL_REF, AUCTION_REF
from onelist.network.staff_client import get_json

from .conftest import ORGANISATIONS, _backend

READY_LINE = re.compile(r"^node\s+(\S+) ready at (http://\S+)$", re.MULTILINE)
PUBLIC_LISTING_LINE = re.compile(
    r"^demo\s+listed at ZJ: .* (0x[0-9a-f]{64}) \(public data\)$", re.M
)
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def onelist(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onelist.cli", *args],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=ENV,
    )


def up_args(data: Path, *extra: str) -> list[str]:
    return [
        "up", "--data-dir", str(data), "--chain", _backend(),
        "--port", str(free_port()), "--node-port", "0", *extra,
    ]  # fmt: skip


def processes_naming(data: Path) -> list[str]:
    """The live processes whose command line mentions ``data``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(data) in cmdline and int(entry.name) != os.getpid():
            found.append(f"{entry.name}: {cmdline}")
    return found


def assert_no_orphans(data: Path) -> None:
    deadline = time.monotonic() + 10
    while (left := processes_naming(data)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, left


class Up:
    """``onelist up`` in the foreground, its output in a file."""

    def __init__(self, data: Path, *extra: str) -> None:
        self.out = data.parent / f"up-{time.time_ns()}.out"
        self._file = self.out.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "onelist.cli", *up_args(data, *extra)],
            cwd=repo_root(),
            stdout=self._file,
            stderr=subprocess.STDOUT,
            env=ENV,
        )

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 180) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not re.search(r"^ready ", self.text(), re.MULTILINE):
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.2)
        return dict(READY_LINE.findall(self.text()))

    def stop(self, sig: int, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._file.close()


def listing_ids(url: str) -> set[str]:
    answer: Any = get_json(url + "/listings")
    return {item["listing_id"] for item in answer["items"]}


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        text: str = answer.read().decode("utf-8")
        return text


def assert_exclusive_licence_disclosed(url: str, listing_id: str) -> None:
    """The demo's exclusive licence of public data on the listing's public page (API and web)
    and in the disclosure (API and web), with both references and never the licensee."""
    deadline = time.monotonic() + 30
    while (page := get_json(f"{url}/listings/{listing_id}"))["exclusive_licence"] is None:
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    exclusive = page["exclusive_licence"]
    assert exclusive["granting_exchange"] == "ZJ"
    assert (exclusive["approval_ref"], exclusive["auction_ref"]) == (APPROVAL_REF, AUCTION_REF)
    assert exclusive["until"] - exclusive["start"] == 3 * 365 * 86_400
    assert "licensee" not in exclusive
    disclosed: Any = get_json(url + "/disclosure")
    [row] = [r for r in disclosed["exclusive_licences"] if r["listing_id"] == listing_id]
    assert (row["approval_ref"], row["auction_ref"], row["status"]) == (
        APPROVAL_REF, AUCTION_REF, "active"
    )  # fmt: skip
    assert APPROVAL_REF in get_text(f"{url}/web/listings/{listing_id}")
    web_disclosure = get_text(f"{url}/web/disclosure")
    assert APPROVAL_REF in web_disclosure and AUCTION_REF in web_disclosure


def test_up_runs_until_ctrl_c_resumes_and_detaches(tmp_path: Path) -> None:
    data = tmp_path / "data"

    # 1. The first `up`: deploys, starts four nodes, seeds the demo, says what runs where.
    first = Up(data, "--demo")
    urls = first.wait_ready()
    assert sorted(urls) == sorted(ORGANISATIONS)
    printed = first.text()
    assert "onelist consortium deployed" in printed
    assert "staff-passwords (mode 0600" in printed
    for org in ORGANISATIONS:
        passwords_file = data / "nodes" / org.lower() / "staff-passwords"
        assert passwords_file.stat().st_mode & 0o777 == 0o600
        for line in passwords_file.read_text().splitlines()[1:]:
            assert line.split()[1] not in printed, "a password was printed"
        assert get_json(urls[org] + "/ready")["ready"] is True
    # The public-data listing ZJ granted exclusively is disclosed at every node (here SH's).
    found = PUBLIC_LISTING_LINE.search(printed)
    assert found, printed
    assert "demo       exclusive licence 0x" in printed
    assert_exclusive_licence_disclosed(urls["SH"], found[1])
    listed = listing_ids(urls["SH"])
    assert len(listed) == 4 and found[1] in listed

    # Ctrl-C: everything stops, nothing is left behind, the state stays.
    assert first.stop(signal.SIGINT) == 0, first.text()
    assert_no_orphans(data)
    assert not (data / "up.pid").exists()

    # 2. Again, detached: the same consortium with the same listings, until `onelist down`.
    detached = onelist(*up_args(data, "--detach"))
    assert detached.returncode == 0, detached.stdout + detached.stderr
    assert "onelist consortium resumed" in detached.stdout
    assert "`onelist down` stops everything" in detached.stdout and "Ctrl-C" not in detached.stdout
    urls = dict(READY_LINE.findall(detached.stdout))
    assert listing_ids(urls["ZJ"]) == listed
    again = onelist(*up_args(data))
    assert again.returncode != 0 and "already runs" in again.stderr
    down = onelist("down", "--data-dir", str(data))
    assert down.returncode == 0, down.stderr
    assert_no_orphans(data)


def small_founding(folder: Path) -> Path:
    """The example consortium with one exchange and its regulator (two nodes start faster than
    four)."""
    example = (repo_root() / "config" / "consortium.example.toml").read_text(encoding="utf-8")
    small = re.sub(r'\[\[exchanges\]\]\ncode = "(ZJ|SD)".*?(?=\n\[\[|\Z)', "", example, flags=re.S)
    assert small.count("[[exchanges]]") == 1
    founding = folder / "small.toml"
    founding.write_text(small, encoding="utf-8")
    return founding


def test_up_names_a_node_that_dies_and_stops_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    up = Up(data, "--config", str(small_founding(tmp_path)))
    urls = up.wait_ready()
    assert sorted(urls) == ["SH", "regulator"]
    sh_config = str(data / "nodes" / "sh" / "node.toml")
    sh = [line.split(":")[0] for line in processes_naming(data) if sh_config in line]
    assert len(sh) == 1
    os.kill(int(sh[0]), signal.SIGKILL)
    assert up.wait() == 1
    said = up.text()
    assert "SH's node" in said and "exited with code -9" in said and "node.log" in said
    assert_no_orphans(data)


def test_a_killed_up_leaves_nothing_running_and_down_cleans_up(tmp_path: Path) -> None:
    """SIGKILL gives ``up`` no chance to stop anything: the kernel's parent-death signal stops
    the nodes (each cleanly, on SIGTERM) and the chain; ``down`` then clears the stale files."""
    data = tmp_path / "data"
    up = Up(data, "--config", str(small_founding(tmp_path)))
    assert sorted(up.wait_ready()) == ["SH", "regulator"]
    recorded = (data / "up.children").read_text(encoding="utf-8")
    assert len(recorded.splitlines()) == 3 and " chain " in f" {recorded}", recorded
    assert len(processes_naming(data)) >= 3  # the chain and the two nodes

    assert up.stop(signal.SIGKILL) == -signal.SIGKILL
    assert_no_orphans(data)
    for org in ("SH", "regulator"):
        log = (data / "nodes" / org.lower() / "node.log").read_text("utf-8", errors="replace")
        assert "SIGTERM: stopping" in log and f"node {org} stopped" in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]

    assert (data / "up.pid").exists()  # nobody removed it
    down = onelist("down", "--data-dir", str(data))
    assert down.returncode == 0, down.stdout + down.stderr
    assert not (data / "up.pid").exists() and not (data / "up.children").exists()
