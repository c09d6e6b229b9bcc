"""A PostgreSQL index's listing pages read on the event loop (node.store.async_reads): the same
page as the threads' transaction reads (on PostgreSQL and on SQLite), past the events a page
shows too, and the store's errors when the server is gone."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import URL, make_url, text

from node.store import Store, StoreError, schema
from node.store import queries_catalogue as queries
from node.store.async_reads import PostgresPages
from node.store.errors import StoreUnavailableError
from tests.integration.db_fixtures import plain_row, postgresql_database

LISTING = "0x" + "1a" * 32
OTHER = "0x" + "2b" * 32


def _fill(store: Store, public_events: int) -> None:
    """Two listings; the first with two versions and ``public_events`` public events among
    others the page leaves out (a refused duplicate, another listing's)."""
    with store.engine.begin() as connection:
        for listing_id, title in ((LISTING, "衡阳市交通出行数据"), (OTHER, "杭州市企业信用报告")):
            connection.execute(
                schema.listings.insert(),
                plain_row(
                    schema.listings,
                    listing_id=listing_id,
                    home_exchange="SH",
                    status="listed",
                    version=2,
                    title=title,
                    catalogue='{"category": "交通运输"}',
                    granting_exchanges="0",
                    suspended_until=0,
                ),
            )
            connection.execute(
                schema.listing_versions.insert(),
                [
                    plain_row(
                        schema.listing_versions,
                        listing_id=listing_id,
                        version=version,
                        home_exchange="SH",
                        title=f"{title} v{version}",
                        price_fen=100 * version,
                        block_number=version,
                        tx_hash="0x" + f"{version:064x}",
                    )
                    for version in (2, 1)
                ],
            )
        names = ("Listed", "LicenceGranted", "DuplicateFingerprintRefused")
        connection.execute(
            schema.events.insert(),
            [
                plain_row(
                    schema.events,
                    chain_id=1337,
                    block_number=10 + n // 3,
                    block_time=1_700_000_000 + n,
                    log_index=n % 3,
                    tx_hash="0x" + f"{n:064x}",
                    contract="ListingRegistry",
                    name="Listed" if n == 0 else names[1 + (n % 2 == 0 and n % 7 == 0)],
                    listing_id=OTHER if n % 11 == 10 else LISTING,
                    acting_exchange="ZJ",
                    seq=n,
                    args=f'{{"n": {n}, "label": "第{n}次"}}',
                )
                for n in range(public_events * 2)
            ],
        )


async def _page(url: str, listing_id: str) -> queries.ListingPage | None:
    pages = PostgresPages(make_url(url))
    try:
        return await pages.listing_page(listing_id)
    finally:
        await pages.close()


@pytest.mark.parametrize("public_events", [3, queries.PAGE_EVENTS + 40])
async def test_a_page_read_on_the_loop_is_the_page_the_threads_read(
    stores: dict[str, Store], public_events: int
) -> None:
    for store in stores.values():
        _fill(store, public_events)
    postgres = stores["postgresql"].engine
    on_loop = await _page(postgres.url.render_as_string(hide_password=False), LISTING)
    assert on_loop is not None
    assert on_loop == queries.listing_page(postgres, LISTING)
    assert on_loop == queries.listing_page(stores["sqlite"].engine, LISTING)
    assert [v["version"] for v in on_loop.versions] == [1, 2]
    assert len(on_loop.events) == min(on_loop.events_total, queries.PAGE_EVENTS)
    in_chain_order = sorted(on_loop.events, key=lambda e: (e["block_number"], e["log_index"]))
    assert on_loop.events == in_chain_order
    assert {e["name"] for e in on_loop.events} <= set(queries.PUBLIC_EVENTS)
    assert await _page(postgres.url.render_as_string(hide_password=False), "0x" + "00" * 32) is None


async def test_exchanges_read_on_the_loop_are_the_threads(stores: dict[str, Store]) -> None:
    postgres = stores["postgresql"].engine
    with postgres.begin() as connection:
        connection.execute(
            schema.exchanges.insert(),
            [
                plain_row(schema.exchanges, code=code, idx=idx, name=name, province=province)
                for idx, (code, name, province) in enumerate(
                    [("SH", "上海数据交易所", 310000), ("ZJ", "浙江大数据交易中心", 330000)]
                )
            ],
        )
    pages = PostgresPages(postgres.url)
    try:
        assert await pages.exchanges() == queries.exchanges(postgres)
    finally:
        await pages.close()


def _free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


async def test_an_unreachable_server_is_unavailable_and_a_later_read_connects(
    stores: dict[str, Store],
) -> None:
    """A server that cannot be reached is the store's StoreUnavailableError (the API's 503);
    once it answers again the next read connects afresh, and connections the server ended
    are replaced the same way."""
    postgres = stores["postgresql"].engine
    _fill(stores["postgresql"], 3)
    nowhere = PostgresPages(postgres.url.set(port=_free_port(), password="s3cret"))
    with pytest.raises(StoreUnavailableError, match="database unavailable") as refused:
        await nowhere.listing_page(LISTING)
    assert "s3cret" not in str(refused.value) and "***" in str(refused.value)
    await nowhere.close()

    pages = PostgresPages(postgres.url, size=1)
    try:
        assert await pages.listing_page(LISTING) is not None
        with postgres.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
        assert ended
        with pytest.raises(StoreUnavailableError):
            await pages.listing_page(LISTING)
        assert await pages.listing_page(LISTING) is not None
    finally:
        await pages.close()


async def test_an_index_without_tables_is_a_store_error(pg_server: URL) -> None:
    with postgresql_database(pg_server, "onelist_async_reads") as url:
        pages = PostgresPages(make_url(url))
        try:
            with pytest.raises(StoreError, match=r"listings.*not migrated") as refused:
                await pages.listing_page(LISTING)
            assert not isinstance(refused.value, StoreUnavailableError)
        finally:
            await pages.close()


async def test_a_database_that_is_gone_is_unavailable(pg_server: URL) -> None:
    """A database dropped under the node (or never created) is unavailable (503), not a
    refused statement."""
    with postgresql_database(pg_server, "onelist_async_reads") as url:
        pages = PostgresPages(make_url(url))
        with pytest.raises(StoreError):
            await pages.listing_page(LISTING)  # connected: no tables yet
    try:
        with pytest.raises(StoreUnavailableError):  # its connection was closed with it
            await pages.listing_page(LISTING)
        with pytest.raises(StoreUnavailableError, match="does not exist"):
            await pages.listing_page(LISTING)
    finally:
        await pages.close()
