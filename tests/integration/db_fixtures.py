"""Databases for the tests: a SQLite file and a PostgreSQL database, each created once per
session and migrated once, emptied before each test that asks for a store.

PostgreSQL is found at ``ONELIST_TEST_POSTGRES`` (default: the local server, user postgres,
trust auth); the session creates ``onelist_test_<random>`` there and drops it at the end. When
the server is unreachable the PostgreSQL cases are skipped with the reason, unless
``ONELIST_REQUIRE_POSTGRES=1`` (then they fail).

Fixtures:

- ``store``: a migrated, empty :class:`Store`, once per backend (parametrized sqlite, postgresql);
- ``stores``: both backends' stores at once, for tests that compare them;
- ``empty_database_url``: a new database with no tables, once per backend (migration tests).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, Engine, Integer, String, Table, create_engine, text
from sqlalchemy.engine import URL, make_url

from node.store import Store, open_engine, safe_url, schema, upgrade

BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _admin_engine(server: URL) -> Engine:
    return create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def _create_database(server: URL, prefix: str) -> URL:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(server)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server.set(database=name)


def _drop_database(server: URL, database: URL) -> None:
    admin = _admin_engine(server)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def postgresql_database(server: URL, prefix: str = "onelist_test") -> Iterator[str]:
    """A new PostgreSQL database (``<prefix>_<random>``) for one test, dropped afterwards."""
    database = _create_database(server, prefix)
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        _drop_database(server, database)


@pytest.fixture(scope="session")
def pg_server() -> URL:
    """The PostgreSQL server's maintenance database (where databases are created)."""
    server = make_url(os.environ.get("ONELIST_TEST_POSTGRES", DEFAULT_POSTGRES))
    admin = _admin_engine(server)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        message = (
            f"PostgreSQL at {safe_url(server)} is unreachable "
            f"({str(error).strip().splitlines()[0]}); set ONELIST_TEST_POSTGRES to a server "
            "where the tests may create databases"
        )
        if os.environ.get("ONELIST_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        admin.dispose()
    return server


@pytest.fixture(scope="session")
def pg_url(pg_server: URL) -> Iterator[str]:
    """A PostgreSQL database of this session (``onelist_test_<random>``), dropped at the end."""
    database = _create_database(pg_server, "onelist_test")
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        _drop_database(pg_server, database)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'index.db'}"


@pytest.fixture(scope="session")
def _migrated_engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _store(url: str, engines: dict[str, Engine]) -> Store:
    engine = engines.get(url)
    if engine is None:
        engine = engines[url] = open_engine(url)
        upgrade(engine)
    store = Store(engine)
    store.reset()
    return store


@pytest.fixture(scope="session", params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """The session's database of each backend."""
    url: str = request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_url")
    return url


@pytest.fixture
def store(store_url: str, _migrated_engines: dict[str, Engine]) -> Store:
    """A migrated, empty store (sqlite, then postgresql)."""
    return _store(store_url, _migrated_engines)


@pytest.fixture
def stores(sqlite_url: str, pg_url: str, _migrated_engines: dict[str, Engine]) -> dict[str, Store]:
    """Both backends' stores, migrated and empty."""
    return {
        "sqlite": _store(sqlite_url, _migrated_engines),
        "postgresql": _store(pg_url, _migrated_engines),
    }


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database without tables, for one test (sqlite, then postgresql)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: URL = request.getfixturevalue("pg_server")
    database = _create_database(server, "onelist_empty")
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        _drop_database(server, database)


def plain_row(table: Table, **values: Any) -> dict[str, Any]:
    """A row of ``table`` for a test that writes the index directly: ``values``, and a plain
    value for every other column that needs one (the events' generated id left out)."""
    row: dict[str, Any] = {}
    for column in table.c:
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.primary_key and isinstance(column.type, Integer) and table is schema.events:
            continue  # generated
        elif column.nullable:
            row[column.name] = None
        elif isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, Integer):
            row[column.name] = 0
        elif isinstance(column.type, String):
            row[column.name] = "x"
        else:
            row[column.name] = "0"
    return row
