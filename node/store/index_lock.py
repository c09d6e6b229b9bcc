"""One indexer per index: an exclusive lock a node holds on its database while it writes.

Two processes indexing one database (``onelist node run`` beside the node ``onelist up``
started on the same ``index.db``) would each apply every event and move the cursor under the
other. ``node run``, ``sync`` and ``rebuild`` take this lock first and keep it for the
process's life, so a second one refuses at once, naming the holder; ``status`` and ``verify``
only read and take none.

- SQLite: ``flock`` on ``<index.db>.lock`` beside the database file; the kernel lets go when
  the holder exits, however it exits, so a crashed node never leaves a stale lock. The file
  holds the holder's pid (shown to the refused one); it is never deleted, since deleting a
  lock file lets two processes each lock a different file of the same name.
- PostgreSQL: a session-level ``pg_try_advisory_lock`` keyed on the database and the
  organisation, on a connection of its own that stays idle (outside any transaction) for the
  process's life; the server lets go when that session ends. The session's
  ``application_name`` carries the holder's pid and host, which the refused node shows.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, create_engine, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from node.store.database import CONNECT_TIMEOUT_S, database_error, safe_url
from node.store.errors import StoreError

__all__ = [
    "IndexInUse",
    "IndexLock",
    "advisory_key",
    "hold_index",
    "lock_index",
    "lock_path",
    "refusal",
]

#: PostgreSQL's limit on ``application_name`` (longer names are cut by the server).
_APPLICATION_NAME_MAX = 63

_HOLDER = text(
    """
    SELECT l.pid, a.application_name
    FROM pg_locks AS l
    LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = :high AND l.objid::bigint = :low
    LIMIT 1
    """
)


class IndexInUse(StoreError):
    """Another process holds the index's lock; ``holder`` describes it when known."""

    def __init__(self, message: str, *, holder: str | None, where: str | None = None) -> None:
        self.holder = holder
        super().__init__(message, where=where)


def lock_path(database: Path) -> Path:
    """The lock file of a SQLite index: ``index.db`` → ``index.db.lock`` beside it."""
    return database.with_name(database.name + ".lock")


def advisory_key(database: str, organisation: str) -> int:
    """The PostgreSQL advisory lock key of ``organisation``'s index in ``database``: a signed
    64-bit integer from a hash, apart from the writers' transaction lock's key."""
    digest = hashlib.sha256(f"onelist index\0{database}\0{organisation}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def refusal(holder: str | None) -> str:
    """What a refused node says: who holds the index and what to do about it."""
    who = holder or "another process (its pid is unknown)"
    return (
        f"the index is in use by {who}: one node indexes a database at a time; stop that "
        "one, or give this node an index of its own (--db, or --organisation for another "
        "folder). `onelist node status` and `node verify` read it meanwhile"
    )


class IndexLock:
    """A held lock; :meth:`release` lets go (also on exit: the OS or the server does)."""

    def __init__(self, fd: int | None = None, connection: Connection | None = None) -> None:
        self._fd = fd
        self._connection = connection

    def release(self) -> None:
        """Let go. Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # the pid of a process that no longer holds it misleads
            os.close(fd)  # closing the only descriptor of the open file releases the flock
        connection, self._connection = self._connection, None
        if connection is not None:
            engine = connection.engine
            with contextlib.suppress(exc.DBAPIError):
                connection.close()  # the session ends, and its advisory locks with it
            engine.dispose()


def _parse(database_url: str) -> URL:
    if "://" not in database_url:  # a bare path means a SQLite file, as for open_engine
        return URL.create("sqlite", database=database_url)
    try:
        return make_url(database_url)
    except exc.ArgumentError:
        raise StoreError("not a database URL", where=safe_url(database_url)) from None


def _lock_file(url: URL) -> IndexLock:
    database = url.database
    if database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        return IndexLock()  # a database of this process alone: nobody else can write it
    assert database is not None
    path = lock_path(Path(database).expanduser().absolute())
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StoreError(f"cannot open the lock file {path}: {error.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        holder = f"pid {pid}" if pid.isdigit() else None
        raise IndexInUse(refusal(holder), holder=holder, where=str(database)) from None
    except OSError:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return IndexLock(fd=fd)


def _lock_session(url: URL, organisation: str) -> IndexLock:
    name = f"onelist node {organisation} pid {os.getpid()} on {socket.gethostname()}"
    engine = create_engine(
        url.set(drivername="postgresql+psycopg"),
        poolclass=NullPool,  # the lock's connection is never shared, never returned to a pool
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": name[:_APPLICATION_NAME_MAX],
        },
    )
    key = advisory_key(url.database or "", organisation)
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows the key as two unsigned halves
    try:
        connection = engine.connect()
        try:
            if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                # End the transaction SQLAlchemy began: the session keeps the lock while it
                # idles, and an idle-in-transaction session would hold back vacuum all along.
                connection.commit()
                return IndexLock(connection=connection)
            row = connection.execute(
                _HOLDER, {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}
            ).first()
        finally:
            if connection.in_transaction():  # not holding the lock (that one was committed)
                connection.close()
    except exc.DBAPIError as error:
        engine.dispose()
        raise database_error(error, engine) from None
    engine.dispose()
    holder = None
    if row is not None:
        holder = row.application_name or f"PostgreSQL session {row.pid}"
    raise IndexInUse(refusal(holder), holder=holder, where=safe_url(url))


def lock_index(database_url: str, organisation: str) -> IndexLock:
    """Take ``organisation``'s index at ``database_url`` for this process, or raise
    :class:`IndexInUse` at once (never wait: a second indexer is a mistake to report)."""
    url = _parse(database_url)
    backend = url.drivername.partition("+")[0]
    if backend == "sqlite":
        return _lock_file(url)
    if backend in ("postgresql", "postgres"):
        return _lock_session(url, organisation)
    raise StoreError(f"unsupported database {url.drivername!r}", where=safe_url(url))


@contextlib.contextmanager
def hold_index(database_url: str, organisation: str) -> Iterator[IndexLock]:
    """:func:`lock_index` for a ``with`` block."""
    lock = lock_index(database_url, organisation)
    try:
        yield lock
    finally:
        lock.release()
