"""`onelist up` and `onelist deploy` as a user runs them: real processes, a real chain."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from onelist.chain.launcher import LocalChain, free_port


def onelist(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onelist.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_up_deploys_once_then_resumes_the_same_consortium(repo_root: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = str(free_port())
    first = onelist("up", "--once", "--data-dir", str(data), "--port", port, cwd=repo_root)
    assert first.returncode == 0, first.stderr
    assert "onelist consortium deployed" in first.stdout
    assert "SH  上海数据交易所" in first.stdout
    record = json.loads((data / "deployment.json").read_text())

    second = onelist("up", "--once", "--data-dir", str(data), "--port", port, cwd=repo_root)
    assert second.returncode == 0, second.stderr
    assert "onelist consortium resumed" in second.stdout
    assert json.loads((data / "deployment.json").read_text()) == record

    fresh = onelist(
        "up", "--once", "--fresh", "--data-dir", str(data), "--port", port, cwd=repo_root
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "onelist consortium deployed" in fresh.stdout


def test_deploy_to_a_running_chain_writes_the_record(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "deployment.json"
    with LocalChain("anvil") as chain:
        result = onelist(
            "deploy",
            "--rpc",
            chain.url,
            "--chain-id",
            str(chain.chain_id),
            "--dev-account",
            "0",
            "--out",
            str(out),
            cwd=repo_root,
        )
    assert result.returncode == 0, result.stderr
    record = json.loads(out.read_text())
    assert record["chain_id"] == chain.chain_id
    assert set(record["contracts"]) == {"Consortium", "ListingRegistry", "LicenceRegistry"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--config", "missing.toml"],
            "missing.toml: cannot read",
            id="a missing founding file is named",
        ),
        pytest.param(
            ["--rpc", "http://127.0.0.1:9"], "127.0.0.1:9", id="an unreachable chain is named"
        ),
        pytest.param(["--dev-account", "99"], "--dev-account", id="a dev account out of range"),
    ],
)
def test_deploy_errors_are_one_line_without_traceback(
    repo_root: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    base = {"--rpc": "http://127.0.0.1:9", "--dev-account": "0"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    if "--config" in args:
        argv += ["--config", args[1]]
    result = onelist("deploy", *argv, "--out", str(tmp_path / "d.json"), cwd=repo_root)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d.json").exists()


def test_the_nodes_files_are_made_once_and_kept(tmp_path: Path) -> None:
    """Keystores, passphrases and staff accounts survive a second `up`; secrets are 0600."""
    from node.chain.sender import load_operator_key
    from node.config import load_config
    from node.service import open_store
    from node.store.staff import list_users
    from onelist.chain.connection import address_of, dev_private_keys
    from onelist.chain.founding import load_founding
    from onelist.network.plan import plan_network
    from onelist.network.provision import provision, read_staff_passwords

    founding = load_founding(Path("config/consortium.example.toml").absolute())
    plan = plan_network(founding, tmp_path, "http://127.0.0.1:8545", [8601, 8602, 8603, 8604])
    assert provision(plan, dev_private_keys()) == {
        "SH": True, "ZJ": True, "SD": True, "regulator": True,
    }  # fmt: skip
    first = {n.organisation: read_staff_passwords(n.staff_passwords_path) for n in plan.nodes}
    # Again, knowing no dev key at all: every node keeps the keystore made the first time.
    assert all(provision(plan, ()).values())
    for node in plan.nodes:
        assert read_staff_passwords(node.staff_passwords_path) == first[node.organisation]
        for secret in (node.staff_passwords_path, node.passphrase_path):
            assert secret.stat().st_mode & 0o777 == 0o600
        assert len(list(node.keystore_dir.iterdir())) == 1
        config = load_config(node.config_path)
        key = load_operator_key(config.operator_keystore, config.operator_passphrase_file)
        assert address_of(key) == node.account
        store = open_store(config.database_url)
        try:
            assert {u.username for u in list_users(store.engine)} == set(first[node.organisation])
        finally:
            store.close()


def test_down_without_a_running_up_says_so(repo_root: Path, tmp_path: Path) -> None:
    result = onelist("down", "--data-dir", str(tmp_path), cwd=repo_root)
    assert result.returncode == 0
    assert "nothing runs" in result.stderr


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_down_stops_what_a_killed_up_left_running(repo_root: Path, tmp_path: Path) -> None:
    """``up.pid`` names a dead ``up``; of the children it recorded, the one whose command line
    names the data folder is stopped, the one whose pid now runs something else is not."""
    data = tmp_path / "data"
    data.mkdir()
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    # In a session of its own, as up's children are.
    leftover = subprocess.Popen(
        [*sleeper, str(data / "nodes" / "sh" / "node.toml")], start_new_session=True
    )
    stranger = subprocess.Popen(sleeper)
    try:
        (data / "up.pid").write_text(f"{_dead_pid()}\n")
        (data / "up.children").write_text(f"{leftover.pid} node SH\n{stranger.pid} chain anvil\n")
        result = onelist("down", "--data-dir", str(data), "--timeout", "10", cwd=repo_root)
        assert result.returncode == 0, result.stderr
        assert f"node SH (pid {leftover.pid})" in result.stdout
        assert leftover.wait(timeout=10) == -signal.SIGTERM
        assert stranger.poll() is None
        assert not (data / "up.pid").exists() and not (data / "up.children").exists()
    finally:
        for process in (leftover, stranger):
            process.kill()
            process.wait()
