"""The indexer against a real chain and real databases: exactly once, through crashes, reorgs,
an unreachable chain and poison events. Each test indexes into its own fresh database (SQLite
file or PostgreSQL database) and compares the result with a fresh rebuild from the chain."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, Engine, create_engine, make_url, select
from sqlalchemy.exc import DBAPIError

from node.config import NodeConfig
from node.errors import ReorgBeyondWindow
from node.indexer.backfill import BACKFILL_SQLITE_CACHE_KIB, BackfillStats, run_backfill
from node.indexer.batch import Project
from node.projections import project
from node.service import open_store
from node.store import IndexDigest, schema
from tests.integration.db_fixtures import postgresql_database

from .conftest import Consortium, Rigged, start_consortium
from .forked_cli import ForkedCli

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty index database for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.db'}"
        return
    with postgresql_database(request.getfixturevalue("pg_server"), "onelist_node") as url:
        yield url


def index(
    consortium: Consortium,
    url: str,
    *,
    until: int | None = None,
    max_range: int = 50_000,
    rollback_window: int = 128,
    project_event: Project = project,
    range_process: int | None = None,
) -> BackfillStats:
    return asyncio.run(
        run_backfill(
            consortium.url,
            consortium.deployment,
            url,
            until=until,
            max_range=max_range,
            rollback_window=rollback_window,
            project_event=project_event,
            range_process=range_process,
        )
    )


def digest(url: str) -> IndexDigest:
    store = open_store(url)
    try:
        return store.digest()
    finally:
        store.close()


def rebuilt(consortium: Consortium, tmp_path: Path, until: int | None = None) -> IndexDigest:
    """The digest of a fresh index of the whole chain (into a new SQLite file)."""
    url = f"sqlite:///{tmp_path / f'rebuild-{uuid.uuid4().hex[:6]}.db'}"
    index(consortium, url, until=until)
    return digest(url)


def assert_same(mine: IndexDigest, fresh: IndexDigest) -> None:
    difference = mine.first_difference(fresh)
    assert difference is None, f"the index differs from a rebuild: {difference}"


def test_replaying_an_indexed_range_changes_nothing(
    consortium: Consortium, db_url: str, tmp_path: Path
) -> None:
    consortium.traffic(3)
    first = index(consortium, db_url)
    before = digest(db_url)
    again = index(consortium, db_url)
    assert again.events == 0
    assert_same(digest(db_url), before)
    store = open_store(db_url)
    try:
        cursor = store.cursor()
        assert cursor is not None
        # Roll back to the deployment and index the same blocks a second time.
        store.rollback_to(consortium.deployment.block, None, project)
    finally:
        store.close()
    replayed = index(consortium, db_url)
    assert replayed.events > 0 and first.events > 0
    assert_same(digest(db_url), before)
    assert_same(before, rebuilt(consortium, tmp_path, until=cursor.block_number))


@functools.cache
def _engine(url: str) -> Engine:
    return create_engine(url)


def _cursor_block(url: str) -> int:
    """The index's cursor, read cheaply (polled while an indexer process runs)."""
    with _engine(url).connect() as connection:
        try:
            value = connection.execute(select(schema.cursor.c.block_number)).scalar()
        except DBAPIError:  # the tables are not created yet
            return -1
    return -1 if value is None else int(value)


#: The blocks of 40 listings granted twice each: what the kill test backfills.
KILL_TEST_BLOCKS = 120
_rebuilds: dict[bytes, IndexDigest] = {}  # by the hash of the head block: one chain state


def test_killed_at_ten_random_points_the_index_equals_a_rebuild(
    consortium: Consortium, db_url: str, tmp_path: Path
) -> None:
    # Both databases backfill the same chain: the first run makes its traffic, the second reuses it.
    if consortium.w3.eth.block_number - consortium.deployment.block < KILL_TEST_BLOCKS:
        consortium.traffic(40, grants_each=2)
    head = consortium.w3.eth.block_number
    rng = random.Random(4)
    argv = [
        sys.executable, "-m", "onelist.cli", "node", "sync",
        "--rpc", consortium.url, "--db", db_url,
        "--deployment", str(consortium.deployment_path), "--max-range", "2",
        "--until", str(head),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    killed_at: list[int] = []
    # The ten killed runs are forked from one Python that has imported the node and loaded
    # jieba (tests/node/forked_cli.py): each starts in a fraction of a second, not two.
    with ForkedCli(tmp_path, env) as forked:
        for _ in range(10):
            # A random point a few blocks past where the index stands: each kill lands
            # mid-backfill.
            point = max(_cursor_block(db_url), consortium.deployment.block) + rng.randint(1, 6)
            forked.start(*argv[3:])
            deadline = time.monotonic() + 60
            while _cursor_block(db_url) < point and forked.running():
                assert time.monotonic() < deadline, "the indexer made no progress"
                time.sleep(0.005)
            code = forked.kill()
            assert code in (-signal.SIGKILL, 0), forked.output()[1][-2000:]  # killed, or done
            killed_at.append(_cursor_block(db_url))
    assert len(killed_at) == 10 and killed_at[-1] < head, killed_at
    # The last run is the real command, from a new interpreter.
    finished = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert _cursor_block(db_url) == head
    _engine(db_url).dispose()
    key = bytes(consortium.w3.eth.get_block(head)["hash"])
    if key not in _rebuilds:
        _rebuilds[key] = rebuilt(consortium, tmp_path, until=head)
    assert_same(digest(db_url), _rebuilds[key])


# ----------------------------------------------------------------------------- range process


def _through_the_range_process(
    consortium: Consortium, url: str, projection: Rigged, *, blocks: int = 3
) -> BackfillStats:
    """A backfill whose ranges (``blocks`` each) go to the range process as soon as it is
    warm: any range starts it, and the projection is slow in this process, so that the small
    chain outlasts the worker's start-up."""
    return index(consortium, url, max_range=blocks, project_event=projection, range_process=1)


def test_a_backfill_through_the_range_process_equals_a_rebuild(
    consortium: Consortium, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if consortium.w3.eth.block_number - consortium.deployment.block < 40:
        consortium.traffic(15)
    head = consortium.w3.eth.block_number
    with caplog.at_level(logging.INFO, logger="onelist.node.indexer"):
        stats = _through_the_range_process(consortium, db_url, Rigged(slow_here=0.03))
    assert "decoding in a second process" in caplog.text
    assert stats.ranges_in_process > 0, "no range went through the range process"
    assert "range process failed" not in caplog.text
    assert_same(digest(db_url), rebuilt(consortium, tmp_path, until=head))


def test_a_range_process_that_dies_leaves_the_rest_to_the_indexer(
    consortium: Consortium, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if consortium.w3.eth.block_number - consortium.deployment.block < 40:
        consortium.traffic(15)
    head = consortium.w3.eth.block_number
    last = consortium.w3.eth.get_logs({"fromBlock": head, "toBlock": head})
    doomed = "0x" + bytes(last[-1]["transactionHash"]).hex()  # the worker dies at the last event
    url = f"sqlite:///{tmp_path / 'index.db'}"
    with caplog.at_level(logging.INFO, logger="onelist.node.indexer"):
        stats = _through_the_range_process(
            consortium, url, Rigged(slow_here=0.03, kill_worker_at=doomed), blocks=1
        )
    assert stats.ranges_in_process > 0
    assert "the range process failed" in caplog.text
    assert_same(digest(url), rebuilt(consortium, tmp_path, until=head))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


_SLOW_BACKFILL = """
import asyncio, logging, sys
from node.indexer.backfill import run_backfill
from onelist.chain.deployment import load_deployment
from pathlib import Path
from tests.node.conftest import Rigged

logging.basicConfig(level=logging.INFO)
rpc, deployment, url = sys.argv[1:]
asyncio.run(run_backfill(
    rpc, load_deployment(Path(deployment)), url, max_range=1, range_process=1,
    project_event=Rigged(slow_here=0.1),
))
"""


def test_the_range_process_ends_with_an_indexer_killed_by_sigkill(
    consortium: Consortium, tmp_path: Path
) -> None:
    if consortium.w3.eth.block_number - consortium.deployment.block < 40:
        consortium.traffic(15)
    url = f"sqlite:///{tmp_path / 'index.db'}"
    log_path = tmp_path / "indexer.log"
    with log_path.open("w") as log_file:
        indexer = subprocess.Popen(
            [sys.executable, "-c", _SLOW_BACKFILL, consortium.url,
             str(consortium.deployment_path), url],
            stdout=subprocess.DEVNULL, stderr=log_file, cwd=Path(__file__).parents[2],
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "range process is ready" not in log_path.read_text():
            assert indexer.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "the range process did not start"
            time.sleep(0.02)
        workers = _children(indexer.pid)
        assert workers
    finally:
        indexer.kill()
        indexer.wait()
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, f"range process {workers} outlived the indexer"
        time.sleep(0.05)


def _reorg(consortium: Consortium, depth: int) -> None:
    """Replace the last ``depth`` blocks; the first new one lists a product the old ones did not."""
    from onelist.chain.samples import sample_record
    from onelist.records import record_tuple

    sh, provider = consortium.keys[1], consortium.keys[5]
    client = consortium.client
    record = sample_record(
        client.w3.eth.account.from_key(provider).address, f"reorg-{uuid.uuid4()}"
    )
    deadline = client.deadline()
    lid = bytes(record["fingerprint"])
    from tests.node.conftest import CATALOGUE

    signature = client.sign_listing(provider, lid, "SH", record, CATALOGUE, deadline)
    data = client.listings.functions.list(
        record_tuple(record), CATALOGUE, deadline, signature
    )._encode_transaction_data()
    sender = client.w3.eth.account.from_key(sh).address
    tx = {"from": sender, "to": client.listings.address, "data": data, "gas": hex(500_000)}
    reply = consortium.w3.provider.make_request("anvil_reorg", [depth, [[tx, 0]]])
    assert "error" not in reply, reply


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_a_reorg_ends_equal_to_a_rebuild(
    consortium: Consortium, tmp_path: Path, depth: int
) -> None:
    url = f"sqlite:///{tmp_path / 'index.db'}"
    consortium.traffic(depth)  # the blocks the reorg replaces hold events
    index(consortium, url)
    _reorg(consortium, depth)
    consortium.traffic(1)
    index(consortium, url)
    assert_same(digest(url), rebuilt(consortium, tmp_path))


def test_a_reorg_on_postgresql_ends_equal_to_a_rebuild(
    consortium: Consortium, tmp_path: Path, pg_server: URL
) -> None:
    with postgresql_database(pg_server, "onelist_node") as url:
        consortium.traffic(3)
        index(consortium, url)
        _reorg(consortium, 3)
        consortium.traffic(1)
        index(consortium, url)
        assert_same(digest(url), rebuilt(consortium, tmp_path))


def test_a_reorg_deeper_than_the_window_halts_and_deletes_nothing(
    consortium: Consortium, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'index.db'}"
    consortium.traffic(5)
    index(consortium, url, rollback_window=2)
    before = digest(url)
    _reorg(consortium, 5)
    with pytest.raises(ReorgBeyondWindow, match="nothing is deleted"):
        index(consortium, url, rollback_window=2)
    assert_same(digest(url), before)


@pytest.mark.parametrize("where", ["here", "range process"])
def test_a_poison_event_goes_to_dead_letters_and_later_events_are_indexed(
    consortium: Consortium, db_url: str, where: str
) -> None:
    start = consortium.w3.eth.block_number
    consortium.traffic(3)
    logs = consortium.w3.eth.get_logs(
        {"fromBlock": start + 1, "address": consortium.deployment.address("ListingRegistry")}
    )
    poison_tx = "0x" + bytes(logs[1]["transactionHash"]).hex()  # the second new listing
    if where == "here":
        index(consortium, db_url, project_event=Rigged(poison_tx))
    else:
        # The projection refuses the listing in the range process; the store refuses its
        # grant in this one, which builds that range again to name the change.
        stats = _through_the_range_process(consortium, db_url, Rigged(poison_tx, slow_here=0.03))
        assert stats.ranges_in_process > 0
    store = open_store(db_url)
    try:
        status = store.status()
    finally:
        store.close()
    letters = status["recent_dead_letters"]
    stages = sorted(letter["stage"] for letter in letters)
    # The listing is refused by the projection; its grant then updates a listing the index
    # does not hold, which the store refuses: both become dead letters.
    assert stages == ["project", "store"], letters
    assert any(letter["tx_hash"] == poison_tx for letter in letters)
    assert status["tables"]["listings"] >= 2  # the listings before and after it are indexed
    third = "0x" + bytes(logs[2]["topics"][1]).hex()
    with open_store(db_url) as again, again.engine.connect() as connection:
        row = connection.execute(
            select(schema.listings.c.listing_id).where(schema.listings.c.listing_id == third)
        ).first()
    assert row is not None, "the listing after the poison event was not indexed"


def test_the_indexer_waits_out_a_stopped_chain_and_loses_nothing(tmp_path: Path) -> None:
    from node.service import open_node

    data = tmp_path / "chain"
    c = start_consortium(tmp_path, data_dir=data)
    port = c.chain.port
    url = f"sqlite:///{tmp_path / 'index.db'}"
    config = NodeConfig(
        organisation="SH",
        rpc_url=c.url,
        deployment=c.deployment_path,
        database_url=url,
        poll_interval=0.2,
        rpc_timeout=2,
        rpc_retries=1,
    )

    async def scenario() -> None:
        nonlocal c
        stop = asyncio.Event()
        async with open_node(config) as node:
            task = asyncio.create_task(node.indexer.run(stop))
            await asyncio.to_thread(c.traffic, 2)
            await _until(
                lambda: (
                    node.indexer.state.lag == 0
                    and node.indexer.state.indexed == c.w3.eth.block_number
                )
            )
            c.chain.stop()
            await asyncio.sleep(10)
            assert not node.indexer.state.chain_reachable
            assert "unreachable" in (node.indexer.state.last_error or "")
            assert not task.done()
            restarted = await asyncio.to_thread(lambda: start_again(c, data, port))
            # The chain answered before start_again returned: the indexer, probing its head
            # every second while it is down, sees it within about a second (it used to wait
            # out a backoff growing to 30 s: here 5.8-5.9 s late).
            back = time.monotonic()
            await _until(lambda: node.indexer.state.chain_reachable, timeout=10)
            late = time.monotonic() - back
            assert late < 2.5, f"indexing resumed {late:.1f} s after the chain was back"
            c = restarted
            await asyncio.to_thread(c.traffic, 2)
            head = c.w3.eth.block_number
            await _until(lambda: node.indexer.state.indexed == head, timeout=60)
            assert node.indexer.state.chain_reachable
            stop.set()
            await task

    async def _until(condition: object, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.1)

    asyncio.run(scenario())
    try:
        assert_same(digest(url), rebuilt(c, tmp_path))
    finally:
        c.chain.stop()


def start_again(c: Consortium, data: Path, port: int) -> Consortium:
    from onelist.chain.connection import connect
    from onelist.chain.launcher import LocalChain

    chain = LocalChain("anvil", data_dir=data, port=port).start()
    w3 = connect(chain.url, chain.chain_id)
    from onelist.chain.client import ConsortiumClient

    return Consortium(
        chain, w3, c.deployment, c.deployment_path, ConsortiumClient(w3, c.deployment), c.keys
    )


def test_a_head_subscription_wakes_the_indexer_before_the_next_poll(
    consortium: Consortium, tmp_path: Path
) -> None:
    from node.service import open_node

    config = NodeConfig(
        organisation="SH",
        rpc_url=consortium.url,
        ws_url="ws" + consortium.url.removeprefix("http"),
        deployment=consortium.deployment_path,
        database_url=f"sqlite:///{tmp_path / 'index.db'}",
        poll_interval=60,  # without the subscription nothing new would be seen for a minute
    )

    async def scenario() -> float:
        stop = asyncio.Event()
        async with open_node(config) as node:
            task = asyncio.create_task(node.indexer.run(stop))
            head = consortium.w3.eth.block_number
            while node.indexer.state.indexed != head:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # idle now, waiting for a head
            await asyncio.to_thread(consortium.traffic, 1)
            new_head = consortium.w3.eth.block_number
            started = time.monotonic()
            while node.indexer.state.indexed != new_head:
                assert time.monotonic() - started < 10, "the new block was not seen"
                await asyncio.sleep(0.02)
            stop.set()
            await task
            return time.monotonic() - started

    assert asyncio.run(scenario()) < 10


def _node_cli(
    consortium: Consortium, url: str, *args: str, forked: ForkedCli | None = None
) -> subprocess.CompletedProcess[str]:
    """``onelist node *args`` over the test chain: a new ``python -m onelist.cli``, or a process
    forked from ``forked`` (the same command, started without the interpreter's start-up)."""
    argv = [
        "node", *args,
        "--rpc", consortium.url, "--db", url, "--deployment", str(consortium.deployment_path),
    ]  # fmt: skip
    if forked is not None:
        return forked.run(*argv)
    return subprocess.run(
        [sys.executable, "-m", "onelist.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_verify_passes_on_a_faithful_index_and_names_the_first_difference(
    consortium: Consortium, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'index.db'}"
    consortium.traffic(2)
    with ForkedCli(tmp_path) as forked:
        synced = _node_cli(consortium, url, "sync", forked=forked)
        assert synced.returncode == 0, synced.stderr[-2000:]
        good = _node_cli(consortium, url, "verify", forked=forked)
        assert good.returncode == 0, good.stderr[-2000:]
        assert "verified" in good.stdout
        store = open_store(url)
        with store.engine.begin() as connection:
            connection.execute(schema.licences.update().values(price_fen=1))
        store.close()
        bad = _node_cli(consortium, url, "verify", forked=forked)
        assert bad.returncode == 1
        assert "licences" in bad.stderr
        assert "Traceback" not in bad.stderr
        rebuilt_again = _node_cli(consortium, url, "rebuild", forked=forked)
        assert rebuilt_again.returncode == 0, rebuilt_again.stderr[-2000:]
        assert _node_cli(consortium, url, "verify", forked=forked).returncode == 0
    # And the real command, from a new interpreter.
    status = _node_cli(consortium, url, "status")
    assert "lag           0" in status.stdout


def test_a_backfill_store_caps_sqlite_page_cache_on_every_connection(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'index.db'}")
    try:
        store.cap_sqlite_cache(BACKFILL_SQLITE_CACHE_KIB)
        with store.engine.connect() as first, store.engine.connect() as second:
            for connection in (first, second):
                size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
                assert size == -BACKFILL_SQLITE_CACHE_KIB
    finally:
        store.close()


async def _until(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _sh_node(consortium: Consortium, database_url: str) -> NodeConfig:
    """SH's node over the test chain and ``database_url``, polling every 0.1 s."""
    return NodeConfig(
        organisation="SH",
        rpc_url=consortium.url,
        deployment=consortium.deployment_path,
        database_url=database_url,
        poll_interval=0.1,
    )


def test_an_indexer_whose_lock_session_ends_takes_it_again_or_stops(
    consortium: Consortium, pg_server: URL
) -> None:
    """``node run`` on PostgreSQL: when the server ends the index lock's session, the indexer
    takes the lock again before its next write and goes on; when another indexer took it
    meanwhile, it stops with :class:`IndexLockLost` and writes nothing more."""
    from node.service import open_node
    from node.store.index_lock import IndexLockLost, hold_index
    from tests.integration.test_index_lock import holder, terminate_session

    with postgresql_database(pg_server, "onelist_node") as url:
        config = _sh_node(consortium, url)

        async def scenario() -> None:
            stop = asyncio.Event()
            with hold_index(url, "SH") as lock:
                assert lock.session is not None
                async with open_node(config) as node:
                    task = asyncio.create_task(node.indexer.run(stop))
                    head = consortium.w3.eth.block_number
                    await _until(lambda: node.indexer.state.indexed == head)
                    first = lock.session.backend_pid
                    assert first is not None
                    await asyncio.to_thread(terminate_session, url, first)
                    await asyncio.to_thread(consortium.traffic, 1)
                    head = consortium.w3.eth.block_number
                    await _until(lambda: node.indexer.state.indexed == head)
                    second = lock.session.backend_pid
                    assert second not in (None, first), "the lock was not taken again"

                    assert second is not None
                    await asyncio.to_thread(terminate_session, url, second)
                    other = holder(url)
                    try:
                        assert other.stdout is not None
                        assert await asyncio.to_thread(other.stdout.readline) == "held\n"
                        indexed = node.indexer.state.indexed
                        await asyncio.to_thread(consortium.traffic, 1)
                        with pytest.raises(IndexLockLost, match=f"pid {other.pid}"):
                            await asyncio.wait_for(task, 30)
                    finally:
                        other.kill()
                        other.wait()
                    assert "lost its lock" in (node.indexer.state.last_error or "")
                    assert node.indexer.state.indexed == indexed
                    cursor = await asyncio.to_thread(node.store.cursor)
                    assert cursor is not None and cursor.block_number == indexed

        asyncio.run(scenario())


class _Plug:
    """A TCP relay in front of PostgreSQL that a test pulls out and puts back, on one port:
    while out, connecting is refused and the connections it carried are cut, as when an
    operator stops the server (the server ends their sessions, and their locks)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._carried: set[socket.socket] = set()
        self._lock = threading.Lock()

    def put_back(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def pull(self) -> None:
        listener, self._listener = self._listener, None
        with self._lock:
            carried, self._carried = self._carried, set()
        for sock in ([listener] if listener else []) + list(carried):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.target)
            except OSError:
                return
            with self._lock:
                self._carried |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    @staticmethod
    def _relay(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_the_indexer_waits_out_an_unreachable_database_and_resumes_within_seconds(
    consortium: Consortium, pg_server: URL, caplog: pytest.LogCaptureFixture
) -> None:
    """``node run`` on PostgreSQL while the server is away for 8 s (its port refusing, its
    sessions cut): the indexer logs the outage once, reads the index's cursor every second
    meanwhile, and indexes what was mined during the outage within about a second of the
    server's return (a backoff doubling to 30 s left it 7 s late here)."""
    from node.service import open_node
    from node.store.index_lock import hold_index

    with postgresql_database(pg_server, "onelist_node") as direct:
        server = make_url(direct)
        plug = _Plug(server.host or "127.0.0.1", server.port or 5432)
        plug.put_back()
        url = server.set(host="127.0.0.1", port=plug.port).render_as_string(hide_password=False)
        config = _sh_node(consortium, url)

        async def scenario() -> None:
            stop = asyncio.Event()
            with hold_index(url, "SH"):
                async with open_node(config) as node:
                    state = node.indexer.state
                    task = asyncio.create_task(node.indexer.run(stop))
                    await asyncio.to_thread(consortium.traffic, 1)
                    head = consortium.w3.eth.block_number
                    await _until(lambda: state.indexed == head)

                    plug.pull()
                    await asyncio.to_thread(consortium.traffic, 1)
                    head = consortium.w3.eth.block_number
                    await _until(lambda: "database" in (state.last_error or ""))
                    await asyncio.sleep(8)
                    assert state.indexed is not None and state.indexed < head
                    assert not task.done()
                    plug.put_back()
                    back = time.monotonic()
                    await _until(lambda: state.indexed == head and state.last_error is None)
                    late = time.monotonic() - back
                    assert late < 2.5, f"indexing resumed {late:.1f} s after the database was back"
                    stop.set()
                    await task

        caplog.set_level(logging.INFO, logger="onelist.node.indexer")
        try:
            asyncio.run(scenario())
        finally:
            plug.pull()
    said = [r.getMessage() for r in caplog.records if r.name == "onelist.node.indexer"]
    outage = [m for m in said if m.startswith("database unreachable")]
    assert len(outage) == 1, said  # logged when it began, not at every probe
    assert said.count("the database answers again; indexing resumed") == 1, said
