"""The catalogue's point reads of a PostgreSQL index, run on the event loop with asyncpg.

A listing page that is not kept (node.api.cache) was read by a worker thread through psycopg:
a transaction of four round trips, two thread wake-ups and the GIL passed between the thread
and the loop, about 1 ms of the node's CPU for each. Here the page is one statement
(:data:`node.store.queries_catalogue.PAGE_STATEMENTS`) sent on a connection of a small pool
held by the loop: one round trip, a prepared statement, no thread. One statement sees one
snapshot, so the page is as consistent as the transaction was.

The SQL is SQLAlchemy's, compiled once for asyncpg's dialect from the same statements the
threads would run; the rows are the same types psycopg gives (asyncpg and psycopg both map
bigint to int and text to str). Errors come out as the store's: a server that cannot be reached
is a :class:`~node.store.errors.StoreUnavailableError` (503), anything else a
:class:`~node.store.errors.StoreError`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import URL
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from node.store import queries_catalogue as queries
from node.store.database import refused_error, safe_url, unavailable_error
from node.store.errors import StoreUnavailableError
from node.store.queries_catalogue import ListingPage

__all__ = ["POOL_SIZE", "PostgresPages", "asyncpg_dsn"]

#: Errors that mean the connection is gone, not that the statement was refused.
_CONNECTION_LOST = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)

#: Connections the loop keeps, all opened with the first read. A page takes the server about
#: 0.2 ms of CPU but 1-2 ms from send to answer when the cores are busy (its backend waits to be
#: scheduled), so when many listings are first asked at once, four connections were the queue:
#: pages waited 5-10 ms for one (p50) and the node's own detail p99 was within 25 ms; with
#: eight, within 10 ms (docs/performance.md, the catalogue API under load). Opening them
#: lazily, one by one, put a connect in front of the first pages of such a burst.
POOL_SIZE = 8
#: Seconds to connect before the index counts as unreachable.
CONNECT_TIMEOUT = 5.0


def asyncpg_dsn(url: URL) -> str:
    """The libpq-style address asyncpg takes for the index's SQLAlchemy ``url``."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    names: tuple[str, ...]  # the $n parameters' names, in order
    defaults: dict[str, Any]  # values bound in the statement itself

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = {**self.defaults, **params}
        return [values[name] for name in self.names]


def _compiled(statement: Any) -> _Statement:
    dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    compiled = statement.compile(dialect=dialect)
    names: list[str] = []
    for name in compiled.positiontup or ():
        if name not in names:  # asyncpg's $n: a name bound twice is one parameter
            names.append(name)
    return _Statement(str(compiled), tuple(names), dict(compiled.params))


_STATEMENTS = {name: _compiled(statement) for name, statement in queries.PAGE_STATEMENTS.items()}


class PostgresPages:
    """A pool of asyncpg connections to a PostgreSQL index, for listing pages. Opened lazily
    (the first read connects), so a node starts while its database is down."""

    def __init__(self, url: URL, size: int = POOL_SIZE) -> None:
        self.url = url
        self.size = size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        asyncpg_dsn(self.url),
                        min_size=self.size,
                        max_size=self.size,
                        timeout=CONNECT_TIMEOUT,
                        # Autocommit reads; each page is one statement, one snapshot.
                        server_settings={"default_transaction_read_only": "on"},
                        # These connections only ever run the reads above, which change
                        # nothing in the session: the pool's reset on release (a round trip
                        # of RESET ALL, UNLISTEN, ... after every read) has nothing to undo.
                        reset=_nothing_to_reset,
                    )
        return self._pool

    async def listing_page(self, listing_id: str) -> ListingPage | None:
        """What a listing's public page shows, as queries_catalogue.listing_page reads it."""
        key = {"listing_id": listing_id}
        async with self._connection() as connection:
            page = _STATEMENTS["page"]
            row = await connection.fetchrow(page.sql, *page.args(key))
            if row is None:
                return None
            found = queries.listing_page_of_row(row)
            if found.events_total > queries.PAGE_EVENTS:
                count = _STATEMENTS["event_count"]
                total = await connection.fetchval(count.sql, *count.args(key))
                found = ListingPage(found.listing, found.versions, found.events, int(total))
            return found

    async def exchanges(self) -> list[dict[str, Any]]:
        """The member exchanges, as queries_catalogue.exchanges reads them."""
        async with self._connection() as connection:
            listed = _STATEMENTS["exchanges"]
            return [dict(row) for row in await connection.fetch(listed.sql, *listed.args({}))]

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection. Not getting one at all (the server down, refusing us, or
        without the database) is the store being unavailable, as is losing it during a
        read; either drops the pool, so that the next read connects afresh. A statement the
        server refuses is the store's error."""
        try:
            pool = await self._connected()
            connection = await pool.acquire()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            await self._forget()
            raise self._unavailable(error) from None
        try:
            yield connection
        except _CONNECTION_LOST as error:
            await self._forget()
            raise self._unavailable(error) from None
        except asyncpg.PostgresError as error:
            raise refused_error(_first_line(error), error, safe_url(self.url)) from None
        finally:
            # After _forget the pool is gone and so is the connection with it.
            with contextlib.suppress(asyncpg.InterfaceError, OSError):
                await pool.release(connection)

    def _unavailable(self, error: BaseException) -> StoreUnavailableError:
        return unavailable_error(_first_line(error) or type(error).__name__, safe_url(self.url))

    async def _forget(self) -> None:
        """Drop the pool after a connection failed: the next read connects afresh."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
