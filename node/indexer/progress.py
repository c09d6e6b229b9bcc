"""Indexing progress for people: a rich progress bar on a terminal, log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from node.indexer.indexer import IndexerState

log = logging.getLogger("onelist.node")


class ProgressReporter:
    """A rich progress bar on a terminal, a log line every few seconds otherwise."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._last_log = 0.0
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("indexing blocks"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[events]} events"),
                TimeRemainingColumn(),
                transient=True,
            )

    def __call__(self, state: IndexerState) -> None:
        if state.head is None or state.indexed is None:
            return
        if self._bar is not None:
            if self._task is None:
                self._bar.start()
                self._task = self._bar.add_task("index", total=state.head, events=0)
            self._bar.update(
                self._task, completed=state.indexed, total=state.head, events=state.events_indexed
            )
            return
        now = time.monotonic()
        if now - self._last_log >= 5:
            self._last_log = now
            log.info(
                "indexed block %d of %d (%d events, lag %s)",
                state.indexed,
                state.head,
                state.events_indexed,
                state.lag,
            )

    def close(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.stop()
