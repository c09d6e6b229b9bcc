"""Alembic migrations of the node's index, run from code: ``upgrade(url)`` at start-up.

The migrations live in the package (``node/store/migrations``, one module per revision under
``versions/``); no ``alembic.ini`` is needed. To write the next revision, start from what
Alembic sees missing, then write the operations out by hand as ``0001_initial.py`` does::

    with open_engine(url).begin() as connection:
        command.revision(alembic_config(connection), "what changes", autogenerate=True,
                         rev_id="0002")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

from node.store.database import open_engine, read_connection, write_transaction

__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

SCRIPT_LOCATION = "node.store:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the package's migrations, bound to ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _engine(target: Engine | str) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    engine = open_engine(target)
    try:
        yield engine
    finally:
        engine.dispose()


def _run(target: Engine | str, step: Callable[[Config], None]) -> None:
    with _engine(target) as engine, write_transaction(engine) as connection:
        step(alembic_config(connection))


def upgrade(target: Engine | str, revision: str = "head") -> None:
    """Migrate the database (an engine or a URL) up to ``revision``, in one transaction."""
    _run(target, lambda config: command.upgrade(config, revision))


def downgrade(target: Engine | str, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (``base``: no tables left), in one transaction."""
    _run(target, lambda config: command.downgrade(config, revision))


def current_revision(target: Engine | str) -> str | None:
    """The database's revision, or None when it was never migrated."""
    with _engine(target) as engine, read_connection(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_metadata() -> tuple[MetaData, ...]:
    """Every table set the migrations build: the chain's index (with its search terms) and the
    node's own tables (participants' submissions, staff), which live in their own ``MetaData``
    so that a rebuild of the index never deletes them."""
    from node.store import schema, schema_search, schema_staff, schema_submissions

    del schema_search  # its tables are defined on schema.metadata
    return (schema.metadata, schema_submissions.metadata, schema_staff.staff_metadata)


def combined_metadata() -> MetaData:
    """One ``MetaData`` holding a copy of every table of :func:`schema_metadata` (to compare)."""
    combined = MetaData()
    for metadata in schema_metadata():
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


def head_revision() -> str:
    """The newest revision the package carries."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
