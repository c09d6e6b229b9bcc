"""The public catalogue's reads: search, a listing's page, the member exchanges, disclosure.

Search
------
A query's words (:func:`node.store.search_terms.query_words`) must all match; a word matches
a listing whose current version holds every one of its terms (``listing_terms`` joined on
``listings.version``). Pages are keyset pages: each ends with its last row's sort key and the
next starts after it, so a page costs the same however deep it is. The orders, every one
total and the same whichever plan reads it:

- ``newest``: ``(block, listing_id)`` descending, ``block`` being the block of the listing's
  current version (a new version comes first again);
- ``price_asc`` / ``price_desc``: ``(price, listing_id)`` (no price: -1);
- ``relevance``: ``(tier, block, listing_id)`` descending, the tier being the weakest field
  that still holds every word of the query (3 title, 2 keywords or category, 1 description).

How each is read:

- with words, by relevance or newest: the *postings walk*. ``ix_listing_terms_term`` keeps a
  term's postings by (weight, block, listing) and each posting carries its version's block,
  so the postings of one term and one weight come out newest first. The walk reads those of
  the rarest term of the query's rarest word, one weight at a time, keeps the postings whose
  other terms are there (primary-key probes into ``listing_terms``), joins them to their
  listing (primary key) to keep the current versions that pass the filters, and stops after a
  page; the walks of each weight are merged. Relevance does this tier by tier, best first. A
  page costs about a page of postings when the words go together, and at most the rarest
  term's postings when they do not. A query of several words whose rarest term has few
  postings (:data:`ONE_PASS_POSTINGS`) is ranked in one pass over them instead (a walk per
  tier would read them up to three times).
- without words, newest: walk ``listing_versions`` by ``ix_listing_versions_block`` newest
  first, testing the filters on the version's row and probing the listing for its status;
- by price: walk ``listings`` by ``ix_listings_price`` testing the filters and words, or, when
  the rarest term has few postings (``c² ≤ k·N``: ``c`` its postings, ``k`` a page, ``N`` all
  listings, as a walk costs about ``k·N/c``), sort that term's listings.

On SQLite the filters are written so that they cannot pick an index of their own (its planner
has no statistics, and would sort an exchange's every listing to show a page of them); on
PostgreSQL each probe carries an ``OFFSET 0`` so that it stays a probe instead of becoming a
join over all the term's postings. Term counts (which term is rarest) are read from the term
index, never further than they matter, and remembered ten minutes: they steer the plan, never
the rows. Statements are built once per shape and kept.
"""

from __future__ import annotations

import heapq
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exc,
    false,
    func,
    literal,
    literal_column,
    not_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import False_

from node.store import schema
from node.store.database import read_connection
from node.store.schema_search import listing_price, listing_terms
from node.store.search_terms import Word
from onelist.codes import SuspensionScope

__all__ = [
    "FILTERS",
    "PAGE_STATEMENTS",
    "PUBLIC_EVENTS",
    "SORTS",
    "STATUSES",
    "TIERS",
    "Disclosure",
    "ListingPage",
    "Search",
    "SearchFilters",
    "SearchPage",
    "Source",
    "disclosure",
    "effective_sort",
    "exchanges",
    "listing_page",
    "listing_page_of_row",
    "public_data",
    "search",
    "sort_key_length",
    "suspension_ends",
]

_L = schema.listings
_T = listing_terms
_V = schema.listing_versions
_X = schema.exchanges

SORTS = ("relevance", "newest", "price_asc", "price_desc")
STATUSES = ("listed", "consent_withdrawn", "delisted", "suspended")
#: Events a listing's public page shows (a refused duplicate is the regulator's business).
PUBLIC_EVENTS = (
    "Listed",
    "VersionPublished",
    "Delisted",
    "ConsentWithdrawn",
    "LicenceGranted",
    "ExclusiveLicenceGranted",
    "LicenceRevoked",
    "LicenceTerminated",
    "Suspended",
    "Reinstated",
)
#: Most events a listing's page shows (the latest).
PAGE_EVENTS = 200
#: Relevance tiers, best first (node.store.search_terms: TITLE, KEYWORDS, DESCRIPTION).
TIERS = (3, 2, 1)
#: Counting a term's postings stops here (enough to tell rare from common).
COUNT_CAP = 5_000
#: Relevance ranks a query's every match at once when it has several words and the rarest has
#: at most this many postings (else it walks tier by tier: several words that seldom go together
#: would have it walk the rarest's postings once per tier).
ONE_PASS_POSTINGS = 2_000
#: Seconds a term count or the listing count is remembered (they only steer the plan).
ESTIMATE_TTL = 600.0
#: Asia/Shanghai, UTC+8 (no daylight saving since 1991).
SHANGHAI_OFFSET = 8 * 3600

#: The columns a search result shows.
_ITEM_COLUMNS = (
    _L.c.listing_id,
    _L.c.version,
    _L.c.title,
    _L.c.description,
    _L.c.keywords,
    _L.c.category,
    _L.c.product_form,
    _L.c.price_fen,
    _L.c.grade,
    _L.c.delivery_modes,
    _L.c.home_exchange,
    _L.c.status,
    _L.c.suspended_until,
    _L.c.licence_count,
    _L.c.revenue_fen,
    _L.c.listed_at,
    _L.c.updated_at,
    _L.c.exclusive_licence_id,
)

Row = dict[str, Any]


# ----------------------------------------------------------------------------- execution

#: Where a read runs: an engine (a read transaction of its own), or a connection already in a
#: transaction (node.api.readers keeps one per worker thread).
Source = Engine | Connection


@contextmanager
def _reading(source: Source) -> Iterator[Connection]:
    if isinstance(source, Connection):
        yield source
    else:
        with read_connection(source) as connection:
            yield connection


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters' order for a positional paramstyle
    defaults: dict[str, Any]  # values bound in the statement itself (literals, limits)


#: Each statement's SQL per dialect, kept as long as the statement is.
_compiled: weakref.WeakKeyDictionary[Any, dict[str, _Compiled | None]] = weakref.WeakKeyDictionary()
_compiled_lock = threading.Lock()


def _compile(statement: Any, dialect: Dialect) -> _Compiled | None:
    """``statement``'s SQL for ``dialect``; None when it cannot be run as plain SQL (a
    parameter SQLAlchemy expands at execution)."""
    with _compiled_lock:
        per_dialect = _compiled.setdefault(statement, {})
        if dialect.name in per_dialect:
            return per_dialect[dialect.name]
    compiled = statement.compile(dialect=dialect)
    sql = str(compiled)
    found = None
    if "POSTCOMPILE" not in sql and not compiled.literal_execute_params:
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _Compiled(sql, names, dict(compiled.params))
    with _compiled_lock:
        per_dialect[dialect.name] = found
    return found


def _fetch(connection: Connection, statement: Any, params: dict[str, Any]) -> list[Row]:
    """The rows of ``statement`` as dicts, run on the DBAPI cursor with SQL compiled once per
    statement and dialect. SQLAlchemy's work per execution (parameter and result processing)
    cost more than the reads themselves: a listing page took 490 µs through
    ``Connection.execute`` and 210 µs this way (SQLite, 100,000 listings). The catalogue's
    columns need no result processing but SQLite's booleans (0/1), which its callers read with
    ``bool()``."""
    compiled = _compile(statement, connection.dialect)
    if compiled is None:
        return [dict(row) for row in connection.execute(statement, params).mappings()]
    values = {**compiled.defaults, **params}
    args: Any = values if compiled.names is None else [values[n] for n in compiled.names]
    dialect = connection.dialect
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.sql, args)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy would raise it, so that read_connection maps it (503 when the
        # database is unreachable, else 500) instead of a bare driver error.
        gone = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
        raise exc.DBAPIError.instance(
            compiled.sql,
            args,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from error
    finally:
        cursor.close()


# ----------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Every filter given must hold. ``grade`` is a onelist.codes.Grade, ``delivery_mode`` a
    DeliveryMode bit, prices fen (inclusive), ``status`` one of :data:`STATUSES` (as shown:
    ``suspended`` while a regulator's suspension runs, else the listing's status)."""

    exchange: str | None = None
    province: int | None = None
    category: str | None = None
    grade: int | None = None
    product_form: str | None = None
    delivery_mode: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    status: str | None = None


#: The filters' names, as the API's parameters are named.
FILTERS = tuple(field.name for field in fields(SearchFilters))


@dataclass(frozen=True, slots=True)
class Search:
    """A page of a search: ``after`` is the sort key of the previous page's last row."""

    words: tuple[Word, ...] = ()
    filters: SearchFilters = SearchFilters()
    sort: str = "newest"
    after: tuple[Any, ...] | None = None
    limit: int = 20
    now: int = 0  # unix seconds: suspensions that end later are in force


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Rows (listing columns, ``block`` the current version's block, and ``tier`` under
    relevance) and the last row's sort key when more rows follow."""

    rows: list[Row]
    next_key: tuple[Any, ...] | None


def sort_key_length(sort: str, words: bool) -> int:
    """How many values a sort's key has."""
    return 3 if sort == "relevance" and words else 2


def effective_sort(sort: str, words: Sequence[Word]) -> str:
    """Relevance without words is newest first."""
    return "newest" if sort == "relevance" and not words else sort


# ----------------------------------------------------------------------------- estimates


class _Estimates:
    """Values that steer a plan (term counts, the number of listings), remembered for
    :data:`ESTIMATE_TTL` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[Any, ...], tuple[float, int]] = {}

    def get(self, key: tuple[Any, ...], compute: Callable[[], int]) -> int:
        now = time.monotonic()
        with self._lock:
            found = self._values.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = compute()
        with self._lock:
            if len(self._values) > 100_000:
                self._values.clear()
            self._values[key] = (now + ESTIMATE_TTL, value)
        return value


_estimates = _Estimates()
_LISTING_COUNT = select(func.count()).select_from(_L)
_POSTING_COUNT = select(func.count()).select_from(
    select(literal(1))
    .select_from(_T)
    .where(_T.c.term == bindparam("term"), _T.c.weight >= bindparam("weight"))
    .limit(COUNT_CAP)
    .subquery()
)


def _listing_count(connection: Connection) -> int:
    def count() -> int:
        return int(connection.execute(_LISTING_COUNT).scalar_one())

    return _estimates.get(("listings", str(connection.engine.url)), count)


def _postings(connection: Connection, term: str, weight: int) -> int:
    """How many versions hold ``term`` with at least ``weight`` (at most :data:`COUNT_CAP`)."""

    def count() -> int:
        params = {"term": term, "weight": weight}
        return int(connection.execute(_POSTING_COUNT, params).scalar_one())

    return _estimates.get(("term", str(connection.engine.url), term, weight), count)


def _rarest(connection: Connection, word: Word, weight: int) -> tuple[str, int]:
    """The word's term with the fewest postings of at least ``weight``, and how many: every
    listing the word matches is among them."""
    counted = [(_postings(connection, part, weight), part) for part in word.parts]
    count, term = min(counted)
    return term, count


@dataclass(frozen=True, slots=True)
class _Driver:
    """Where a plan starts: the query's rarest word (its index), that word's rarest term,
    and about how many postings it has (-1: not counted, the query being one term)."""

    word: int
    term: str
    count: int
    single: bool  # the word is that one term (its postings' weight is the word's weight)


def _driver(connection: Connection, words: Sequence[Word], weight: int) -> _Driver:
    """The query's rarest word and term in fields of at least ``weight``."""
    if len(words) == 1 and len(words[0].parts) == 1:
        return _Driver(0, words[0].parts[0], -1, True)
    counted = [(*_rarest(connection, word, weight), i) for i, word in enumerate(words)]
    term, count, i = min(counted, key=lambda found: found[1])
    return _Driver(i, term, count, len(words[i].parts) == 1)


# ----------------------------------------------------------------------------- statements
#
# A search's statements are built once per shape (which plan, which words have how many
# parts, which filters, whether a page key is given) with every value a bound parameter, and
# kept: building a statement costs more than running it. Parameter names: ``w<i>p<j>`` the
# terms of word i, ``drv`` the driving term, ``a<k>`` the page key, the filters by name,
# ``need`` the rows wanted.

#: Which listing version a condition tests: (listing id, version) columns.
Version = tuple[ColumnElement[str], ColumnElement[int]]
_CURRENT: Version = (_L.c.listing_id, _L.c.version)
_POSTING: Version = (_T.c.listing_id, _T.c.version)
#: ``listing_terms`` as the probes of :func:`_has` read it (one alias serves them all: each
#: probe is a subquery of its own).
_PROBE = _T.alias("probe")

#: A query's words as a statement sees them: per word, its number of terms.
WordsShape = tuple[int, ...]

_statements: dict[tuple[Any, ...], Any] = {}
_statements_lock = threading.Lock()


def _statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    found = _statements.get(key)
    if found is None:
        found = build()
        with _statements_lock:
            if len(_statements) > 5000:
                _statements.clear()
            _statements[key] = found
    return found


def _words_shape(words: Sequence[Word]) -> WordsShape:
    return tuple(len(word.parts) for word in words)


def _words_params(words: Sequence[Word]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, word in enumerate(words):
        for j, part in enumerate(word.parts):
            params[f"w{i}p{j}"] = part
    return params


def _has(name: str, weight: int, version: Version, fence: bool) -> ColumnElement[bool]:
    """The version holds the term in parameter ``name`` with at least ``weight``. With
    ``fence`` (PostgreSQL), an ``OFFSET 0`` keeps the planner from turning the probe into a
    join over every posting of the term (a walk wants a probe per row it reaches, so that it
    can stop after a page)."""
    t = _PROBE
    probe = select(literal(1)).where(
        t.c.listing_id == version[0],
        t.c.version == version[1],
        t.c.term == bindparam(name),
        t.c.weight >= weight,
    )
    return (probe.offset(0) if fence else probe).exists()


#: What a plan already knows of a one-term word it reads the postings of: (word index, the
#: weight of those postings: a number for a walk of one weight, else the postings' column).
Known = tuple[tuple[int, "int | ColumnElement[int]"], ...]


def _known(word: int | None, weight: ColumnElement[int]) -> Known:
    return () if word is None else ((word, weight),)


@dataclass(frozen=True, slots=True)
class _Words:
    """How a statement tests the query's words: their shape, the version tested, and what the
    plan already knows (:data:`Known`)."""

    shape: WordsShape
    version: Version
    fence: bool
    known: Known = ()

    def word(self, i: int, weight: int) -> ColumnElement[bool]:
        for index, known in self.known:
            if index == i:
                if isinstance(known, int):
                    return true() if known >= weight else false()
                return known >= weight
        v, f = self.version, self.fence
        return and_(*[_has(f"w{i}p{j}", weight, v, f) for j in range(self.shape[i])])

    def match(self, weight: int) -> ColumnElement[bool]:
        """Every word matches in a field of at least ``weight``."""
        return and_(*[self.word(i, weight) for i in range(len(self.shape))])

    def in_tier(self, tier: int) -> ColumnElement[bool]:
        """The listing's relevance tier is exactly ``tier``."""
        if tier == TIERS[0]:
            return self.match(tier)
        return and_(self.match(tier), not_(self.match(tier + 1)))

    def tier(self) -> ColumnElement[int]:
        """The relevance tier of a version every word matches."""
        whens = [(self.match(tier), literal(tier)) for tier in TIERS[:-1]]
        return case(*whens, else_=literal(TIERS[-1]))


def _plain(column: ColumnElement[Any], sqlite: bool) -> ColumnElement[Any]:
    """On SQLite, ``column`` written so that no index can serve a condition on it (the unary
    ``+`` of SQLite's documentation, spelt ``|| ''`` for text), so a walk keeps the index it
    walks; elsewhere the column as it is."""
    if not sqlite:
        return column
    return column.op("||")(literal(""))


#: The filters that test a listing version's catalogue and policy (the status is the other).
_VERSION_FILTERS = tuple(name for name in FILTERS if name != "status")


def _filters_shape(filters: SearchFilters) -> tuple[str, ...]:
    """The filters given (the status with its value: each status is its own condition)."""
    shape = [name for name in _VERSION_FILTERS if getattr(filters, name) is not None]
    if filters.status is not None:
        shape.append(f"status:{filters.status}")
    return tuple(shape)


def _filters_params(filters: SearchFilters, now: int) -> dict[str, Any]:
    params = {
        name: getattr(filters, name)
        for name in _VERSION_FILTERS
        if getattr(filters, name) is not None
    }
    if filters.status is not None:
        params["status"] = filters.status
        params["now"] = now
    return params


def _filters(
    shape: Sequence[str], sqlite: bool, version: Table | None = None
) -> list[ColumnElement[bool]]:
    """The filters' conditions. The catalogue and policy filters test ``version`` (a table
    with the listings' catalogue columns: ``listing_versions`` when a walk reads the current
    version's row anyway, so a listing is probed only when its version passes), the status
    filters the listing."""
    where: list[ColumnElement[bool]] = []
    v = (_L if version is None else version).c
    home = _plain(v.home_exchange, sqlite)
    for name in shape:
        if name == "exchange":
            where.append(home == bindparam("exchange"))
        elif name == "province":
            codes = select(_X.c.code).where(_X.c.province == bindparam("province"))
            where.append(home.in_(codes))
        elif name in ("category", "grade", "product_form"):
            where.append(v[name] == bindparam(name))
        elif name == "delivery_mode":
            where.append(v.delivery_modes.op("&")(bindparam("delivery_mode")) != 0)
        elif name == "price_min":
            where.append(v.price_fen >= bindparam("price_min"))
        elif name == "price_max":
            where.append(v.price_fen <= bindparam("price_max"))
        elif name == "status:suspended":
            where += [_L.c.status != "delisted", _L.c.suspended_until > bindparam("now")]
        elif name == "status:delisted":
            where.append(_L.c.status == bindparam("status"))
        else:  # listed, consent_withdrawn: and not suspended
            where += [_L.c.status == bindparam("status"), _L.c.suspended_until <= bindparam("now")]
    return where


def _after(columns: Sequence[ColumnElement[Any]], descending: bool) -> Any:
    """The row comes after the page key in parameters ``a0``, ``a1``, ..."""
    left = tuple_(*columns)
    right = tuple_(*[bindparam(f"a{i}") for i in range(len(columns))])
    return left < right if descending else left > right


def _after_params(key: Sequence[Any]) -> dict[str, Any]:
    return {f"a{i}": value for i, value in enumerate(key)}


def _ordered(columns: Sequence[ColumnElement[Any]], descending: bool) -> list[Any]:
    return [column.desc() if descending else column.asc() for column in columns]


def _unordered(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` as an expression no index serves (so a plan that found its rows by term
    sorts them instead of walking an index)."""
    return column + 0 if column.type.python_type is int else column.op("||")(literal(""))


def _driving_postings() -> Any:
    """The versions holding the driving term ``drv``, with their block and weight."""
    return (
        select(_T.c.listing_id, _T.c.version, _T.c.block, _T.c.weight)
        .where(_T.c.term == bindparam("drv"))
        .subquery("postings")
    )


def _newest_first(row: Row) -> tuple[int, str]:
    return row["block"], row["listing_id"]


# ----------------------------------------------------------------------------- search


class _Searcher:
    def __init__(self, connection: Connection, request: Search) -> None:
        self.connection = connection
        self.request = request
        self.sqlite = connection.dialect.name == "sqlite"
        self.fence = connection.dialect.name == "postgresql"
        self.sort = effective_sort(request.sort, request.words)
        self.words = request.words
        self.shape = _words_shape(request.words)
        self.filters = _filters_shape(request.filters)
        self.params = {
            **_words_params(request.words),
            **_filters_params(request.filters, request.now),
        }

    def run(self) -> SearchPage:
        request = self.request
        need = request.limit + 1
        if self.sort == "relevance":
            rows = self._relevance(need)
        elif self.sort == "newest":
            rows = self._newest(need)
        else:
            rows = self._by_price(need)
        more = len(rows) > request.limit
        rows = rows[: request.limit]
        key = self._key(rows[-1]) if more and rows else None
        return SearchPage(rows, key)

    def _key(self, row: Row) -> tuple[Any, ...]:
        if self.sort == "relevance":
            return row["tier"], row["block"], row["listing_id"]
        if self.sort == "newest":
            return row["block"], row["listing_id"]
        price = row["price_fen"]
        return -1 if price is None else price, row["listing_id"]

    def _rows(self, statement: Any, **params: Any) -> list[Row]:
        return _fetch(self.connection, statement, {**self.params, **params})

    def _where(self) -> list[ColumnElement[bool]]:
        return _filters(self.filters, self.sqlite)

    # ------------------------------------------------------------------------ orders

    def _relevance(self, need: int) -> list[Row]:
        """Several words with few postings: rank them all at once; else tier by tier, best
        first, each newest first (a cursor resumes inside its tier)."""
        after = self.request.after
        if len(self.words) > 1:
            driver = _driver(self.connection, self.words, 1)
            if driver.count <= ONE_PASS_POSTINGS:
                return self._ranked_postings(driver, need)
        rows: list[Row] = []
        for tier in TIERS:
            if after is not None and tier > after[0]:
                continue
            driver = _driver(self.connection, self.words, tier)
            if driver.count == 0:
                continue
            resume = after[1:] if after is not None and tier == after[0] else None
            weights = [weight for weight in TIERS if weight >= tier]
            found = self._walk_postings(driver, weights, tier, resume, need - len(rows))
            rows += [{**row, "tier": tier} for row in found]
            if len(rows) >= need:
                break
        return rows

    def _newest(self, need: int) -> list[Row]:
        after = self.request.after
        if self.words:
            driver = _driver(self.connection, self.words, 1)
            return self._walk_postings(driver, TIERS, None, after, need)

        def build() -> Any:
            current = and_(_V.c.listing_id == _L.c.listing_id, _V.c.version == _L.c.version)
            where = _filters(self.filters, self.sqlite, _V)
            if after is not None:
                where.append(_after([_V.c.block_number, _V.c.listing_id], True))
            return (
                select(*_ITEM_COLUMNS, _V.c.block_number.label("block"))
                .select_from(_V.join(_L, current))
                .where(*where)
                .order_by(_V.c.block_number.desc(), _V.c.listing_id.desc())
                .limit(bindparam("need"))
            )

        key = ("versions", self.sqlite, self.filters, after is not None)
        return self._rows(_statement(key, build), need=need, **_after_params(after or ()))

    def _by_price(self, need: int) -> list[Row]:
        descending = self.sort == "price_desc"
        after = self.request.after
        if self.words:
            driver = _driver(self.connection, self.words, 1)
            count = driver.count
            if count < 0:
                count = _postings(self.connection, driver.term, 1)
            if count < COUNT_CAP and count * count <= need * _listing_count(self.connection):
                return self._sorted_postings(driver, descending, need)

        def build() -> Any:
            columns = [listing_price, _L.c.listing_id]
            where = self._where()
            if after is not None:
                where.append(_after(columns, descending))
            if self.words:
                where.append(_Words(self.shape, _CURRENT, self.fence).match(1))
            return (
                select(*_ITEM_COLUMNS)
                .where(*where)
                .order_by(*_ordered(columns, descending))
                .limit(bindparam("need"))
            )

        key = ("price", self.sqlite, descending, self.shape, self.filters, after is not None)
        return self._rows(_statement(key, build), need=need, **_after_params(after or ()))

    # ------------------------------------------------------------------------ plans

    def _walk_postings(
        self,
        driver: _Driver,
        weights: Sequence[int],
        tier: int | None,
        after: Sequence[Any] | None,
        need: int,
    ) -> list[Row]:
        """The newest ``need`` listings (current versions) among the postings of the
        driving term with one of ``weights`` that pass the filters and are in ``tier`` (None:
        that match): one walk per weight, merged."""
        found: list[Row] = []
        for weight in weights:
            known = ((driver.word, weight),) if driver.single else ()
            words = _Words(self.shape, _POSTING, self.fence, known)
            test = words.match(1) if tier is None else words.in_tier(tier)
            if isinstance(test, False_):
                continue  # the walk's own weight rules the tier out

            def build(weight: int = weight, test: ColumnElement[bool] = test) -> Any:
                current = and_(_L.c.listing_id == _T.c.listing_id, _L.c.version == _T.c.version)
                where = [_T.c.term == bindparam("drv"), _T.c.weight == weight, test]
                if after is not None:
                    where.append(_after([_T.c.block, _T.c.listing_id], True))
                return (
                    select(*_ITEM_COLUMNS, _T.c.block)
                    .select_from(_T.join(_L, current))
                    .where(*where, *self._where())
                    .order_by(_T.c.block.desc(), _T.c.listing_id.desc())
                    .limit(bindparam("need"))
                )

            key = (
                "walk",
                self.sqlite,
                weight,
                tier,
                known,
                self.shape,
                self.filters,
                after is not None,
            )
            params = _after_params(after or ())
            found += self._rows(_statement(key, build), drv=driver.term, need=need, **params)
        return heapq.nlargest(need, found, key=_newest_first)

    def _ranked_postings(self, driver: _Driver, need: int) -> list[Row]:
        """Every listing among the driving term's postings that the query matches, with its
        tier, in relevance order."""
        after = self.request.after
        known = driver.word if driver.single else None

        def build() -> Any:
            postings = _driving_postings()
            version: Version = (postings.c.listing_id, postings.c.version)
            current = and_(_L.c.listing_id == version[0], _L.c.version == version[1])
            words = _Words(self.shape, version, self.fence, _known(known, postings.c.weight))
            tier = words.tier().label("tier")
            ranked = (
                select(*_ITEM_COLUMNS, postings.c.block, tier)
                .select_from(postings.join(_L, current))
                .where(*self._where(), words.match(1))
                .subquery("ranked")
            )
            key = [ranked.c.tier, ranked.c.block, ranked.c.listing_id]
            return (
                select(ranked)
                .where(*([] if after is None else [_after(key, True)]))
                .order_by(*_ordered(key, True))
                .limit(bindparam("need"))
            )

        key = ("ranked", self.sqlite, known, self.shape, self.filters, after is not None)
        params = _after_params(after or ())
        return self._rows(_statement(key, build), drv=driver.term, need=need, **params)

    def _sorted_postings(self, driver: _Driver, descending: bool, need: int) -> list[Row]:
        """Every listing among the driving term's postings that the query matches and that
        passes the filters, by price."""
        after = self.request.after
        known = driver.word if driver.single else None

        def build() -> Any:
            postings = _driving_postings()
            version: Version = (postings.c.listing_id, postings.c.version)
            current = and_(_L.c.listing_id == version[0], _L.c.version == version[1])
            columns = [listing_price, _L.c.listing_id]
            words = _Words(self.shape, version, self.fence, _known(known, postings.c.weight))
            where = [*self._where(), words.match(1)]
            if after is not None:
                where.append(_after(columns, descending))
            order = [_unordered(column) if self.sqlite else column for column in columns]
            return (
                select(*_ITEM_COLUMNS)
                .select_from(postings.join(_L, current))
                .where(*where)
                .order_by(*_ordered(order, descending))
                .limit(bindparam("need"))
            )

        key = (
            "sorted",
            self.sqlite,
            descending,
            known,
            self.shape,
            self.filters,
            after is not None,
        )
        params = _after_params(after or ())
        return self._rows(_statement(key, build), drv=driver.term, need=need, **params)


def search(source: Source, request: Search) -> SearchPage:
    """A page of listings matching ``request``, in its order; each row with the end of its
    active exclusive licence (``exclusive_end``, None without one)."""
    with _reading(source) as connection:
        page = _Searcher(connection, request).run()
        _add_exclusive_ends(connection, page.rows)
        return page


def _add_exclusive_ends(connection: Connection, rows: list[Row]) -> None:
    """Kept apart from the search's own statements, whose plans are tuned: a page's few
    listings under an exclusive licence cost one primary-key read, a page without any none."""
    ids = sorted({row["exclusive_licence_id"] for row in rows if row["exclusive_licence_id"]})
    ends: dict[str, int] = {}
    if ids:
        found = connection.execute(
            select(_EXCLUSIVE.c.licence_id, _EXCLUSIVE.c.end).where(
                _EXCLUSIVE.c.licence_id.in_(ids), _EXCLUSIVE.c.status == "active"
            )
        )
        ends = {licence_id: int(end) for licence_id, end in found}
    for row in rows:
        row["exclusive_end"] = ends.get(row["exclusive_licence_id"])


# ----------------------------------------------------------------------------- a listing


@dataclass(frozen=True, slots=True)
class ListingPage:
    """A listing's row, its versions (oldest first) and its latest public events (in chain
    order), or None for an unknown listing."""

    listing: dict[str, Any]
    versions: list[dict[str, Any]]
    events: list[dict[str, Any]]
    events_total: int


_VERSION_COLUMNS = (
    schema.listing_versions.c.version,
    schema.listing_versions.c.home_exchange,
    schema.listing_versions.c.manifest_hash,
    schema.listing_versions.c.fingerprint,
    schema.listing_versions.c.title,
    schema.listing_versions.c.category,
    schema.listing_versions.c.price_fen,
    schema.listing_versions.c.grade,
    schema.listing_versions.c.block_number,
    schema.listing_versions.c.block_time,
    schema.listing_versions.c.tx_hash,
)

_E = schema.events
_EVENT_COLUMNS = (
    _E.c.name,
    _E.c.contract,
    _E.c.block_number,
    _E.c.block_time,
    _E.c.tx_hash,
    _E.c.log_index,
    _E.c.seq,
    _E.c.acting_exchange,
    _E.c.acting_regulator,
    _E.c.args,
)


# A listing's page is read by these statements, built once (building one costs more than
# running it).
_ID: Any = bindparam("listing_id")
_PUBLIC = and_(_E.c.listing_id == _ID, _E.c.name.in_([literal(name) for name in PUBLIC_EVENTS]))
# The listing's latest exclusive licence beside its row (a primary-key join; NULLs when it has
# none): what the public sees of it, never the licensee.
_EXCLUSIVE = schema.licences
_EXCLUSIVE_COLUMNS = (
    _EXCLUSIVE.c.status.label("exclusive_status"),
    _EXCLUSIVE.c.start.label("exclusive_start"),
    _EXCLUSIVE.c.end.label("exclusive_end"),
    _EXCLUSIVE.c.granting_exchange.label("exclusive_granting_exchange"),
    _EXCLUSIVE.c.approval_ref.label("exclusive_approval_ref"),
    _EXCLUSIVE.c.auction_ref.label("exclusive_auction_ref"),
)
_WITH_EXCLUSIVE = _L.outerjoin(_EXCLUSIVE, _EXCLUSIVE.c.licence_id == _L.c.exclusive_licence_id)
_PAGE_LISTING = (
    select(_L, *_EXCLUSIVE_COLUMNS).select_from(_WITH_EXCLUSIVE).where(_L.c.listing_id == _ID)
)
_PAGE_VERSIONS = select(*_VERSION_COLUMNS).where(_V.c.listing_id == _ID).order_by(_V.c.version)
_PAGE_EVENTS = (
    select(*_EVENT_COLUMNS)
    .where(_PUBLIC)
    .order_by(_E.c.block_number.desc(), _E.c.log_index.desc())
    .limit(PAGE_EVENTS + 1)
)
_PAGE_EVENT_COUNT = select(func.count()).select_from(_E).where(_PUBLIC)


def listing_page(source: Source, listing_id: str) -> ListingPage | None:
    """What a listing's public page shows (see :class:`ListingPage`)."""
    key = {"listing_id": listing_id}
    with _reading(source) as connection:
        found = _fetch(connection, _PAGE_LISTING, key)
        if not found:
            return None
        history = _fetch(connection, _PAGE_VERSIONS, key)
        events = _fetch(connection, _PAGE_EVENTS, key)
        total = len(events)
        if total > PAGE_EVENTS:
            events = events[:PAGE_EVENTS]
            total = connection.execute(_PAGE_EVENT_COUNT, key).scalar_one()
        return ListingPage(found[0], history, events[::-1], total)


# PostgreSQL answers a listing's page in one statement (node.store.async_reads runs it on the
# event loop): the listing's row with its versions and latest public events as JSON arrays, so
# that a page is one round trip instead of a transaction of four.
_VERSION_NAMES = tuple(column.name for column in _VERSION_COLUMNS)
_EVENT_NAMES = tuple(column.name for column in _EVENT_COLUMNS)
_RECENT = _PAGE_EVENTS.subquery("recent")
_EMPTY_JSON: ColumnElement[Any] = literal_column("'[]'::json")
_PAGE_IN_ONE = (
    select(
        _L,
        *_EXCLUSIVE_COLUMNS,
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(func.json_build_array(*_VERSION_COLUMNS), _V.c.version)
                ),
                _EMPTY_JSON,
            )
        )
        .where(_V.c.listing_id == _ID)
        .scalar_subquery()
        .label("page_versions"),
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        func.json_build_array(*_RECENT.c),
                        _RECENT.c.block_number,
                        _RECENT.c.log_index,
                    )
                ),
                _EMPTY_JSON,
            )
        )
        .scalar_subquery()
        .label("page_events"),
    )
    .select_from(_WITH_EXCLUSIVE)
    .where(_L.c.listing_id == _ID)
)
_EXCHANGES = select(
    _X.c.code,
    _X.c.idx,
    _X.c.name,
    _X.c.province,
    _X.c.status,
    _X.c.granting_suspended_until,
).order_by(_X.c.idx)
#: The statements a PostgreSQL reader runs for a listing's page: the page, the count of its
#: public events when there are more than it shows, and the exchanges (their names).
PAGE_STATEMENTS = {"page": _PAGE_IN_ONE, "event_count": _PAGE_EVENT_COUNT, "exchanges": _EXCHANGES}


def listing_page_of_row(row: Mapping[str, Any]) -> ListingPage:
    """The page :data:`PAGE_STATEMENTS`' page statement read (its row as a mapping): versions
    and events come as JSON arrays in column order, the events in chain order. ``events_total``
    is how many it holds; past :data:`PAGE_EVENTS` the caller counts them."""
    listing = dict(row)
    versions = orjson.loads(listing.pop("page_versions"))
    events = orjson.loads(listing.pop("page_events"))
    return ListingPage(
        listing,
        [dict(zip(_VERSION_NAMES, values, strict=True)) for values in versions],
        [dict(zip(_EVENT_NAMES, values, strict=True)) for values in events[-PAGE_EVENTS:]],
        len(events),
    )


# Which of several listings are public data (an open class), in one statement whatever their
# number (the review desk's queue asks it of a page's pending requests).
_PUBLIC_DATA = select(_L.c.listing_id).where(
    _L.c.listing_id.in_(bindparam("listing_ids", expanding=True)), _L.c.open_class != 0
)


def public_data(source: Source, listing_ids: Iterable[str]) -> set[str]:
    """Which of ``listing_ids`` (0x-prefixed lower-case hex) are indexed listings of public
    data (an open class); a listing not indexed is not. One primary-key read for them all."""
    wanted = sorted(set(listing_ids))
    if not wanted:
        return set()
    with _reading(source) as connection:
        rows = _fetch(connection, _PUBLIC_DATA, {"listing_ids": wanted})
    return {str(row["listing_id"]) for row in rows}


_S = schema.suspensions
_ENDS = union(
    select(_S.c.until).where(
        _S.c.scope == int(SuspensionScope.listing),
        _S.c.action == "suspend",
        _S.c.until > 0,
        _S.c.until < schema.INDEFINITE,
    ),
    select(_EXCLUSIVE.c.end).where(_EXCLUSIVE.c.exclusive, _EXCLUSIVE.c.status == "active"),
).subquery("ends")
_SUSPENSION_ENDS = select(_ENDS.c.until).order_by(_ENDS.c.until)


def suspension_ends(source: Source) -> list[int]:
    """Every moment a listing's suspension was set to end, and every end of an active
    exclusive licence (sorted, past ones too): the only moments the catalogue's answers change
    without a new block (a listing shows suspended while ``now < suspended_until``, and under
    an exclusive licence while ``now < end``, and each such value came from one of these)."""
    with _reading(source) as connection:
        return [int(until) for until in connection.execute(_SUSPENSION_ENDS).scalars()]


def exchanges(source: Source) -> list[dict[str, Any]]:
    """The member exchanges, present and past, in the order they were admitted."""
    with _reading(source) as connection:
        return [dict(row) for row in connection.execute(_EXCHANGES).mappings()]


# ----------------------------------------------------------------------------- disclosure


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Aggregates of licences granted in a period (and listings listed in it): no party is
    named. ``days`` holds (day number in Asia/Shanghai since 1970-01-01, licences, fen)."""

    licences: int
    revenue_fen: int
    listings: int
    by_listing: list[dict[str, Any]]
    by_home_exchange: list[dict[str, Any]]
    by_granting_exchange: list[dict[str, Any]]
    days: list[tuple[int, int, int]]
    by_grade: list[dict[str, Any]]
    by_source: list[dict[str, Any]]
    #: Exclusive licences of public data granted in the period (DOMAIN: public disclosure): the
    #: listing, granting exchange, term, status, price and the approval and auction references;
    #: never the licensee.
    exclusive: list[dict[str, Any]]


_Li = schema.licences
_ZERO_HASH = "0x" + "00" * 32


def _source() -> ColumnElement[str]:
    """Where a listing's data comes from, as far as the chain says: public data under an
    authorised-operation agreement, other public data, or not public data (self-produced,
    purchased or collected: the manifest says which, the chain does not)."""
    return case(
        (_L.c.authorisation_id != _ZERO_HASH, "public_data_authorised"),
        (_L.c.open_class != 0, "public_data"),
        else_="not_public",
    )


def disclosure(
    engine: Engine, start: int | None, end: int | None, listings_limit: int
) -> Disclosure:
    """Licences granted (and listings listed) in ``[start, end)`` (unix seconds; None: open),
    summed per listing (the ``listings_limit`` with the most revenue), per home and granting
    exchange, per day, per grade and per data source."""

    def within(column: ColumnElement[int]) -> ColumnElement[bool]:
        bounds: list[ColumnElement[bool]] = [true()]
        if start is not None:
            bounds.append(column >= start)
        if end is not None:
            bounds.append(column < end)
        return and_(*bounds)

    granted = within(_Li.c.granted_at)
    listed = within(_L.c.listed_at)
    count, fen = func.count(_Li.c.licence_id), func.coalesce(func.sum(_Li.c.price_fen), 0)
    with_listing = _Li.join(_L, _L.c.listing_id == _Li.c.listing_id)
    with read_connection(engine) as connection:

        def grouped(statement: Select[Any]) -> list[dict[str, Any]]:
            return [dict(row) for row in connection.execute(statement).mappings()]

        licences, revenue = connection.execute(select(count, fen).where(granted)).one()
        listing_count = connection.execute(
            select(func.count()).select_from(_L).where(listed)
        ).scalar_one()
        per_listing = (
            select(_Li.c.listing_id, count.label("licences"), fen.label("revenue_fen"))
            .where(granted)
            .group_by(_Li.c.listing_id)
            .subquery()
        )
        by_listing = grouped(
            select(
                per_listing.c.listing_id,
                _L.c.title,
                _L.c.home_exchange,
                per_listing.c.licences,
                per_listing.c.revenue_fen,
            )
            .select_from(per_listing.join(_L, _L.c.listing_id == per_listing.c.listing_id))
            .order_by(per_listing.c.revenue_fen.desc(), per_listing.c.listing_id)
            .limit(listings_limit)
        )
        by_home = grouped(
            select(
                _L.c.home_exchange.label("exchange"),
                count.label("licences"),
                fen.label("revenue_fen"),
                func.coalesce(func.sum(_Li.c.home_fen), 0).label("share_fen"),
            )
            .select_from(with_listing)
            .where(granted)
            .group_by(_L.c.home_exchange)
            .order_by(_L.c.home_exchange)
        )
        by_granting = grouped(
            select(
                _Li.c.granting_exchange.label("exchange"),
                count.label("licences"),
                fen.label("revenue_fen"),
                func.coalesce(func.sum(_Li.c.granting_fen), 0).label("share_fen"),
            )
            .where(granted)
            .group_by(_Li.c.granting_exchange)
            .order_by(_Li.c.granting_exchange)
        )
        day = ((_Li.c.granted_at + SHANGHAI_OFFSET) // 86400).label("day")
        days = [
            (int(d), int(n), int(f))
            for d, n, f in connection.execute(
                select(day, count, fen).where(granted).group_by(day).order_by(day)
            )
        ]
        by_grade = _by_class(connection, _L.c.grade, "grade", listed, granted)
        by_source = _by_class(connection, _source(), "source", listed, granted)
        exclusive = grouped(
            select(
                _Li.c.listing_id,
                _L.c.title,
                _L.c.home_exchange,
                _Li.c.granting_exchange,
                _Li.c.start,
                _Li.c.end,
                _Li.c.status,
                _Li.c.price_fen,
                _Li.c.approval_ref,
                _Li.c.auction_ref,
                _Li.c.granted_at,
            )
            .select_from(with_listing)
            .where(granted, _Li.c.exclusive)
            .order_by(_Li.c.granted_at, _Li.c.licence_id)
            .limit(listings_limit)
        )
    return Disclosure(
        licences=int(licences),
        revenue_fen=int(revenue),
        listings=int(listing_count),
        by_listing=by_listing,
        by_home_exchange=by_home,
        by_granting_exchange=by_granting,
        days=days,
        by_grade=by_grade,
        by_source=by_source,
        exclusive=exclusive,
    )


def _by_class(
    connection: Connection,
    key: ColumnElement[Any],
    name: str,
    listed: ColumnElement[bool],
    granted: ColumnElement[bool],
) -> list[dict[str, Any]]:
    """Listings listed and licences granted in the period, per value of ``key`` (a listing
    column or expression)."""
    listings_by = {
        value: n
        for value, n in connection.execute(
            select(key, func.count()).select_from(_L).where(listed).group_by(key)
        )
    }
    licences_by = {
        value: (n, f)
        for value, n, f in connection.execute(
            select(key, func.count(_Li.c.licence_id), func.coalesce(func.sum(_Li.c.price_fen), 0))
            .select_from(_Li.join(_L, _L.c.listing_id == _Li.c.listing_id))
            .where(granted)
            .group_by(key)
        )
    }
    out = []
    for value in sorted(set(listings_by) | set(licences_by), key=str):
        n, f = licences_by.get(value, (0, 0))
        out.append(
            {name: value, "listings": listings_by.get(value, 0), "licences": n, "revenue_fen": f}
        )
    return out
