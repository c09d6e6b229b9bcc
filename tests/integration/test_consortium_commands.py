"""`onelist up` and `onelist deploy` as a user runs them: real processes, a real chain."""

from __future__ import annotations

import json
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
