"""The catalogue's reads: a few worker threads, each with a connection to the index of its own.

``asyncio.to_thread`` hands each read to the loop's default pool and the read checks a
connection out of the engine's pool and back in; on PostgreSQL each checkout also pings the
server (``pool_pre_ping``). A catalogue answer that is not kept (node.api.cache) is one such
read, so here each of :data:`THREADS` threads keeps one connection for the application's life
and runs each read in a transaction on it. A connection that fails is closed and replaced on the
thread's next read; its error comes out as the store's (503 when the index is unreachable).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, exc

from node.store.database import database_error

__all__ = ["THREADS", "Readers"]

#: Threads reading for the catalogue: the reads release the GIL inside the database driver, so
#: a few overlap; more would only queue for the GIL.
THREADS = 4

T = TypeVar("T")


class Readers:
    """Runs ``read(connection)`` in one of :data:`THREADS` threads, on that thread's
    connection, in a transaction of its own."""

    def __init__(self, engine: Engine, threads: int = THREADS) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="catalogue-read")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[Connection] = set()

    async def run(self, read: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._read, read)

    def _read(self, read: Callable[[Connection], T]) -> T:
        connection: Connection | None = getattr(self._local, "connection", None)
        try:
            if connection is None or connection.closed or connection.invalidated:
                connection = self.engine.connect()
                self._local.connection = connection
                with self._lock:
                    self._open.add(connection)
            with connection.begin():
                return read(connection)
        except exc.DBAPIError as error:
            if connection is not None:
                self._drop(connection)
            raise database_error(error, self.engine) from None

    def _drop(self, connection: Connection) -> None:
        self._local.connection = None
        with self._lock:
            self._open.discard(connection)
        with contextlib.suppress(exc.DBAPIError):  # already gone; the pool replaces it
            connection.close()

    def close(self) -> None:
        """Wait for the reads under way, then close every thread's connection."""
        self._executor.shutdown(wait=True)
        with self._lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            with contextlib.suppress(exc.DBAPIError):
                connection.close()
