"""Alembic's environment for the node's index, configured from code (no alembic.ini).

:mod:`node.store.migrate` passes an open connection in ``config.attributes["connection"]``;
the ``alembic`` command can instead give ``sqlalchemy.url`` (``-x url=…`` or the main option).
Offline mode (``--sql``) renders the SQL for the URL's dialect.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from node.store.database import open_engine
from node.store.migrate import schema_metadata

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database URL: alembic -x url=sqlite:///index.db …")
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=list(schema_metadata()),
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=list(schema_metadata()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = open_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
