"""Which listings of the review desk's licence requests are public data (their grant form then
offers an exclusive licence): one statement for a page's listings, on SQLite and PostgreSQL,
whatever their number; ids in lower case, a listing not indexed is not public data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from sqlalchemy import event

from node.api.keys import STORE
from node.store import Store, schema
from node.store.queries_catalogue import public_data
from node.web.staff.licence_requests import _public_data
from tests.integration.db_fixtures import plain_row

PUBLIC = ["0x" + f"{n:02x}" * 32 for n in (0xA1, 0xA2, 0xA3)]
NOT_PUBLIC = "0x" + "b1" * 32
NOT_INDEXED = "0x" + "c1" * 32


def _listing(listing_id: str, open_class: int) -> dict[str, Any]:
    """A ``listings`` row: its id and open class, a plain value in every other column."""
    return plain_row(
        schema.listings, listing_id=listing_id, open_class=open_class, granting_exchanges="0"
    )


def _fill(store: Store) -> None:
    rows = [_listing(listing_id, 1) for listing_id in PUBLIC] + [_listing(NOT_PUBLIC, 0)]
    with store.engine.begin() as connection:
        connection.execute(schema.listings.insert(), rows)


@contextmanager
def _reads_of_listings(store: Store) -> Iterator[list[str]]:
    """The statements run on the ``listings`` table meanwhile."""
    statements: list[str] = []

    def seen(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if "FROM listings" in sql:
            statements.append(sql)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)


def _request(store: Store) -> web.Request:
    app = web.Application()
    app[STORE] = store
    return make_mocked_request("GET", "/web/desk/licence-requests", app=app)


def test_the_desk_reads_a_pages_listings_in_one_statement(store: Store) -> None:
    _fill(store)
    asked = [PUBLIC[0].upper().replace("0X", "0x"), *PUBLIC[1:], NOT_PUBLIC, NOT_INDEXED]
    asked.append(PUBLIC[1])  # two requests of one listing
    with _reads_of_listings(store) as statements:
        found = asyncio.run(_public_data(_request(store), asked))
    assert found == set(PUBLIC)
    assert len(statements) == 1, statements  # was one point read per listing


def test_no_listing_asked_reads_nothing(store: Store) -> None:
    _fill(store)
    with _reads_of_listings(store) as statements:
        assert asyncio.run(_public_data(_request(store), [])) == set()
        assert public_data(store.engine, []) == set()
    assert statements == []


def test_public_data_names_the_indexed_listings_of_an_open_class(store: Store) -> None:
    _fill(store)
    assert public_data(store.engine, [*PUBLIC, NOT_PUBLIC, NOT_INDEXED]) == set(PUBLIC)
    assert public_data(store.engine, [NOT_PUBLIC, NOT_INDEXED]) == set()
    with store.engine.connect() as connection, connection.begin():
        assert public_data(connection, iter([PUBLIC[2]])) == {PUBLIC[2]}
