"""The indexer's loop: follow the chain, turn each block range into one store transaction.

One step (:meth:`Indexer.step`):

1. ask the head; the target is ``head - confirmations``;
2. check that the chain still holds the block the cursor names (a different hash is a reorg:
   find the common ancestor among the blocks the store kept, roll the index back to it and go on;
   an ancestor below the rollback window halts indexing loudly and deletes nothing);
3. fetch the next range's logs with ``eth_getLogs`` over the consortium's addresses (the range
   adapts to what the RPC accepts) and the headers of the blocks involved;
4. decode and project them (pure; failures become dead letters) and hand the store one batch:
   events, row changes, headers, dead letters and the new cursor, committed together.

:meth:`Indexer.run` repeats steps, waits for new blocks when caught up, and tells failures apart:
an unreachable chain or database is probed every second until it answers, another database
or chain error is retried with backoff, while reads keep being served and the node reports not
ready; a reorg past the window, or the index's lock taken by another indexer, stops the loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import gc
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from node.chain.heads import follow_heads
from node.chain.ranges import RangeSizer
from node.chain.rpc import RpcClient
from node.decode import EventCatalog
from node.errors import RangeTooLarge, ReorgBeyondWindow, RpcError, RpcUnavailable
from node.events import BlockHeader, RawLog
from node.indexer.batch import Project, RangeBatch, Rejected, build_batch
from node.indexer.range_process import (
    PreparedRange,
    RangeProcess,
    RangeProcessSpec,
)
from node.store import (
    Cursor,
    RowChangeError,
    Store,
    StoreError,
    StoreUnavailableError,
    WriteBatch,
)
from node.store.index_lock import IndexLockLost, check_held
from node.store.writer import PreparedBatchFailed

log = logging.getLogger("onelist.node.indexer")


#: Collector thresholds during a backfill (Python's default is 700, 10, 10).
BACKFILL_GC_THRESHOLDS = (50_000, 20, 100)
#: While the chain is unreachable: seconds between probes of its head (one ``eth_blockNumber``
#: each, no retries), and how long one may take. Indexing resumes within about a second of the
#: chain's return, and a chain that is down gets one cheap request a second.
CHAIN_PROBE_INTERVAL = 1.0
CHAIN_PROBE_TIMEOUT = 2.0
#: While the database is unreachable (a server restarting, a dropped network): seconds between
#: probes of it (one read of the index's cursor each, its connection attempt bounded by the
#: engine's connect timeout). Indexing resumes within about a second of the database's return.
DATABASE_PROBE_INTERVAL = 1.0


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often, and never over what was loaded before.

    A catching-up sync (a backfill, ``onelist node sync``, ``verify``, ``rebuild``) allocates
    some thirty objects per event (decoded args, row changes, parameter tuples) and keeps a
    range's worth alive at once; at the default thresholds the collector walks them again and
    again, which cost a third of the decode, project and prepare stages in a profile. The
    pipeline makes almost no reference cycles, so collecting rarely frees the same memory.
    ``gc.freeze`` moves what start-up loaded (the ABIs and decoders, SQLAlchemy's metadata)
    out of every collection. The previous thresholds come back afterwards, and the frozen
    objects go back to the oldest generation.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*BACKFILL_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@dataclass
class IndexerState:
    """What the node reports about its indexing (status, /ready, metrics)."""

    head: int | None = None
    indexed: int | None = None
    chain_reachable: bool = False
    events_indexed: int = 0
    dead_letters: int = 0
    reorgs: int = 0
    ranges_in_process: int = 0  # ranges the range process decoded (node.indexer.range_process)
    last_error: str | None = None
    started_at: float = field(default_factory=time.monotonic)

    @property
    def lag(self) -> int | None:
        if self.head is None or self.indexed is None:
            return None
        return max(0, self.head - self.indexed)


@dataclass(frozen=True, slots=True)
class _Fetched:
    """One fetched block range: its logs, its blocks' times and headers, its first block and
    its last block's header (the cursor it ends at)."""

    logs: list[RawLog]
    block_times: dict[int, int]
    headers: list[BlockHeader]
    first: int
    end: BlockHeader


def _logs_of(built: RangeBatch, logs: Sequence[RawLog]) -> list[RawLog]:
    """The raw log of each projected event, in order (to dead-letter one the store refuses)."""
    by_position = {(entry.tx_hash, entry.log_index): entry for entry in logs}
    return [
        by_position[(bytes.fromhex(event.tx_hash[2:]), event.log_index)]
        for event, _ in built.projected
    ]


def _forget(commits: Sequence[asyncio.Future[None]]) -> None:
    """Cancel the commits still to run; take the error of those that failed (each commit
    fails with the error of the one before it, raised once already)."""
    for commit in commits:
        if not commit.done():
            commit.cancel()
        elif not commit.cancelled():
            commit.exception()


class Indexer:
    def __init__(
        self,
        rpc: RpcClient,
        store: Store,
        catalog: EventCatalog,
        *,
        chain_id: int,
        addresses: Sequence[str],
        start_block: int,
        project: Project,
        confirmations: int = 0,
        rollback_window: int = 128,
        poll_interval: float = 0.5,
        max_range: int = 50_000,
        on_progress: Callable[[IndexerState], None] | None = None,
        ws_url: str | None = None,
        range_process: RangeProcessSpec | None = None,
    ) -> None:
        self.rpc = rpc
        self.store = store
        self.catalog = catalog
        self.chain_id = chain_id
        self.addresses = list(addresses)
        self.start_block = start_block
        self.project = project
        self.confirmations = confirmations
        self.rollback_window = rollback_window
        self.poll_interval = poll_interval
        self.sizer = RangeSizer(maximum=max_range)
        self.state = IndexerState()
        self.on_progress = on_progress
        self.new_block = asyncio.Event()  # set by the head subscription, if any
        self._frontier: tuple[int, bytes] | None = None
        # The commits of the ranges handed to the store and not yet waited for, oldest first;
        # each waits for the one before it.
        self._in_flight: collections.deque[asyncio.Future[None]] = collections.deque()
        self._database_down = False  # since a step found the database unreachable
        self.ws_url = ws_url
        self._process_spec = range_process  # None: decode in this process only
        self._process: RangeProcess | None = None
        self._process_announced = False

    # ----------------------------------------------------------------- one step

    async def _cursor(self) -> tuple[int, bytes] | None:
        cursor = await asyncio.to_thread(self.store.cursor)
        if cursor is None:
            return None
        return cursor.block_number, cursor.block_hash

    async def step(self, until: int | None = None) -> bool:
        """Index the next range; True when the index has caught up with the target.

        The stages overlap: while the store commits one range in a worker thread, the next is
        fetched and decoded (by the range process, when one runs, with a range more in
        flight). ``_frontier`` is the end of the last range handed to the store; each range's
        commit waits for the one before, so ranges commit in order, and the pipeline drains
        before anything that needs the store's true state (a reorg, catching up, an error).
        """
        head = await self.rpc.head()
        self.state.head = head
        self.state.chain_reachable = True
        target = head - self.confirmations
        if until is not None:
            target = min(target, until)
        frontier = self._frontier or await self._cursor()
        if frontier is not None:
            number, block_hash = frontier
            if number > head:
                await self._drain()
                await self._reorg(
                    await self._cursor() or frontier,
                    reason=f"the head {head} is below the index's block {number}",
                )
                return False
            (current,) = await self.rpc.headers([number])
            if current.hash != block_hash:
                await self._drain()
                await self._reorg(
                    await self._cursor() or frontier, reason=f"block {number} changed"
                )
                return False
            start = number + 1
        else:
            start = self.start_block
        if start > target:
            await self._drain()
            self.state.indexed = start - 1
            return True
        first, last = self.sizer.next_range(start, target)
        try:
            logs = await self.rpc.get_logs(first, last, self.addresses)
        except RangeTooLarge as exc:
            if not self.sizer.refused(last - first + 1):
                raise RpcError(
                    f"eth_getLogs refuses even a single block ({first}): {exc}"
                ) from None
            log.info("range %d-%d refused (%s); now %d blocks", first, last, exc, self.sizer.size)
            return False
        self.sizer.succeeded(last - first + 1, len(logs))
        numbers = sorted({entry.block_number for entry in logs} | {last})
        headers = {h.number: h for h in await self.rpc.headers(numbers)}
        if any(entry.block_hash != headers[entry.block_number].hash for entry in logs):
            log.info("blocks %d-%d changed while being read; reading them again", first, last)
            return False
        end = headers[last]
        fetched = _Fetched(
            logs, {n: h.timestamp for n, h in headers.items()}, list(headers.values()), first, end
        )
        work = await self._build(fetched, more=last < target)
        previous = self._in_flight[-1] if self._in_flight else None
        self._in_flight.append(asyncio.ensure_future(self._commit_after(previous, work, fetched)))
        self._frontier = (end.number, end.hash)
        caught_up = last >= target
        if caught_up:
            await self._drain()
            await self.stop_range_process()
        else:
            # Ranges in flight when the next is fetched: in one process, this one (its commit
            # waits for the one before); with the range process, also the one before, so that
            # the worker always has a range queued (~10-15 % faster than one in flight, and a
            # third gained nothing when measured).
            keep = 2 if isinstance(work, asyncio.Future) else 1
            while len(self._in_flight) > keep:
                await self._settled(self._in_flight.popleft())
        return caught_up

    async def _build(
        self, fetched: _Fetched, *, more: bool
    ) -> RangeBatch | asyncio.Future[PreparedRange]:
        """The range decoded and projected here, or handed to the range process when one is
        warm (its result comes while this process fetches the next range and commits the one
        before)."""
        process = await self._range_process(len(fetched.logs), more)
        if process is not None:
            try:
                return process.submit(fetched.logs, fetched.block_times)
            except Exception as exc:  # a worker that died since
                await self._lost_range_process(exc)
        return self._build_here(fetched)

    def _build_here(self, fetched: _Fetched) -> RangeBatch:
        """The range decoded and projected in this process."""
        return build_batch(
            fetched.logs, fetched.block_times, self.catalog, self.chain_id, self.project
        )

    async def _lost_range_process(self, error: BaseException) -> None:
        log.warning("the range process failed (%s); decoding in this process", error)
        self._process_spec = None
        await self.stop_range_process()

    async def _range_process(self, logs: int, more: bool) -> RangeProcess | None:
        """The warm range process, started when a large range leaves more to fetch; None
        while it warms up, or when there is none."""
        if self._process is None:
            spec = self._process_spec
            if spec is None or not more or logs < spec.min_logs:
                return None
            self._process = RangeProcess(spec)
            self._process_announced = False
            log.info("far behind the head: decoding in a second process")
        try:
            if not self._process.ready:
                return None
        except Exception as exc:
            log.warning("the range process did not start (%s); decoding in this process", exc)
            self._process_spec = None
            await self.stop_range_process()
            return None
        if not self._process_announced:
            self._process_announced = True
            log.info("the range process is ready")
        return self._process

    async def stop_range_process(self) -> None:
        """Stop the range process, if one runs (caught up, or stopping)."""
        process, self._process = self._process, None
        if process is not None:
            await asyncio.to_thread(process.close)

    async def _drain(self) -> None:
        """Wait for the ranges being committed, if any (an error is raised here)."""
        in_flight = [*self._in_flight]
        self._in_flight.clear()
        if in_flight:
            try:
                await self._settled(in_flight[-1])  # each commit waits for the one before: all
            except BaseException:
                _forget(in_flight)
                raise

    async def _settled(self, pending: asyncio.Future[None]) -> None:
        """Wait for one range's commit (and those before it); on its error the pipeline
        forgets what it handed over."""
        try:
            await pending
        except BaseException:
            self._frontier = None
            raise

    def reset_pipeline(self) -> None:
        """Forget what was handed to the store but not committed (after an error)."""
        _forget(self._in_flight)
        self._in_flight.clear()
        self._frontier = None

    async def _commit_after(
        self,
        previous: asyncio.Future[None] | None,
        work: RangeBatch | asyncio.Future[PreparedRange],
        fetched: _Fetched,
    ) -> None:
        """Commit a range once the range before it is committed (in order: each batch must
        follow the cursor the one before wrote) and it is decoded."""
        if previous is not None:
            await previous
        if isinstance(work, asyncio.Future):
            try:
                built: RangeBatch | PreparedRange = await work
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise
                # The range process was stopped with this range still queued.
                built = self._build_here(fetched)
            except Exception as exc:  # the worker died, or a log would not pickle
                await self._lost_range_process(exc)
                built = self._build_here(fetched)
        else:
            built = work
        await self._commit(built, fetched)

    async def _commit(self, built: RangeBatch | PreparedRange, fetched: _Fetched) -> None:
        end = fetched.end
        cursor = Cursor(self.chain_id, end.number, end.hash)
        if isinstance(built, PreparedRange):
            if built.batch is not None:
                write = functools.partial(
                    self.store.apply_prepared,
                    cursor,
                    built.batch,
                    blocks=fetched.headers,
                    rejected=built.rejected,
                    first_block=fetched.first,
                )
                try:
                    await asyncio.to_thread(self._write, write)
                except PreparedBatchFailed:
                    pass  # built again below, here, where the store can name the change
                else:
                    self.state.ranges_in_process += 1
                    self._committed(built.rejected, built.events, end)
                    return
            built = self._build_here(fetched)
        raw_by_event = {
            id(event): entry
            for (event, _), entry in zip(
                built.projected, _logs_of(built, fetched.logs), strict=True
            )
        }
        while True:
            batch = WriteBatch.projected(
                cursor,
                built.projected,
                blocks=fetched.headers,
                rejected=built.rejected,
                first_block=fetched.first,
            )
            try:
                await asyncio.to_thread(self._write, self.store.apply_batch, batch)
                break
            except RowChangeError as exc:
                # One event's changes do not fit the index (e.g. an update of a row an earlier
                # dead letter never created): dead-letter that event, commit the rest.
                if exc.event is None:
                    raise
                built.reject(exc.event, raw_by_event[id(exc.event)], str(exc))
        self._committed(built.rejected, len(built.projected), end)

    def _committed(self, rejected: Sequence[Rejected], events: int, end: BlockHeader) -> None:
        for letter in rejected:
            log.warning(
                "dead letter at block %d tx 0x%s log %d (%s): %s",
                letter.log.block_number,
                letter.log.tx_hash.hex(),
                letter.log.log_index,
                letter.stage,
                letter.reason,
            )
        self.state.events_indexed += events
        self.state.dead_letters += len(rejected)
        self.state.indexed = end.number
        if self.on_progress is not None:
            self.on_progress(self.state)

    def _write(self, write: Callable[..., object], *args: object) -> None:
        """``write(*args)`` to the store, in a worker thread, once this process is sure it
        still holds the index's lock (a PostgreSQL lock whose session ended is taken again;
        :class:`IndexLockLost` if another indexer took it meanwhile)."""
        check_held(self.store.engine.url)
        write(*args)

    async def _reorg(self, cursor: tuple[int, bytes], reason: str) -> None:
        """Roll back to the newest kept block the chain still agrees with."""
        number, _ = cursor
        kept: list[BlockHeader] = await asyncio.to_thread(
            self.store.recent_blocks, self.rollback_window
        )
        candidates = [b for b in kept if b.number <= number]
        chain = (
            {h.number: h.hash for h in await self.rpc.headers([b.number for b in candidates])}
            if candidates
            else {}
        )
        ancestor = next((b for b in candidates if chain.get(b.number) == b.hash), None)
        lowest = number - self.rollback_window
        if ancestor is None or ancestor.number < lowest:
            raise ReorgBeyondWindow(
                f"{reason}, and no block the index kept within the last {self.rollback_window} "
                "blocks is still on the chain: indexing halts and nothing is deleted; check the "
                "chain (a reset dev chain? the wrong RPC?) and run `onelist node rebuild` if it "
                "is right"
            )
        log.warning("reorg: %s; rolling back from block %d to %d", reason, number, ancestor.number)
        await asyncio.to_thread(
            self._write, self.store.rollback_to, ancestor.number, ancestor.hash, self.project
        )
        self.state.reorgs += 1
        self.state.indexed = ancestor.number

    # ----------------------------------------------------------------- loops

    async def sync(self, until: int | None = None) -> None:
        """Index until caught up with the head (or ``until``), then return (with
        :func:`few_collections`)."""
        try:
            with few_collections():
                while not await self.step(until):
                    pass
        finally:
            try:
                await self._drain()
            finally:
                self.reset_pipeline()
                await self.stop_range_process()

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the chain until ``stop`` is set; survive an unreachable chain or database."""
        heads = (
            asyncio.create_task(follow_heads(self.ws_url, self.new_block, stop))
            if self.ws_url
            else None
        )
        try:
            await self._follow(stop)
        finally:
            await self.stop_range_process()
            if heads is not None:
                heads.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heads

    async def _follow(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                caught_up = await self.step()
                backoff = 1.0
                self.state.last_error = None
                if self._database_down:
                    self._database_down = False
                    log.info("the database answers again; indexing resumed")
                if caught_up:
                    await self._wait(stop, self.poll_interval)
            except (ReorgBeyondWindow, IndexLockLost) as exc:
                self.reset_pipeline()
                self.state.last_error = str(exc)
                log.critical("%s", exc)
                raise
            except RpcUnavailable as exc:
                self.reset_pipeline()
                self.state.chain_reachable = False
                self._failed(f"chain unreachable: {exc}", CHAIN_PROBE_INTERVAL)
                await self._await_chain(stop)
            except RpcError as exc:
                self.reset_pipeline()
                self._failed(f"chain error: {exc}", backoff)
                await self._wait(stop, backoff)
                backoff = min(30.0, backoff * 2)
            except StoreUnavailableError as exc:
                self.reset_pipeline()
                self._database_down = True
                self._failed(f"database unreachable: {exc}", DATABASE_PROBE_INTERVAL)
                await self._await_database(stop)
            except StoreError as exc:
                self.reset_pipeline()
                self._failed(f"database error: {exc}", backoff)
                await self._wait(stop, backoff)
                backoff = min(30.0, backoff * 2)

    async def _await_chain(self, stop: asyncio.Event) -> None:
        """Wait until the chain answers again (or ``stop``): a probe of its head every
        :data:`CHAIN_PROBE_INTERVAL` seconds, not the growing backoff of other failures, which
        would leave the node idle for up to 30 s after the chain is back."""
        while not stop.is_set():
            await self._wait(stop, CHAIN_PROBE_INTERVAL)
            if stop.is_set():
                return
            try:
                self.state.head = await self.rpc.probe(CHAIN_PROBE_TIMEOUT)
            except RpcUnavailable:
                continue
            except RpcError:
                return  # it answers, with an error: the next step tells what it is
            self.state.chain_reachable = True
            log.info("the chain answers again (head %d); indexing resumes", self.state.head)
            return

    async def _await_database(self, stop: asyncio.Event) -> None:
        """Wait until the database answers again (or ``stop``): a read of the index's cursor
        every :data:`DATABASE_PROBE_INTERVAL` seconds, not the growing backoff of other
        failures, which left the node not ready for up to 30 s after an operator restarted
        PostgreSQL. Probes log nothing: the outage is logged once when a step finds it, and
        once when a step succeeds again (not at each probe that a locked SQLite file answers
        while its writes still wait)."""
        while not stop.is_set():
            await self._wait(stop, DATABASE_PROBE_INTERVAL)
            if stop.is_set():
                return
            try:
                await asyncio.to_thread(self.store.cursor)
            except StoreUnavailableError:
                continue
            except StoreError:
                pass  # it answers, with an error: the next step tells what it is
            return

    def _failed(self, message: str, backoff: float) -> None:
        if message != self.state.last_error:
            log.warning("%s; retrying in %.0fs", message, backoff)
        self.state.last_error = message

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self.new_block.wait())
        try:
            await asyncio.wait(
                {stopped, woken}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopped.cancel()
            woken.cancel()
            self.new_block.clear()
