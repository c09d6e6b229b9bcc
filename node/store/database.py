"""Open the node's database: a SQLite file by default, PostgreSQL by URL.

SQLite runs in WAL mode (readers never wait for the indexer), ``synchronous=NORMAL`` (a crash
of the process loses nothing committed, a power cut at most the last transactions, and never
corrupts the file), foreign keys on, a busy timeout, a 64 MiB page cache and a WAL checkpoint
every ~40 MiB; the store's write transactions begin ``IMMEDIATE`` so two writers queue instead
of failing halfway.
PostgreSQL goes through psycopg 3; write transactions take one advisory lock so that two writers
on one database run one after the other.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from node.store.errors import StoreError, StoreUnavailableError

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CONNECT_TIMEOUT_S",
    "database_error",
    "is_unavailable",
    "open_engine",
    "read_connection",
    "safe_url",
    "write_transaction",
]

BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_CHECKPOINT_PAGES = 10_000
CONNECT_TIMEOUT_S = 5
# pg_advisory_xact_lock key for the store's writers: "onelist" in ASCII, as a bigint.
_WRITER_LOCK = int.from_bytes(b"onelist", "big")
_WRITE = "onelist_write"
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def safe_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (also for a URL that does not parse)."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return _PASSWORD.sub(r"\1***@", url)


def _parse(url: str) -> URL:
    if "://" not in url:  # a bare path means a SQLite file
        return URL.create("sqlite", database=str(Path(url).expanduser().absolute()))
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise StoreError(
            "not a database URL; use sqlite:///path/index.db or "
            "postgresql+psycopg://user:password@host/database",
            where=safe_url(url),
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if parsed.username or parsed.password or parsed.host or parsed.port:
            raise StoreError(
                "a SQLite URL names a file: sqlite:///relative/path.db or "
                "sqlite:////absolute/path.db",
                where=safe_url(parsed),
            )
        return parsed.set(drivername="sqlite")
    raise StoreError(
        f"unsupported database {parsed.drivername!r}; use sqlite or postgresql+psycopg",
        where=safe_url(parsed),
    )


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _sqlite_engine(url: URL) -> Engine:
    if not _is_memory(url):
        assert url.database is not None
        folder = Path(url.database).expanduser().absolute().parent
        if not folder.is_dir():
            raise StoreError(f"folder {folder} does not exist", where=safe_url(url))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # SQLAlchemy, not the sqlite3 module, emits BEGIN (see _on_begin), so transactional
        # DDL works and write transactions can begin IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not _is_memory(url):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # 64 MiB of page cache (the default is 2 MiB): inserts into the indexes of a large
            # events table (random transaction hashes) stay in memory.
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            # Checkpoint the WAL every ~40 MiB instead of every 4 MiB: a page that each batch
            # changes (an index's) is copied back once per checkpoint, not once per batch.
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


def _postgresql_engine(url: URL) -> Engine:
    engine = create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_WRITE, False):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")

    return engine


def open_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path/index.db``, a bare path, or
    ``postgresql+psycopg://…``), checked by connecting once.

    Raises :class:`StoreError` for a URL that is not one of those, and
    :class:`StoreUnavailableError` when the database cannot be reached; both name the URL with
    its password hidden.
    """
    parsed = _parse(url)
    try:
        if parsed.drivername == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            engine = _postgresql_engine(parsed)
    except exc.ArgumentError as error:
        raise StoreError(str(error).splitlines()[0], where=safe_url(parsed)) from None
    except ImportError as error:
        raise StoreError(f"database driver missing: {error}", where=safe_url(parsed)) from None
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except exc.DBAPIError as error:
        engine.dispose()
        raise database_error(error, engine) from None
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for the store's writers: SQLite ``BEGIN IMMEDIATE``, PostgreSQL under the
    writers' advisory lock. Commits on success, rolls back on any exception; database errors
    come out as :class:`StoreError`."""
    try:
        with engine.connect() as connection:
            connection.execution_options(**{_WRITE: True})
            with connection.begin():
                yield connection
    except exc.DBAPIError as error:
        raise database_error(error, engine) from None


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a (read) transaction; database errors come out as :class:`StoreError`."""
    try:
        with engine.connect() as connection, connection.begin():
            yield connection
    except exc.DBAPIError as error:
        raise database_error(error, engine) from None


_SQLITE_UNAVAILABLE = ("locked", "unable to open", "disk i/o", "readonly", "busy")


def _detail(error: exc.DBAPIError) -> str:
    original: Any = error.orig
    text = str(original).strip() if original is not None else str(error)
    return text.splitlines()[0] if text else type(original).__name__


def is_unavailable(error: exc.DBAPIError, dialect: str) -> bool:
    """Whether the error says the database cannot be reached (as opposed to refusing a
    statement): worth retrying later."""
    if error.connection_invalidated:
        return True
    if dialect == "sqlite":
        detail = _detail(error).lower()
        return isinstance(error, exc.OperationalError) and any(
            word in detail for word in _SQLITE_UNAVAILABLE
        )
    return isinstance(error, exc.OperationalError | exc.InterfaceError)


def database_error(error: exc.DBAPIError, engine: Engine) -> StoreError:
    """The :class:`StoreError` for a database error: unavailable, or the database's own words."""
    where = safe_url(engine.url)
    detail = _detail(error)
    if is_unavailable(error, engine.dialect.name) and not _no_table(detail, error.orig):
        return unavailable_error(detail, where)
    return refused_error(detail, error.orig, where)


def unavailable_error(detail: str, where: str) -> StoreUnavailableError:
    """The :class:`StoreUnavailableError` for a database that cannot be reached."""
    return StoreUnavailableError(f"database unavailable: {detail}", where=where)


def _no_table(detail: str, original: object) -> bool:
    return "no such table" in detail or getattr(original, "sqlstate", None) == "42P01"


def refused_error(detail: str, original: object, where: str) -> StoreError:
    """The :class:`StoreError` for a statement the database refused (``original`` the driver's
    exception, for its SQLSTATE): a missing table says the index is not migrated."""
    if _no_table(detail, original):
        return StoreError(
            f"{detail}: the database is not migrated (run node.store.migrate.upgrade)",
            where=where,
        )
    return StoreError(detail, where=where)
