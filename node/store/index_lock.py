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

  That session can end while the node runs (a server restart, ``pg_terminate_backend``, a
  dropped connection), and the lock with it. So the indexer calls :func:`check_held` before
  each write: the lock's session is asked whether it still holds the lock (one round trip); if
  the session ended, the lock is taken again on a new one, or, when another process took it
  meanwhile, :class:`IndexLockLost` stops the indexer loudly before it writes. A server that
  cannot be reached is a :class:`StoreUnavailableError`, retried like any other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from node.store.database import CONNECT_TIMEOUT_S, database_error, safe_url
from node.store.errors import StoreError

__all__ = [
    "IndexInUse",
    "IndexLock",
    "IndexLockLost",
    "advisory_key",
    "check_held",
    "hold_index",
    "lock_index",
    "lock_path",
    "refusal",
]

log = logging.getLogger("onelist.node.store.index_lock")

#: PostgreSQL's limit on ``application_name`` (longer names are cut by the server).
_APPLICATION_NAME_MAX = 63
#: TCP keepalives on the lock's idle connection (libpq's settings): a peer gone without a word
#: (a network cut) is found within about a minute instead of the kernel's two hours.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}

_MINE = text(
    """
    SELECT EXISTS (
      SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = pg_backend_pid()
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid::bigint = :high AND objid::bigint = :low
    )
    """
)

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


class IndexLockLost(IndexInUse):
    """The lock this process held was lost (its PostgreSQL session ended) and another process
    took it meanwhile: this process must stop writing the index."""


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
    """A held lock; :meth:`release` lets go (also on exit: the OS or the server does).

    A PostgreSQL lock also knows how to take itself again (:meth:`check`); a SQLite one cannot
    be lost while the process lives."""

    def __init__(self, fd: int | None = None, session: _Session | None = None) -> None:
        self._fd = fd
        self._session = session

    @property
    def session(self) -> _Session | None:
        """The PostgreSQL lock's session (None for a SQLite file, or once released)."""
        return self._session

    def check(self) -> bool:
        """Make sure the lock is still held: True when it was, False when it had been lost and
        was taken again. :class:`IndexLockLost` when another process took it meanwhile,
        :class:`StoreUnavailableError` when the server cannot be reached (the lock may be
        held or not: ask again later). Thread-safe."""
        session = self._session
        return True if session is None else session.check()

    def release(self) -> None:
        """Let go. Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # the pid of a process that no longer holds it misleads
            os.close(fd)  # closing the only descriptor of the open file releases the flock
        session, self._session = self._session, None
        if session is not None:
            session.close()


class _Session:
    """A PostgreSQL advisory lock held by a session of its own, idle outside any transaction,
    with what it takes to ask whether it still holds the lock and to take it again."""

    def __init__(self, engine: Engine, key: int, url: URL) -> None:
        self.engine = engine
        self.key = key
        self.url = url
        self.identity = _identity(url)
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows the key as two unsigned halves
        self._halves = {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}
        self._connection: Connection | None = None
        #: The server process of the lock's session (None while it has none).
        self.backend_pid: int | None = None
        self._mutex = threading.Lock()

    def take(self) -> None:
        """Take the lock on a new connection, or raise :class:`IndexInUse` naming the holder."""
        try:
            connection = self.engine.connect()
            try:
                taken, pid = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key), pg_backend_pid()"), {"key": self.key}
                ).one()
                if taken:
                    # End the transaction SQLAlchemy began: the session keeps the lock while it
                    # idles, and an idle-in-transaction session would hold back vacuum all along.
                    connection.commit()
                    self._connection, self.backend_pid = connection, pid
                    return
                row = connection.execute(_HOLDER, self._halves).first()
            finally:
                if connection.in_transaction():  # not holding the lock (that one was committed)
                    connection.close()
        except exc.DBAPIError as error:
            raise database_error(error, self.engine) from None
        holder = None
        if row is not None:
            holder = row.application_name or f"PostgreSQL session {row.pid}"
        raise IndexInUse(refusal(holder), holder=holder, where=safe_url(self.url))

    def check(self) -> bool:
        with self._mutex:
            connection = self._connection
            if connection is not None:
                try:
                    held = bool(connection.execute(_MINE, self._halves).scalar())
                    connection.rollback()  # idle again, outside any transaction
                except exc.DBAPIError as error:
                    log.error(
                        "the index lock's PostgreSQL session %s ended (%s): taking the lock again",
                        self.backend_pid,
                        str(error.orig or error).strip().splitlines()[0],
                    )
                    held = False
                if held:
                    return True
                self._drop()
            try:
                self.take()
            except IndexInUse as refused:
                raise IndexLockLost(
                    f"this node lost its lock on the index (its PostgreSQL session ended) and "
                    f"{refused.holder or 'another process'} took it meanwhile: this node stops "
                    "indexing; one node indexes a database at a time",
                    holder=refused.holder,
                    where=safe_url(self.url),
                ) from None
            log.warning("the index lock is held again, by session %s", self.backend_pid)
            return False

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self.backend_pid = None
        if connection is not None:
            with contextlib.suppress(exc.DBAPIError):
                connection.invalidate()
            with contextlib.suppress(exc.DBAPIError):
                connection.close()

    def close(self) -> None:
        with _HELD_MUTEX:
            if self in _HELD:
                _HELD.remove(self)
        with self._mutex:
            connection, self._connection = self._connection, None
            self.backend_pid = None
            if connection is not None:
                with contextlib.suppress(exc.DBAPIError):
                    connection.close()  # the session ends, and its advisory locks with it
            self.engine.dispose()


#: The PostgreSQL locks this process holds, which :func:`check_held` checks.
_HELD: list[_Session] = []
_HELD_MUTEX = threading.Lock()


def _identity(url: URL) -> tuple[str, int, str]:
    return (url.host or "", url.port or 5432, url.database or "")


def check_held(database: URL) -> None:
    """Before writing the index at ``database`` (its engine's URL): make sure each index lock
    this process holds on that database is still held, taking one whose session ended again
    (:meth:`IndexLock.check`). Nothing to do for SQLite, or when the process holds no lock
    (tests, benchmarks). :class:`IndexLockLost` when another process took it meanwhile."""
    if not _HELD:
        return
    identity = _identity(database)
    with _HELD_MUTEX:
        mine = [session for session in _HELD if session.identity == identity]
    for session in mine:
        session.check()


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
            **_KEEPALIVES,
        },
    )
    session = _Session(engine, advisory_key(url.database or "", organisation), url)
    try:
        session.take()
    except StoreError:
        engine.dispose()
        raise
    with _HELD_MUTEX:
        _HELD.append(session)
    return IndexLock(session=session)


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
