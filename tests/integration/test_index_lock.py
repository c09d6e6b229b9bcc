"""One indexer per index: the lock ``node run``, ``sync`` and ``rebuild`` hold on their
database, against a SQLite file and a PostgreSQL database (``tests/integration/db_fixtures``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from node.store.index_lock import IndexInUse, advisory_key, hold_index, lock_index, lock_path
from onelist.build.compiler import repo_root


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for one test: a SQLite file of its own, or the session's PostgreSQL
    database (the lock takes no table, so sharing it is harmless)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def node(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onelist.cli", "node", *args],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_second_lock_on_one_index_is_refused_naming_the_holder(index_url: str) -> None:
    with hold_index(index_url, "SH"):
        with pytest.raises(IndexInUse) as refused:
            lock_index(index_url, "SH")
        assert refused.value.holder is not None
        assert f"pid {os.getpid()}" in refused.value.holder
        assert f"pid {os.getpid()}" in str(refused.value)
    # Released: the next one gets it.
    lock_index(index_url, "SH").release()


def test_another_index_is_another_lock(index_url: str, tmp_path: Path) -> None:
    other = (
        f"sqlite:///{tmp_path / 'other.db'}"
        if index_url.startswith("sqlite")
        else index_url  # one PostgreSQL database, another organisation's index
    )
    with hold_index(index_url, "SH"), hold_index(other, "ZJ"):
        pass


@pytest.mark.parametrize("command", ["run", "sync", "rebuild"])
def test_node_commands_that_index_refuse_a_held_index_at_once(index_url: str, command: str) -> None:
    with hold_index(index_url, "SH"):
        result = node(command, "--db", index_url, "--deployment", "/nonexistent.json")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "in use by" in result.stderr and f"pid {os.getpid()}" in result.stderr, result.stderr


def test_status_and_verify_read_a_held_index(index_url: str) -> None:
    with hold_index(index_url, "SH"):
        status = node("status", "--db", index_url, "--rpc", "http://127.0.0.1:9", "--json")
        verify = node("verify", "--db", index_url, "--rpc", "http://127.0.0.1:9")
    assert status.returncode == 0, status.stderr
    assert '"head": null' in status.stdout
    # An empty index has nothing to verify; what matters is that it was read, not refused.
    assert "in use by" not in verify.stderr and "nothing to verify" in verify.stderr


def test_a_sqlite_lock_file_sits_beside_the_database_and_dies_with_its_holder(
    tmp_path: Path,
) -> None:
    database = tmp_path / "index.db"
    assert lock_path(database) == tmp_path / "index.db.lock"
    url = f"sqlite:///{database}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from node.store.index_lock import lock_index; "
            "lock_index(sys.argv[1], 'SH'); print('held', flush=True); time.sleep(60)",
            url,
        ],
        cwd=repo_root(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(IndexInUse, match=f"pid {holder.pid}"):
            lock_index(url, "SH")
    finally:
        holder.kill()
        holder.wait()
    lock_index(url, "SH").release()  # the kernel let go with the killed holder


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("onelist", "SH"), ("onelist", "ZJ")),
        (("onelist", "SH"), ("other", "SH")),
    ],
    ids=["another organisation", "another database"],
)
def test_advisory_keys_differ_per_index(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert advisory_key(*a) != advisory_key(*b)
    assert advisory_key(*a) == advisory_key(*a)
    assert -(2**63) <= advisory_key(*a) < 2**63
