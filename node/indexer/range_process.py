"""A second process that decodes, projects and plans a catching-up indexer's block ranges.

A backfill spends about half of its CPU in pure Python (decoding, projecting, checking and
planning the row changes) and half running the SQL. In one interpreter the two take turns on
the GIL, so a machine's second core idles. While the indexer is far behind the head, a worker
process makes each range's :class:`PreparedRange` (the ``events`` rows and every statement's
parameter rows, for the index's SQL dialect) while this process fetches the next range and
commits the previous one. Both processes run the same functions the single-process path runs
(:func:`node.indexer.batch.build_batch`, :func:`node.store.writer.prepare_batch`), so the index
ends the same, byte for byte.

The worker starts when a range of at least ``min_logs`` logs (the node's
``range_process_min_logs``, or ``--range-process``; off by default) leaves more blocks to
fetch, warms up (imports, ABIs, jieba's dictionary: 2–3 s) while this process goes on alone,
and stops when the indexer catches up: a node following the head keeps one process.

The price is memory: the worker holds its own interpreter, ABIs and jieba's dictionary (~215 MB
at its peak), which is why it is off by default (issue #4 bounds a backfill at 300 MB).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from node.config import RANGE_PROCESS_MIN_LOGS
from node.decode import EventCatalog
from node.events import RawLog
from node.indexer.batch import Project, Rejected, build_batch
from node.store import RowChangeError
from node.store.statements import Statements
from node.store.writer import PreparedBatch, prepare_batch, split_projected
from onelist.chain.deployment import Deployment

__all__ = ["PreparedRange", "RangeProcess", "RangeProcessSpec", "prepare_range"]

log = logging.getLogger("onelist.node.indexer")

_DIALECTS: dict[str, type[Dialect]] = {
    "sqlite": sqlite.dialect,
    "postgresql": postgresql.psycopg.dialect,
}


@dataclass(frozen=True)
class RangeProcessSpec:
    """What the worker needs to make the same pipeline: the deployment (its JSON record), the
    chain, the index's SQL dialect, and the projection (a module-level function: it crosses
    to the worker by name); and the fewest logs in a range that starts it."""

    deployment_json: str
    chain_id: int
    dialect: str
    project: Project
    min_logs: int = RANGE_PROCESS_MIN_LOGS

    @classmethod
    def of(
        cls,
        deployment: Deployment,
        chain_id: int,
        dialect: str,
        project: Project,
        min_logs: int | None = RANGE_PROCESS_MIN_LOGS,
    ) -> RangeProcessSpec | None:
        """The spec, or None, and the indexer stays in one process, when ``min_logs`` is None
        or 0 (the range process is off) or ``project`` cannot cross to another process (a
        closure, as the tests that inject faults give)."""
        if not min_logs or dialect not in _DIALECTS:
            return None
        try:
            pickle.dumps(project)
        except (pickle.PicklingError, AttributeError, TypeError):
            return None
        return cls(deployment.to_json(), chain_id, dialect, project, min_logs)


@dataclass(frozen=True, slots=True)
class PreparedRange:
    """A range's events made ready for :meth:`node.store.Store.apply_prepared`.

    ``batch`` is None when a row change is one no database could apply (an unknown column…):
    the indexer then builds the range in its own process, where the store names the change
    and dead-letters its event. ``rejected`` are the logs that could not be decoded or
    projected, ``events`` the number of events ``batch`` holds.
    """

    batch: PreparedBatch | None
    rejected: list[Rejected]
    events: int


def prepare_range(
    logs: Sequence[RawLog],
    block_times: Mapping[int, int],
    catalog: EventCatalog,
    chain_id: int,
    project: Project,
    statements: Statements,
) -> PreparedRange:
    """Decode, project, check and plan one range's logs (pure: no I/O)."""
    built = build_batch(logs, block_times, catalog, chain_id, project)
    events, changes, owners = split_projected(built.projected)
    try:
        batch: PreparedBatch | None = prepare_batch(statements, events, changes, owners)
    except RowChangeError:
        batch = None
    return PreparedRange(batch, built.rejected, len(events))


# --------------------------------------------------------------------------- the worker's side

_pipeline: tuple[EventCatalog, int, Project, Statements] | None = None


def _start(spec: RangeProcessSpec) -> None:
    """The worker's initializer: the catalog, the dialect's statements, jieba's dictionary."""
    global _pipeline
    # Imported here, not at the top: node.service imports the indexer, which imports this.
    from node.indexer.indexer import BACKFILL_GC_THRESHOLDS
    from node.service import catalog_for, warm_up_search_terms

    _exit_with_parent()
    catalog = catalog_for(Deployment.from_json(spec.deployment_json))
    statements = Statements(_DIALECTS[spec.dialect]())
    warm_up_search_terms()
    _pipeline = (catalog, spec.chain_id, spec.project, statements)
    # As few_collections() in the indexer's process: what start-up loaded is never walked
    # again, and a range's ~30 objects per event are not walked over and over.
    gc.freeze()
    gc.set_threshold(*BACKFILL_GC_THRESHOLDS)


def _exit_with_parent() -> None:
    """End this worker when the indexer's process ends, however it ends. An indexer killed
    with SIGKILL never sends the pool's stop, and the worker, which holds both ends of the
    pool's queue, would wait for work forever."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's sentinel pipe closes
        os._exit(0)

    threading.Thread(target=watch, name="onelist-parent-watch", daemon=True).start()


def _ready() -> bool:
    return _pipeline is not None


def _prepare(logs: list[RawLog], block_times: dict[int, int]) -> PreparedRange:
    assert _pipeline is not None, "the range process was not started"
    catalog, chain_id, project, statements = _pipeline
    return prepare_range(logs, block_times, catalog, chain_id, project, statements)


# --------------------------------------------------------------------------- the indexer's side


class RangeProcess:
    """One worker process; :attr:`ready` once it has warmed up."""

    def __init__(self, spec: RangeProcessSpec) -> None:
        # spawn, not fork: this process has threads (the store's, asyncio's) that a fork
        # would copy in whatever state they were.
        self._pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(spec,),
        )
        self._warm: Future[bool] = self._pool.submit(_ready)

    @property
    def ready(self) -> bool:
        """Warmed up; :class:`concurrent.futures.process.BrokenProcessPool` (or what the
        warm-up raised) when the worker could not start."""
        if not self._warm.done():
            return False
        return self._warm.result()

    def submit(
        self, logs: list[RawLog], block_times: dict[int, int]
    ) -> asyncio.Future[PreparedRange]:
        """The worker's :func:`prepare_range` of these logs, to come (ranges are prepared in
        the order they are submitted)."""
        return asyncio.wrap_future(self._pool.submit(_prepare, logs, block_times))

    def close(self) -> None:
        """Stop the worker and wait for it to exit."""
        self._pool.shutdown(wait=True, cancel_futures=True)
