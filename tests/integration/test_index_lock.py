"""One indexer per index: the lock ``node run``, ``sync`` and ``rebuild`` hold on their
database, against a SQLite file and a PostgreSQL database (``tests/integration/db_fixtures``),
and what happens when PostgreSQL ends the lock's session (``pg_terminate_backend``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from node.store import StoreUnavailableError, open_engine
from node.store.index_lock import (
    IndexInUse,
    IndexLock,
    IndexLockLost,
    advisory_key,
    check_held,
    hold_index,
    lock_index,
    lock_path,
)
from onelist.build.compiler import repo_root
from tests.integration.db_fixtures import postgresql_database


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for one test: a SQLite file of its own, or this module's PostgreSQL
    database (the lock takes no table, so the module's tests share it; not the session's, which
    other tests leave rows in, where `node verify` would find an index to verify)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.db'}"
    url: str = request.getfixturevalue("lock_pg_url")
    return url


@pytest.fixture(scope="module")
def lock_pg_url(pg_server: URL) -> Iterator[str]:
    with postgresql_database(pg_server, "onelist_lock") as url:
        yield url


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


# ----------------------------------------------------------------------------- a dropped session


def terminate_session(url: str, pid: int) -> None:
    """End PostgreSQL session ``pid`` as an administrator would, and wait until it is gone
    (the server lets go of its locks as the backend exits)."""
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            ended = connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert ended.scalar() is True
            deadline = time.monotonic() + 10
            query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            while connection.execute(query, {"pid": pid}).scalar():
                assert time.monotonic() < deadline, f"session {pid} did not end"
                time.sleep(0.02)
    finally:
        admin.dispose()


HOLDER = (
    "import sys, time; from node.store.index_lock import lock_index; "
    "lock_index(sys.argv[1], 'SH'); print('held', flush=True); time.sleep(60)"
)


def holder(url: str) -> subprocess.Popen[str]:
    """Another process that takes SH's index lock on ``url`` and holds it for a minute (its
    first line of output says it holds it)."""
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=repo_root(), stdout=subprocess.PIPE, text=True
    )


def _session_pid(lock: IndexLock) -> int:
    assert lock.session is not None and lock.session.backend_pid is not None
    return lock.session.backend_pid


def test_a_lock_whose_session_was_terminated_is_taken_again(pg_url: str) -> None:
    with hold_index(pg_url, "SH") as lock:
        first = _session_pid(lock)
        assert lock.check() is True  # held: one question, nothing else
        assert _session_pid(lock) == first
        terminate_session(pg_url, first)
        # Before writing, the indexer asks (check_held with its store's URL): taken again.
        store = open_engine(pg_url)
        try:
            check_held(store.url)
        finally:
            store.dispose()
        second = _session_pid(lock)
        assert second != first
        assert lock.check() is True
        with pytest.raises(IndexInUse, match=f"pid {os.getpid()}"):
            lock_index(pg_url, "SH")  # held again: a second indexer is refused as before
    lock_index(pg_url, "SH").release()


def test_a_lock_another_process_took_meanwhile_is_lost_loudly(pg_url: str) -> None:
    with hold_index(pg_url, "SH") as lock:
        terminate_session(pg_url, _session_pid(lock))
        other = holder(pg_url)
        try:
            assert other.stdout is not None and other.stdout.readline() == "held\n"
            with pytest.raises(IndexLockLost) as lost:
                check_held(make_url(pg_url))
            assert lost.value.holder is not None and f"pid {other.pid}" in lost.value.holder
            assert "stops indexing" in str(lost.value)
            with pytest.raises(IndexLockLost):
                lock.check()  # and again, while the other holds it
        finally:
            other.kill()
            other.wait()
        # The other one died: the next check takes the lock again.
        deadline = time.monotonic() + 10
        while True:
            try:
                assert lock.check() is False
                break
            except IndexLockLost:
                assert time.monotonic() < deadline, "the killed holder's lock was not freed"
                time.sleep(0.05)
        assert lock.check() is True


def test_an_unreachable_server_is_retried_not_lost(pg_url: str) -> None:
    with hold_index(pg_url, "SH") as lock:
        session = lock.session
        assert session is not None
        terminate_session(pg_url, _session_pid(lock))
        reachable = session.engine
        session.engine = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:9/none",
            poolclass=NullPool,
            connect_args={"connect_timeout": 2},
        )
        try:
            with pytest.raises(StoreUnavailableError):
                lock.check()
        finally:
            session.engine.dispose()
            session.engine = reachable
        assert lock.check() is False  # the server answers again: taken again


def test_sqlite_and_no_lock_need_no_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'index.db'}"
    check_held(make_url(url))  # nothing held: nothing to do
    with hold_index(url, "SH") as lock:
        assert lock.session is None and lock.check() is True
        check_held(make_url(url))
