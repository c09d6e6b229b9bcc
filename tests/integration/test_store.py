"""The SQL index against real SQLite and real PostgreSQL: migrations, batches exactly once,
failed changes that leave nothing behind, rollbacks that re-derive the state, and a digest
that is equal on both databases for equal content.

Events and row changes are built here by hand, with a small projection of our own (``project``
below), so the store is tested without the decoder or the real projections.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import inspect, text

from node.events import (
    BlockHeader,
    DecodedEvent,
    Increment,
    Insert,
    RawLog,
    RowChange,
    Update,
    Upsert,
)
from node.store import (
    Cursor,
    DeadLetter,
    RowChangeError,
    Store,
    StoreError,
    StoreUnavailableError,
    WriteBatch,
    current_revision,
    first_difference,
    head_revision,
    open_engine,
    upgrade,
    writer,
)
from node.store.migrate import combined_metadata, downgrade
from node.store.plan import coalesce, plan
from node.store.schema import INDEFINITE, metadata
from onelist.catalogue import decode_catalogue, encode_catalogue

CHAIN_ID = 31337
TIME0 = 1_700_000_000
EXCHANGES = ("SH", "GZ", "BJ")
BASE_LISTINGS = 4


# ----------------------------------------------------------------------------- a small chain


def _h(*parts: object) -> str:
    return "0x" + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _address(*parts: object) -> str:
    return "0x" + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:40].upper()


@dataclass(frozen=True)
class Fork:
    """A chain: the main one, or one that leaves it after block ``after``."""

    name: str = "main"
    after: int = 0

    def label(self, number: int) -> str:
        return self.name if number > self.after else "main"

    def hash(self, number: int) -> bytes:
        return hashlib.sha256(f"{self.label(number)}:{number}".encode()).digest()

    def header(self, number: int) -> BlockHeader:
        parent = self.hash(number - 1) if number > 0 else bytes(32)
        return BlockHeader(number, self.hash(number), parent, TIME0 + 2 * number)

    def cursor(self, number: int) -> Cursor:
        return Cursor(CHAIN_ID, number, self.hash(number))


MAIN = Fork()


def listing_id(number: int) -> str:
    return _h("listing", number)


def make_event(
    fork: Fork, number: int, log_index: int, name: str, args: dict[str, Any]
) -> DecodedEvent:
    catalogue = None
    if name == "Listed":
        catalogue = decode_catalogue(bytes.fromhex(args["catalogue"][2:]))
    return DecodedEvent(
        chain_id=CHAIN_ID,
        block_number=number,
        block_hash="0x" + fork.hash(number).hex(),
        block_time=TIME0 + 2 * number,
        tx_hash=_h("tx", fork.label(number), number, log_index),
        log_index=log_index,
        contract={"Listed": "ListingRegistry", "LicenceGranted": "LicenceRegistry"}.get(
            name, "Consortium"
        ),
        name=name,
        args=args,
        actor=args.get("actor"),
        acting_exchange=args.get("exchange"),
        listing_id=args.get("listingId"),
        seq=args.get("seq"),
        catalogue=catalogue,
    )


def block_events(fork: Fork, number: int) -> list[DecodedEvent]:
    """The events of one block: the same on every fork up to the fork's block."""
    rng = random.Random(f"{fork.label(number)}:{number}")
    out: list[tuple[str, dict[str, Any]]] = []
    if number == 1:
        for idx, code in enumerate(EXCHANGES):
            out.append(
                ("ExchangeAdmitted", {"code": code, "idx": idx, "name": f"{code} 数据交易所"})
            )
    elif number == 2:
        out += [("Listed", _listing_args(listing_id(i), i, rng)) for i in range(BASE_LISTINGS)]
    else:
        out.append(("ProposalCreated", {"proposalId": number, "exchange": "SH"}))
        for code in rng.sample(EXCHANGES, rng.randint(1, 3)):
            out.append(("VoteCast", {"proposalId": number, "exchange": code, "support": True}))
        if rng.random() < 0.5:  # a new listing, and perhaps a grant of it in the same block
            out.append(("Listed", _listing_args(_h("new", fork.label(number), number), 1, rng)))
        for _ in range(rng.randint(1, 4)):
            target = rng.choice(
                [listing_id(i) for i in range(BASE_LISTINGS)]
                + [args["listingId"] for name, args in out if name == "Listed"]
            )
            out.append(
                (
                    "LicenceGranted",
                    {
                        "licenceId": _h("licence", fork.label(number), number, len(out)),
                        "listingId": target,
                        "priceFen": rng.randint(1, 10_000_000),
                        "seq": rng.randint(1, 1000),
                        "exchange": rng.choice(EXCHANGES),
                    },
                )
            )
        if rng.random() < 0.3:
            out.append(("Suspended", {"subject": listing_id(rng.randrange(BASE_LISTINGS))}))
    return [make_event(fork, number, i, name, args) for i, (name, args) in enumerate(out)]


def _listing_args(lid: str, n: int, rng: random.Random) -> dict[str, Any]:
    catalogue = {"title": f"交通流量数据 {n}", "keywords": ["交通", "flow"], "price": n * 100}
    return {
        "listingId": lid,
        "provider": _address("provider", lid),
        "exchange": "SH",
        "catalogue": "0x" + encode_catalogue(catalogue).hex(),
        "modelTraining": rng.random() < 0.5,
        "seq": 1,
    }


def project(event: DecodedEvent) -> list[RowChange]:
    """A projection for these tests (the real ones live in ``node/projections``)."""
    a = event.args
    n = event.block_number
    if event.name == "ExchangeAdmitted":  # exchanges has a second unique key: kept in order
        return [
            Upsert(
                "exchanges",
                {"code": a["code"]},
                {
                    "idx": a["idx"],
                    "name": a["name"],
                    "province": 310000,
                    "status": "active",
                    "first_operator": _address("operator", a["code"]),
                    "proposal_id": 0,
                    "admitted_block": n,
                },
            )
        ]
    if event.name == "Listed":
        catalogue = event.catalogue or {}
        version = {
            "provider": a["provider"],
            "home_exchange": a["exchange"],
            "manifest_hash": _h("manifest", a["listingId"]),
            "fingerprint": _h("fingerprint", a["listingId"]),
            "grade": 1,
            "open_class": 0,
            "personal_info": 0,
            "pi_flags": 0,
            "consent_evidence": _h("consent"),
            "risk_assessment": _h("risk"),
            "authorisation_id": _h("authorisation"),
            "purposes": 2**40 + 3,
            "max_term_days": 365,
            "territory": 0,
            "onward_transfer": 0,
            "model_training": a["modelTraining"],
            "delivery_modes": 3,
            "granting_exchanges": str(2**200 + 5),
            "price_floor_fen": 100,
            "title": catalogue.get("title"),
            "keywords": catalogue.get("keywords"),
            "catalogue": catalogue or None,
            "catalogue_error": event.catalogue_error,
        }
        return [
            Upsert(
                "listings",
                {"listing_id": a["listingId"]},
                {
                    **version,
                    "status": "listed",
                    "version": 1,
                    "seq": a["seq"],
                    "listed_block": n,
                    "listed_at": event.block_time,
                    "updated_block": n,
                    "updated_at": event.block_time,
                },
            ),
            Insert(
                "listing_versions",
                {
                    "listing_id": a["listingId"],
                    "version": 1,
                    "actor": a["provider"],
                    **version,
                    "block_number": n,
                    "block_time": event.block_time,
                    "tx_hash": event.tx_hash,
                },
            ),
        ]
    if event.name == "LicenceGranted":
        price = a["priceFen"]
        return [
            Insert(
                "licences",
                {
                    "licence_id": a["licenceId"],
                    "listing_id": a["listingId"],
                    "version": 1,
                    "licensee": _address("licensee", a["licenceId"]),
                    "granting_exchange": a["exchange"],
                    "actor": _address("operator", a["exchange"]),
                    "purposes": 1,
                    "start": event.block_time,
                    "end": event.block_time + 86400,
                    "territory": 0,
                    "delivery_mode": 1,
                    "onward_transfer": 0,
                    "model_training": False,
                    "price_fen": price,
                    "settlement_hash": _h("settlement", a["licenceId"]),
                    "deadline": 0,
                    "provider_fen": price * 9 // 10,
                    "home_fen": price // 20,
                    "granting_fen": price // 40,
                    "consortium_fen": price - price * 9 // 10 - price // 20 - price // 40,
                    "status": "active",
                    "granted_block": n,
                    "granted_at": event.block_time,
                },
            ),
            Update("listings", {"listing_id": a["listingId"]}, {"seq": a["seq"]}),
            Increment(
                "listings",
                {"listing_id": a["listingId"]},
                {"licence_count": 1, "revenue_fen": price},
            ),
        ]
    if event.name == "ProposalCreated":
        return [
            Upsert(
                "proposals",
                {"proposal_id": a["proposalId"]},
                {
                    "kind": 1,
                    "exchange": a["exchange"],
                    "actor": _address("operator", a["exchange"]),
                    "data": "0x",
                    "deadline": event.block_time + 3600,
                    "required": 2,
                    "created_block": n,
                },
            )
        ]
    if event.name == "VoteCast":
        return [
            Insert(
                "votes",
                {
                    "proposal_id": a["proposalId"],
                    "exchange": a["exchange"],
                    "actor": _address("operator", a["exchange"]),
                    "support": a["support"],
                    "block_number": n,
                },
            ),
            Increment("proposals", {"proposal_id": a["proposalId"]}, {"yes": 1}),
        ]
    if event.name == "Suspended":
        return [
            Insert(
                "suspensions",
                {
                    "block_number": n,
                    "log_index": event.log_index,
                    "action": "suspend",
                    "scope": 2,
                    "subject": a["subject"],
                    "regulator": _address("regulator"),
                    "reason_code": 7,
                    "legal_basis": _h("law"),
                    "until": INDEFINITE,
                    "block_time": event.block_time,
                },
            ),
            Update("listings", {"listing_id": a["subject"]}, {"suspended_until": INDEFINITE}),
        ]
    raise AssertionError(f"no projection for {event.name}")


def batch(
    fork: Fork,
    first: int,
    last: int,
    *,
    rejected: Sequence[DeadLetter] = (),
) -> WriteBatch:
    """Blocks ``first``..``last`` of ``fork`` as one batch."""
    events = [event for number in range(first, last + 1) for event in block_events(fork, number)]
    return WriteBatch.projected(
        fork.cursor(last),
        [(event, project(event)) for event in events],
        blocks=[fork.header(number) for number in range(first, last + 1)],
        rejected=rejected,
        first_block=first,
    )


def index(store: Store, fork: Fork, last: int, step: int, first: int = 1) -> None:
    for start in range(first, last + 1, step):
        assert store.apply_batch(batch(fork, start, min(start + step - 1, last)))


def dead_letter(fork: Fork, number: int, log_index: int, reason: str) -> DeadLetter:
    log = RawLog(
        block_number=number,
        block_hash=fork.hash(number),
        tx_hash=bytes.fromhex(_h("poison", number, log_index)[2:]),
        log_index=log_index,
        address=_address("registry"),
        topics=(b"\x01" * 32, b"\x02" * 32),
        data=b"\xde\xad",
    )
    return DeadLetter(log, "decode", reason)


def count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def listing(store: Store, lid: str) -> dict[str, Any]:
    with store.engine.connect() as connection:
        row = connection.execute(
            text("SELECT * FROM listings WHERE listing_id = :id"), {"id": lid}
        ).one()
    return dict(row._mapping)


# ----------------------------------------------------------------------------- migrations


def test_migrations_build_exactly_the_schema_and_come_down_again(empty_database_url: str) -> None:
    engine = open_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, combined_metadata()) == []
        upgrade(engine)  # at head already: nothing to do
        downgrade(engine)
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine, "0001")
        assert set(metadata.tables) - {"listing_terms"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrating_by_url_opens_and_closes_its_own_engine(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    assert current_revision(empty_database_url) == head_revision()


# ----------------------------------------------------------------------------- opening


@pytest.mark.parametrize(
    ("url", "error", "shown"),
    [
        pytest.param("not a url://", StoreError, "not a database URL", id="garbage is not a URL"),
        pytest.param(
            "mysql://root:hunter2@localhost/onelist",
            StoreError,
            "mysql://root:***@localhost/onelist",
            id="an unsupported database is named without its password",
        ),
        pytest.param(
            "sqlite://user@host/index.db",
            StoreError,
            "a SQLite URL names a file",
            id="a SQLite URL with a host is refused",
        ),
        pytest.param(
            "sqlite:////nonexistent/folder/index.db",
            StoreError,
            "folder /nonexistent/folder does not exist",
            id="a SQLite file in a missing folder is refused",
        ),
        pytest.param(
            "postgresql://onelist:hunter2@127.0.0.1:1/onelist",
            StoreUnavailableError,
            "postgresql+psycopg://onelist:***@127.0.0.1:1/onelist",
            id="an unreachable PostgreSQL is unavailable, password hidden",
        ),
    ],
)
def test_open_engine_refuses_with_the_url_and_no_password(
    url: str, error: type[StoreError], shown: str
) -> None:
    with pytest.raises(error) as raised:
        open_engine(url)
    assert shown in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = open_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 10000,
    }


def test_a_bare_path_opens_a_sqlite_file(tmp_path: Any) -> None:
    engine = open_engine(str(tmp_path / "index.db"))
    try:
        assert engine.dialect.name == "sqlite"
    finally:
        engine.dispose()
    assert (tmp_path / "index.db").exists()


def test_an_unmigrated_database_says_so(empty_database_url: str) -> None:
    engine = open_engine(empty_database_url)
    try:
        with pytest.raises(StoreError, match="not migrated"):
            Store(engine).cursor()
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- batches


def test_a_batch_stores_events_rows_blocks_and_cursor_together(store: Store) -> None:
    assert store.cursor() is None
    poison = dead_letter(MAIN, 3, 99, "unknown topic 0x0101…")
    assert store.apply_batch(batch(MAIN, 1, 5, rejected=[poison]))

    events = [event for number in range(1, 6) for event in block_events(MAIN, number)]
    assert store.cursor() == MAIN.cursor(5)
    assert count(store, "events") == len(events)
    assert [block.number for block in store.recent_blocks(3)] == [5, 4, 3]
    assert store.recent_blocks(1)[0] == MAIN.header(5)
    assert store.block_hash(4) == MAIN.hash(4)
    assert store.block_hash(99) is None

    grants = [e for e in events if e.name == "LicenceGranted"]
    lid = listing_id(0)
    row = listing(store, lid)
    mine = [e for e in grants if e.args["listingId"] == lid]
    assert row["licence_count"] == len(mine)
    assert row["revenue_fen"] == sum(e.args["priceFen"] for e in mine)
    assert row["seq"] == (mine[-1].args["seq"] if mine else 1)
    assert row["title"] == "交通流量数据 0"
    assert row["granting_exchanges"] == str(2**200 + 5)

    stored = store.events(limit=len(events) + 10)
    assert [(e.block_number, e.log_index) for e in stored] == [
        (e.block_number, e.log_index) for e in events
    ]
    assert stored == events  # args, catalogue and audit fields survive the round trip

    status = store.status()
    assert status["cursor"]["block_number"] == 5
    assert status["events"] == len(events)
    assert status["dead_letters"] == 1
    assert status["recent_dead_letters"][0]["reason"] == "unknown topic 0x0101…"
    assert status["recent_dead_letters"][0]["block_number"] == 3
    assert status["tables"]["licences"] == len(grants)


def test_replaying_a_batch_changes_nothing(store: Store) -> None:
    first, second = batch(MAIN, 1, 4), batch(MAIN, 5, 8)
    assert store.apply_batch(first)
    assert store.apply_batch(second)
    before = store.digest()
    lid = listing_id(1)
    revenue = listing(store, lid)["revenue_fen"]

    assert store.apply_batch(second) is False  # already stored: skipped
    assert store.apply_batch(first) is False  # behind the cursor: skipped
    assert store.digest() == before
    assert listing(store, lid)["revenue_fen"] == revenue  # increments not applied twice
    assert store.cursor() == MAIN.cursor(8)


def test_a_batch_overlapping_the_cursor_is_refused(store: Store) -> None:
    index(store, MAIN, 6, 3)
    before = store.digest()
    with pytest.raises(StoreError, match="at or before the cursor"):
        store.apply_batch(batch(MAIN, 5, 9))
    assert store.digest() == before
    assert store.cursor() == MAIN.cursor(6)


def test_a_batch_of_another_fork_at_the_indexed_height_is_refused(store: Store) -> None:
    index(store, MAIN, 6, 3)
    with pytest.raises(StoreError, match="roll back first"):
        store.apply_batch(batch(Fork("other", after=3), 4, 6))


def test_a_batch_of_another_chain_is_refused(store: Store) -> None:
    index(store, MAIN, 3, 3)
    other = WriteBatch(CHAIN_ID + 1, 9, MAIN.hash(9))
    with pytest.raises(StoreError, match="holds chain 31337"):
        store.apply_batch(other)


def test_an_empty_range_moves_only_the_cursor(store: Store) -> None:
    index(store, MAIN, 3, 3)
    before = store.digest()
    assert store.apply_batch(WriteBatch(CHAIN_ID, 10, MAIN.hash(10), blocks=[MAIN.header(10)]))
    assert store.cursor() == MAIN.cursor(10)
    assert store.digest() == before


@pytest.mark.usefixtures("overlap")
def test_an_update_of_a_missing_row_fails_and_leaves_nothing_behind(store: Store) -> None:
    index(store, MAIN, 4, 4)
    before, cursor = store.digest(), store.cursor()
    good = block_events(MAIN, 5)
    ghost = make_event(
        MAIN,
        5,
        len(good),
        "LicenceGranted",
        {
            "licenceId": _h("ghost licence"),
            "listingId": _h("no such listing"),
            "priceFen": 5,
            "seq": 2,
            "exchange": "GZ",
        },
    )
    events = [*good, ghost, *block_events(MAIN, 6)]
    bad = WriteBatch.projected(
        MAIN.cursor(6),
        [(event, project(event)) for event in events],
        blocks=[MAIN.header(5), MAIN.header(6)],
        rejected=[dead_letter(MAIN, 5, 50, "undecodable")],
    )

    with pytest.raises(RowChangeError) as raised:
        store.apply_batch(bad)

    error = raised.value
    assert error.event == ghost
    assert error.table == "listings"
    assert error.change == bad.changes[error.change_index]
    assert isinstance(error.change, Update)
    assert "no such row" in str(error)
    # Nothing of the batch was kept: no events, rows, blocks, dead letters, cursor.
    assert store.digest() == before
    assert store.cursor() == cursor
    assert store.block_hash(5) is None
    assert store.status()["dead_letters"] == 0

    # Without the poison event the same range goes in.
    good_batch = batch(MAIN, 5, 6)
    assert store.apply_batch(good_batch)
    assert store.cursor() == MAIN.cursor(6)


@pytest.mark.usefixtures("overlap")
def test_a_batch_holding_an_event_twice_is_refused_whole(store: Store) -> None:
    index(store, MAIN, 2, 2)
    before = store.digest()
    events = block_events(MAIN, 3)
    twice = WriteBatch.projected(
        MAIN.cursor(3), [(event, project(event)) for event in [*events, events[0]]]
    )
    with pytest.raises(StoreError) as raised:
        store.apply_batch(twice)
    assert not isinstance(raised.value, RowChangeError)
    assert store.digest() == before
    assert store.cursor() == MAIN.cursor(2)


def test_two_writers_of_one_batch_apply_it_once(store: Store) -> None:
    index(store, MAIN, 4, 4)
    expected = store.digest()
    store.reset()
    index(store, MAIN, 2, 2)
    second = batch(MAIN, 3, 4)
    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda _: store.apply_batch(second), range(2)))
    assert results == [False, True]
    assert store.digest() == expected


BAD_CHANGES = [
    pytest.param(Insert("nowhere", {"a": 1}), "unknown table 'nowhere'", id="an unknown table"),
    pytest.param(
        Update("proposals", {"proposal_id": 3}, {"colour": "red"}),
        "proposals has no column 'colour'",
        id="an unknown column",
    ),
    pytest.param(
        Increment("proposals", {"proposal_id": 404}, {"yes": 1}),
        "no such row",
        id="an increment of a missing row",
    ),
    pytest.param(
        Insert(
            "votes",
            {
                "proposal_id": 3,
                "exchange": "SH",
                "actor": "0x0",
                "support": True,
                "block_number": 3,
            },
        ),
        "",
        id="a duplicate row",
    ),
    pytest.param(
        Upsert("proposals", {"proposal_id": 77}, {"kind": 1}),
        "",
        id="an insert missing a required column",
    ),
    pytest.param(
        Update("proposals", {"proposal_id": 3}, {"deadline": 2**64 - 1}),
        "",
        id="a value too large for BIGINT",
    ),
]


@pytest.fixture(params=["planned in a worker", "planned in line"])
def overlap(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large batches plan their changes in a worker while the events go in: test both ways."""
    if request.param == "planned in a worker":
        monkeypatch.setattr(writer, "OVERLAP_MIN_CHANGES", 1)


@pytest.mark.usefixtures("overlap")
@pytest.mark.parametrize(("change", "reason"), BAD_CHANGES)
def test_a_change_that_cannot_be_applied_is_named(
    store: Store, change: RowChange, reason: str
) -> None:
    index(store, MAIN, 2, 2)
    before = store.digest()
    events = block_events(MAIN, 3)
    pairs = [(event, project(event)) for event in events]
    pairs[1] = (pairs[1][0], [*pairs[1][1], change])  # after the vote, with the vote's changes
    bad = WriteBatch.projected(MAIN.cursor(3), pairs, blocks=[MAIN.header(3)])
    with pytest.raises(RowChangeError) as raised:
        store.apply_batch(bad)
    assert raised.value.change == change
    assert raised.value.event == events[1]
    assert reason in str(raised.value)
    assert store.digest() == before
    assert store.cursor() == MAIN.cursor(2)


def _savepoints(store: Store, apply: Any) -> int:
    """How many savepoints ``apply()`` opens on the store's connections."""
    opened: list[str] = []

    def _seen(*args: Any) -> None:
        opened.append("savepoint")

    sqlalchemy_event.listen(store.engine, "savepoint", _seen)
    try:
        apply()
    finally:
        sqlalchemy_event.remove(store.engine, "savepoint", _seen)
    return len(opened)


def test_a_batch_that_applies_opens_no_savepoint_and_one_that_fails_is_named(
    store: Store,
) -> None:
    """Savepoints (a page copy per changed page on SQLite) only when a batch fails, to name
    the change; the batch is refused whole either way."""
    index(store, MAIN, 2, 2)
    assert _savepoints(store, lambda: store.apply_batch(batch(MAIN, 3, 3))) == 0
    before = store.digest()
    events = block_events(MAIN, 4)
    pairs = [(event, project(event)) for event in events]
    ghost = Update("listings", {"listing_id": _h("no such listing")}, {"seq": 9})
    pairs[0] = (pairs[0][0], [*pairs[0][1], ghost])
    bad = WriteBatch.projected(MAIN.cursor(4), pairs, blocks=[MAIN.header(4)])
    raised: list[RowChangeError] = []

    def _apply() -> None:
        with pytest.raises(RowChangeError) as error:
            store.apply_batch(bad)
        raised.append(error.value)

    assert _savepoints(store, _apply) > 0
    assert raised[0].change == ghost
    assert raised[0].event == events[0]
    assert store.digest() == before
    assert store.cursor() == MAIN.cursor(3)


@pytest.mark.usefixtures("overlap")
def test_a_large_batch_ends_where_one_block_per_transaction_ends(
    stores: dict[str, Store],
) -> None:
    """Coalesced and regrouped changes (hot listings, same-block grants of new listings, the
    in-order exchanges table) end where small transactions end, on either database."""
    for large, small in (("sqlite", "postgresql"), ("postgresql", "sqlite")):
        for store in stores.values():
            store.reset()
        index(stores[large], MAIN, 40, 40)
        index(stores[small], MAIN, 40, 1)
        pair = (stores[large], stores[small])
        assert first_difference(pair[0].digest(), pair[1].digest(), pair) is None


# ----------------------------------------------------------------------------- rollbacks


def test_rollback_to_forgets_later_blocks_and_re_derives_the_state(store: Store) -> None:
    index(store, MAIN, 6, 3)
    at_six = store.digest()
    store.apply_batch(batch(MAIN, 7, 10, rejected=[dead_letter(MAIN, 8, 40, "poison")]))
    assert store.digest() != at_six

    assert store.rollback_to(6, None, project) == MAIN.cursor(6)

    assert store.cursor() == MAIN.cursor(6)
    assert store.digest() == at_six
    assert store.block_hash(7) is None
    assert store.recent_blocks(1)[0].number == 6
    assert store.status()["dead_letters"] == 0
    assert listing(store, listing_id(0))["title"] == "交通流量数据 0"  # catalogue re-decoded

    fork = Fork("reorg", after=6)
    index(store, fork, 9, 3, first=7)
    fresh_digest = store.digest()
    store.reset()
    index(store, fork, 9, 3)
    assert store.digest() == fresh_digest


def test_a_rollback_replays_the_events_page_by_page(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    index(store, MAIN, 12, 4)
    at_twelve = store.digest()
    everything = store.events(limit=10_000)
    monkeypatch.setattr(writer, "REPLAY_CHUNK", 3)  # pages end inside blocks
    assert store.events(limit=10_000) == everything
    assert store.events(after=5, limit=4) == [e for e in everything if e.block_number > 5][:4]
    store.apply_batch(batch(MAIN, 13, 15))
    store.rollback_to(12, None, project)
    assert store.digest() == at_twelve


def test_a_failed_rollback_changes_nothing(store: Store) -> None:
    index(store, MAIN, 8, 4)
    before, cursor = store.digest(), store.cursor()

    def broken(event: DecodedEvent) -> list[RowChange]:
        if event.block_number == 5:
            raise ValueError("projection bug")
        return project(event)

    with pytest.raises(ValueError, match="projection bug"):
        store.rollback_to(6, None, broken)
    assert store.digest() == before
    assert store.cursor() == cursor

    with pytest.raises(RowChangeError, match="no such row"):
        store.rollback_to(
            6, None, lambda e: [Update("listings", {"listing_id": "0x00"}, {"seq": 1})]
        )
    assert store.digest() == before


def test_rollback_needs_a_block_the_index_holds(store: Store) -> None:
    index(store, MAIN, 6, 3)
    with pytest.raises(StoreError, match="index ends at block 6"):
        store.rollback_to(9, None, project)
    store.apply_batch(WriteBatch(CHAIN_ID, 20, MAIN.hash(20)))  # no headers for 7..20
    with pytest.raises(StoreError, match="not in the blocks table"):
        store.rollback_to(15, None, project)
    assert store.rollback_to(15, MAIN.hash(15), project) == MAIN.cursor(15)


def test_rebuild_state_folds_the_stored_events_again(store: Store) -> None:
    index(store, MAIN, 6, 3)
    before = store.digest()
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM licences"))
        connection.execute(text("UPDATE listings SET licence_count = 0"))
    assert store.digest() != before
    store.rebuild_state(project)
    assert store.digest() == before


def test_reset_empties_the_index(store: Store) -> None:
    index(store, MAIN, 4, 2)
    store.reset()
    assert store.cursor() is None
    status = store.status()
    assert status["events"] == 0
    assert set(status["tables"].values()) == {0}
    assert store.apply_batch(batch(MAIN, 1, 2))


# ----------------------------------------------------------------------------- digests


def test_the_digest_is_equal_on_sqlite_and_postgresql(stores: dict[str, Store]) -> None:
    poison = [dead_letter(MAIN, 9, 77, "bad bytes: 无法解码")]
    for store in stores.values():
        index(store, MAIN, 8, 4)
        store.apply_batch(batch(MAIN, 9, 12, rejected=poison))
    sqlite, postgresql = (store.digest() for store in stores.values())
    assert sqlite == postgresql
    assert sqlite.tables["events"].rows == count(stores["sqlite"], "events")
    assert sqlite.tables["dead_letters"].rows == 1
    assert sqlite.first_difference(postgresql) is None


def test_a_digest_names_the_first_differing_table_and_row(stores: dict[str, Store]) -> None:
    for store in stores.values():
        index(store, MAIN, 8, 4)
    lid = listing_id(2)
    with stores["postgresql"].engine.begin() as connection:
        connection.execute(
            text("UPDATE listings SET revenue_fen = revenue_fen + 1 WHERE listing_id = :id"),
            {"id": lid},
        )
    a, b = stores["sqlite"].digest(), stores["postgresql"].digest()
    assert a != b
    assert [name for name in a.tables if a.tables[name] != b.tables[name]] == ["listings"]

    difference = first_difference(a, b)
    assert difference is not None
    assert difference.table == "listings"
    assert difference.key is None

    difference = a.first_difference(b, (stores["sqlite"], stores["postgresql"]))
    assert difference is not None
    assert difference.table == "listings"
    assert difference.key == {"listing_id": lid}
    assert "revenue_fen" in difference.detail
    assert lid in str(difference)


def test_a_digest_names_a_row_only_one_index_has(stores: dict[str, Store]) -> None:
    stores["sqlite"].apply_batch(batch(MAIN, 1, 4))
    stores["postgresql"].apply_batch(batch(MAIN, 1, 3))
    a, b = stores["sqlite"].digest(), stores["postgresql"].digest()
    difference = first_difference(a, b, (stores["sqlite"], stores["postgresql"]))
    assert difference is not None
    assert difference.table == "proposals"  # the first table in digest order that differs
    assert difference.key == {"proposal_id": 4}
    assert difference.detail == "only in the first"
    reverse = first_difference(b, a, (stores["postgresql"], stores["sqlite"]))
    assert reverse is not None
    assert reverse.detail == "only in the second"


# ----------------------------------------------------------------------------- planning


def _key(table: str, columns: Mapping[str, Any]) -> tuple[str, Any]:
    return (table, columns["id"])


def _apply_one_by_one(changes: Sequence[RowChange]) -> dict[tuple[str, Any], dict[str, Any]]:
    """A model of the SQL: rows keyed by (table, id)."""
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for change in changes:
        if isinstance(change, Insert):
            assert _key(change.table, change.values) not in rows
            rows[_key(change.table, change.values)] = dict(change.values)
        elif isinstance(change, Upsert):
            rows.setdefault(_key(change.table, change.key), dict(change.key)).update(change.values)
        elif isinstance(change, Update):
            rows[_key(change.table, change.key)].update(change.values)
        else:
            row = rows[_key(change.table, change.key)]
            for name, amount in change.amounts.items():
                row[name] = row.get(name, 0) + amount
    return rows


def _identity(table: str) -> tuple[str, ...] | None:
    return None if table == "barrier" else ("id",)  # "barrier": every change keeps its place


def _apply_planned(changes: Sequence[RowChange]) -> dict[tuple[str, Any], dict[str, Any]]:
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for group in plan(coalesce(changes, _identity)):
        if group.shape[1] != "barrier":  # a set-based statement could run the group
            assert len({op.row for op in group.ops}) == len(group.ops)
        for op in group.ops:
            key = _key(op.table, op.key or op.values)
            if op.kind == "insert":
                assert key not in rows
                rows[key] = dict(op.values)
            elif op.kind == "upsert":
                rows.setdefault(key, dict(op.key)).update(op.values)
            else:
                row = rows[key]
                row.update(op.values)
                for name, amount in op.adds.items():
                    row[name] = row.get(name, 0) + amount
    return rows


@pytest.mark.parametrize("seed", range(25))
def test_planned_changes_end_where_one_by_one_changes_end(seed: int) -> None:
    rng = random.Random(seed)
    changes: list[RowChange] = []
    live: set[tuple[str, int]] = set()
    for _ in range(300):
        table = rng.choice(["t", "u", "barrier"])
        row = rng.randrange(8)
        roll = rng.random()
        if (table, row) not in live:
            kind = Insert(table, {"id": row, "a": 0}) if roll < 0.5 else None
            changes.append(kind or Upsert(table, {"id": row}, {"a": rng.randrange(100)}))
            live.add((table, row))
        elif roll < 0.15:
            changes.append(Upsert(table, {"id": row}, {"a": rng.randrange(100)}))
        elif roll < 0.55:
            changes.append(Update(table, {"id": row}, {rng.choice("ab"): rng.randrange(100)}))
        else:
            changes.append(Increment(table, {"id": row}, {rng.choice("ab"): rng.randrange(5)}))
    assert _apply_planned(changes) == _apply_one_by_one(changes)


def test_a_hot_row_costs_one_update_per_run() -> None:
    changes: list[RowChange] = [Upsert("t", {"id": 1}, {"a": 0})]
    for n in range(1000):
        changes.append(Update("t", {"id": 1}, {"seq": n}))
        changes.append(Increment("t", {"id": 1}, {"count": 1, "total": n}))
    groups = plan(coalesce(changes, _identity))
    assert [(group.shape[0], len(group.ops)) for group in groups] == [("upsert", 1), ("modify", 1)]
    (modify,) = groups[1].ops
    assert modify.values == {"seq": 999}
    assert modify.adds == {"count": 1000, "total": sum(range(1000))}
    assert modify.origins == list(range(1, 2001))
