"""The public catalogue, with no sign-in: what anyone may read of the consortium.

- ``GET /listings``: search by keywords (Chinese too) and filters, sorted, in cursor pages;
- ``GET /listings/{listing_id}``: a listing's page: catalogue, classification, personal-info
  status, usage envelope, status, version history and public events;
- ``GET /exchanges``: the member exchanges;
- ``GET /disclosure``: licences and revenue per listing, exchange and month, listings and
  licences per grade and data source, and the exclusive licences of public data granted.

Never a counterparty: no licensee, no provider account, no settlement reference, no acting
account at all. A listing's events keep the exchange (or regulator) that acted, and of each
kind of event only the arguments :data:`PUBLIC_ARGS` names.

Parameters are checked here (a bad one is a 400 naming it in ``field``); the queries live in
:mod:`node.store.queries_catalogue` and run in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hashlib
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import IntEnum, IntFlag
from typing import Any, TypeVar

import orjson
from aiohttp import web
from multidict import MultiMapping
from sqlalchemy import Connection, Engine, exc

from node.api.cache import Answers, Epoch, epoch_of
from node.api.errors import BadRequest, NotFound
from node.api.keys import ANSWERS, CONFIG, INDEXER, STORE
from node.api.readers import Readers
from node.store import queries_catalogue as queries
from node.store.async_reads import PostgresPages
from node.store.database import database_error
from node.store.queries_catalogue import (
    SORTS,
    STATUSES,
    Disclosure,
    ListingPage,
    Search,
    SearchFilters,
)
from node.store.schema import INDEFINITE
from node.store.search_terms import QueryError, Word, query_words
from onelist.codes import (
    DeliveryMode,
    Grade,
    OnwardTransfer,
    OpenClass,
    PersonalInfo,
    PIFlag,
    ProductForm,
    Purpose,
    Territory,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PUBLIC_ARGS",
    "DisclosureRequest",
    "add_routes",
    "check_listing_id",
    "decode_cursor",
    "disclosure_request",
    "disclosure_result",
    "encode_cursor",
    "listing_result",
    "public_event",
    "search_request",
    "search_result",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: Most listings the disclosure names (those with the most revenue), and the default.
DISCLOSURE_MAX_LISTINGS = 1000
DISCLOSURE_LISTINGS = 100
#: Characters of a description a search result shows.
SUMMARY_CHARS = 140
MAX_QUERY_CHARS = 100
#: Seconds the exchanges' names and provinces are kept for rendering results.
EXCHANGES_TTL = 5.0

T = TypeVar("T")

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_INT64 = 2**63 - 1
_ZERO_HASH = "0x" + "00" * 32
_LISTING_ID = re.compile(r"0x[0-9a-fA-F]{64}")
_EXCHANGE = re.compile(r"[A-Z0-9]{1,8}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")

SEARCH_PARAMETERS = ("q", *queries.FILTERS, "sort", "cursor", "limit")
_GRADES = {"general": Grade.general, "important": Grade.important}
_FORMS = tuple(form.name for form in ProductForm)
_MODES = {str(mode.name): int(mode) for mode in DeliveryMode}


# ----------------------------------------------------------------------------- parameters


def _single(query: MultiMapping[str], name: str) -> str | None:
    values = query.getall(name, [])
    if len(values) > 1:
        raise BadRequest(f"{name} is given {len(values)} times", field=name)
    return values[0] if values else None


def _known(query: MultiMapping[str], known: tuple[str, ...]) -> None:
    for name in query:
        if name not in known:
            takes = f"known: {', '.join(known)}" if known else "this path takes none"
            raise BadRequest(f"unknown parameter ({takes})", field=name)


def _integer(value: str | None, name: str, low: int = 0, high: int = _INT64) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}", field=name)
    number = int(value)
    if not low <= number <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}", field=name)
    return number


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str | None:
    if value is not None and value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}", field=name)
    return value


def _text(value: str | None, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not value or len(value) > limit:
        raise BadRequest(f"{name} must have 1 to {limit} characters", field=name)
    return value


def _fingerprint(words: tuple[Word, ...], filters: SearchFilters, sort: str) -> str:
    """What a cursor belongs to: a page's cursor is refused for another search."""
    text = repr((words, filters, sort)).encode()
    return hashlib.sha256(text).hexdigest()[:12]


def encode_cursor(key: tuple[Any, ...], fingerprint: str) -> str:
    """An opaque cursor: the last row's sort key and the search it belongs to."""
    raw = orjson.dumps([fingerprint, *key])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str, length: int) -> tuple[Any, ...]:
    """The sort key in ``cursor``; raises :class:`BadRequest` (field ``cursor``) for a cursor
    that is not one of ours or belongs to another search."""
    bad = BadRequest("not a cursor of this search", field="cursor")
    if len(cursor) > 400:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(value, list) or len(value) != length + 1 or value[0] != fingerprint:
        raise bad
    key = tuple(value[1:])
    *numbers, listing_id = key
    if not all(type(n) is int and -1 <= n <= _INT64 for n in numbers):
        raise bad
    if not isinstance(listing_id, str) or not _LISTING_ID.fullmatch(listing_id):
        raise bad
    return key


def search_request(query: MultiMapping[str], now: int) -> tuple[Search, str]:
    """The search the parameters ask for, and its fingerprint (for cursors); raises
    :class:`BadRequest` naming the first bad parameter."""
    _known(query, SEARCH_PARAMETERS)
    get = {name: _single(query, name) for name in SEARCH_PARAMETERS}
    q = get["q"]
    words: tuple[Word, ...] = ()
    if q is not None and q.strip():
        if len(q) > MAX_QUERY_CHARS:
            raise BadRequest(f"q has more than {MAX_QUERY_CHARS} characters", field="q")
        try:
            words = query_words(q)
        except QueryError as exc:
            raise BadRequest(str(exc), field="q") from None
    exchange = get["exchange"]
    if exchange is not None and not _EXCHANGE.fullmatch(exchange):
        raise BadRequest("exchange must be an exchange code such as SH", field="exchange")
    grade = _choice(get["grade"], "grade", tuple(_GRADES))
    mode = _choice(get["delivery_mode"], "delivery_mode", tuple(_MODES))
    price_min = _integer(get["price_min"], "price_min")
    price_max = _integer(get["price_max"], "price_max")
    if price_min is not None and price_max is not None and price_max < price_min:
        raise BadRequest("price_max is below price_min", field="price_max")
    filters = SearchFilters(
        exchange=exchange,
        province=_integer(get["province"], "province", 100000, 999999),
        category=_text(get["category"], "category", 50),
        grade=None if grade is None else int(_GRADES[grade]),
        product_form=_choice(get["product_form"], "product_form", _FORMS),
        delivery_mode=None if mode is None else _MODES[mode],
        price_min=price_min,
        price_max=price_max,
        status=_choice(get["status"], "status", STATUSES),
    )
    sort = _choice(get["sort"], "sort", SORTS) or ("relevance" if words else "newest")
    sort = queries.effective_sort(sort, words)
    limit = _integer(get["limit"], "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT
    fingerprint = _fingerprint(words, filters, sort)
    after = None
    cursor = get["cursor"]
    if cursor is not None:
        after = decode_cursor(cursor, fingerprint, queries.sort_key_length(sort, bool(words)))
        if sort == "relevance" and after[0] not in queries.TIERS:
            raise BadRequest("not a cursor of this search", field="cursor")
    search = Search(words, filters, sort, after, limit, now)
    return search, fingerprint


def check_listing_id(value: str) -> str:
    """``value`` as a listing id in lower case; raises :class:`BadRequest` otherwise."""
    if not _LISTING_ID.fullmatch(value):
        raise BadRequest("a listing id is 0x and 64 hex digits", field="listing_id")
    return value.lower()


@dataclass(frozen=True)
class DisclosureRequest:
    """The months (first days, Shanghai time) and how many listings a disclosure asks for."""

    start: date | None
    end: date | None
    listings: int


def disclosure_request(query: MultiMapping[str]) -> DisclosureRequest:
    """The disclosure the parameters ask for; raises :class:`BadRequest` naming the first bad
    parameter."""
    _known(query, ("from", "to", "listings"))
    start = _month(_single(query, "from"), "from")
    end = _month(_single(query, "to"), "to")
    if start is not None and end is not None and end < start:
        raise BadRequest("to is before from", field="to")
    limit = _integer(_single(query, "listings"), "listings", 0, DISCLOSURE_MAX_LISTINGS)
    return DisclosureRequest(start, end, DISCLOSURE_LISTINGS if limit is None else limit)


def _month(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    match = _MONTH.fullmatch(value)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
        raise BadRequest(f"{name} must be a month, YYYY-MM", field=name)
    return date(int(match[1]), int(match[2]), 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_start(month: date) -> int:
    return int(datetime(month.year, month.month, 1, tzinfo=SHANGHAI).timestamp())


# ----------------------------------------------------------------------------- rendering


# Enum names are looked up for every field of every result: remembered per value (an enum's
# call and iteration cost more than the rest of a search result's rendering).
@functools.lru_cache(maxsize=4096)
def _name(enum: type[IntEnum], value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return enum(value).name
    except ValueError:
        return f"unknown_{value}"


@functools.lru_cache(maxsize=4096)
def _flag_names(enum: type[IntFlag], value: int) -> tuple[str, ...]:
    return tuple(str(flag.name) for flag in enum if flag.value & value)


def _flags(enum: type[IntFlag], value: int) -> list[str]:
    return list(_flag_names(enum, value))


def _hash_or_none(value: str) -> str | None:
    return None if value == _ZERO_HASH else value


def _keywords(text: str | None) -> list[str]:
    try:
        value = orjson.loads(text) if text else []
    except ValueError:
        return []
    return [k for k in value if isinstance(k, str)] if isinstance(value, list) else []


def _summary(description: str | None) -> str | None:
    if description is None or len(description) <= SUMMARY_CHARS:
        return description
    return description[:SUMMARY_CHARS] + "…"


def _status(row: Mapping[str, Any], now: int) -> str:
    """As the public sees it: a regulator's suspension in force shows as ``suspended``."""
    status = str(row["status"])
    if status != "delisted" and row["suspended_until"] > now:
        return "suspended"
    return status


def _suspended_until(row: Mapping[str, Any], now: int) -> int | None:
    until = int(row["suspended_until"])
    return until if now < until < INDEFINITE else None


class _Exchanges:
    """The member exchanges by code, re-read every :data:`EXCHANGES_TTL` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_engine: dict[int, tuple[float, dict[str, dict[str, Any]]]] = {}

    def get(self, source: queries.Source) -> dict[str, dict[str, Any]]:
        engine = source.engine if isinstance(source, Connection) else source
        found = self.kept(engine)
        return found if found is not None else self.keep(engine, queries.exchanges(source))

    def kept(self, engine: Engine) -> dict[str, dict[str, Any]] | None:
        """The exchanges read less than :data:`EXCHANGES_TTL` ago, if any."""
        with self._lock:
            found = self._by_engine.get(id(engine))
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def keep(self, engine: Engine, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Keep the exchanges just read (``queries.exchanges``' rows) for the next reads."""
        by_code = {row["code"]: row for row in rows}
        with self._lock:
            self._by_engine[id(engine)] = (time.monotonic() + EXCHANGES_TTL, by_code)
        return by_code


_exchanges = _Exchanges()


def _granting(mask_text: str, exchanges: Mapping[str, Mapping[str, Any]]) -> str | list[str]:
    """The exchanges that may grant: ``"all"``, or their codes (a bit per consortium index)."""
    mask = int(mask_text)
    if mask == 0:
        return "all"
    by_index = {int(row["idx"]): code for code, row in exchanges.items()}
    return [by_index.get(i, f"#{i}") for i in range(mask.bit_length()) if mask >> i & 1]


def search_item(
    row: Mapping[str, Any], exchanges: Mapping[str, Mapping[str, Any]], now: int
) -> dict[str, Any]:
    """A search result: the catalogue entry and what a list shows of the listing."""
    home = exchanges.get(row["home_exchange"])
    item = {
        "listing_id": row["listing_id"],
        "version": row["version"],
        "title": row["title"],
        "summary": _summary(row["description"]),
        "keywords": _keywords(row["keywords"]),
        "category": row["category"],
        "product_form": row["product_form"],
        "price_fen": row["price_fen"],
        "grade": _name(Grade, row["grade"]),
        "delivery_modes": _flags(DeliveryMode, row["delivery_modes"]),
        "home_exchange": row["home_exchange"],
        "province": None if home is None else home["province"],
        "status": _status(row, now),
        "suspended_until": _suspended_until(row, now),
        "exclusive_until": _exclusive_until(row.get("exclusive_end"), now),
        "licence_count": row["licence_count"],
        "revenue_fen": row["revenue_fen"],
        "listed_at": row["listed_at"],
        "updated_at": row["updated_at"],
    }
    if "tier" in row:
        item["relevance"] = {3: "title", 2: "keywords", 1: "description"}[row["tier"]]
    return item


def _catalogue(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


#: The arguments each public event shows (argument → field), beside its exchange and
#: regulator: never a party's account, a settlement reference or an evidence document's hash.
def _plain(value: Any) -> Any:
    return value


def _version_of_record(record: Any) -> Any:
    return record.get("version") if isinstance(record, dict) else None


def _until(until: Any) -> Any:
    """A suspension's end; None for "until reinstated" (type(uint64).max)."""
    return None if not isinstance(until, int) or until >= 2**64 - 1 else until


#: What a grant shows the public, exclusive or not.
_GRANT_ARGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "version": ("version", _plain),
    "purposes": ("purposes", lambda v: _flags(Purpose, v or 0)),
    "territory": ("territory", lambda v: _name(Territory, v)),
    "deliveryMode": ("delivery_mode", lambda v: _flags(DeliveryMode, v or 0)),
    "start": ("start", _plain),
    "end": ("end", _plain),
    "priceFen": ("price_fen", _plain),
}

#: What each public event shows of its arguments: argument → (field, how it is shown). Never
#: a party's account, a settlement reference or an evidence document's hash.
PUBLIC_ARGS: dict[str, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "Listed": {"record": ("version", _version_of_record)},
    "VersionPublished": {"record": ("version", _version_of_record)},
    "Delisted": {"reasonCode": ("reason_code", _plain)},
    "ConsentWithdrawn": {},
    "LicenceGranted": _GRANT_ARGS,
    # Disclosed publicly (DOMAIN): an exclusive licence's approval and open-auction references.
    "ExclusiveLicenceGranted": {
        **_GRANT_ARGS,
        "approvalRef": ("approval_ref", _plain),
        "auctionRef": ("auction_ref", _plain),
    },
    "LicenceRevoked": {
        "byRegulator": ("by_regulator", _plain),
        "reasonCode": ("reason_code", _plain),
    },
    "LicenceTerminated": {},
    "Suspended": {
        "reasonCode": ("reason_code", _plain),
        "regulatorProvince": ("regulator_province", _plain),
        "until": ("until", _until),
    },
    "Reinstated": {"reasonCode": ("reason_code", _plain)},
}


def public_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """A listing's event as the public sees it: when, where, which exchange or regulator
    acted, and the arguments :data:`PUBLIC_ARGS` names."""
    name = row["name"]
    args = json.loads(row["args"])
    shown = PUBLIC_ARGS.get(name, {})
    return {
        "name": name,
        "block_number": row["block_number"],
        "block_time": row["block_time"],
        "log_index": row["log_index"],
        "tx_hash": row["tx_hash"],
        "seq": row["seq"],
        "exchange": row["acting_exchange"],
        "regulator": row["acting_regulator"],
        "details": {field: show(args.get(arg)) for arg, (field, show) in shown.items()},
    }


def _exclusive_until(end: Any, now: int) -> int | None:
    """The end of an active exclusive licence while it has not passed (the catalogue's epochs
    end at each such end, so a kept answer never outlives it); None otherwise."""
    return end if isinstance(end, int) and end > now else None


def _exclusive(row: Mapping[str, Any], now: int) -> dict[str, Any] | None:
    """The exclusive licence the listing is under (DOMAIN: publicly disclosed), while it is
    active and its end has not passed; None otherwise. Never the licensee."""
    end = row.get("exclusive_end")
    if row.get("exclusive_status") != "active" or _exclusive_until(end, now) is None:
        return None
    return {
        "until": end,
        "start": row["exclusive_start"],
        "granting_exchange": row["exclusive_granting_exchange"],
        "approval_ref": row["exclusive_approval_ref"],
        "auction_ref": row["exclusive_auction_ref"],
    }


def listing_json(
    page: ListingPage, exchanges: Mapping[str, Mapping[str, Any]], now: int
) -> dict[str, Any]:
    """A listing's public page."""
    row = page.listing
    catalogue = _catalogue(row["catalogue"])
    home = exchanges.get(row["home_exchange"])
    pi_flags = int(row["pi_flags"])
    return {
        "listing_id": row["listing_id"],
        "version": row["version"],
        "home_exchange": row["home_exchange"],
        "province": None if home is None else home["province"],
        "status": _status(row, now),
        "suspended_until": _suspended_until(row, now),
        "suspended_indefinitely": row["suspended_until"] >= INDEFINITE
        and row["status"] != "delisted",
        "title": row["title"],
        "description": row["description"],
        "keywords": _keywords(row["keywords"]),
        "category": row["category"],
        "product_form": row["product_form"],
        "price_fen": row["price_fen"],
        "catalogue": catalogue,
        "catalogue_error": row["catalogue_error"],
        "manifest_hash": row["manifest_hash"],
        "fingerprint": row["fingerprint"],
        "classification": {
            "grade": _name(Grade, row["grade"]),
            "open_class": _name(OpenClass, row["open_class"]),
            "authorisation_id": _hash_or_none(row["authorisation_id"]),
            "risk_assessment": _hash_or_none(row["risk_assessment"]),
        },
        "personal_information": {
            "status": _name(PersonalInfo, row["personal_info"]),
            "sensitive": bool(pi_flags & PIFlag.sensitive),
            "under_14": bool(pi_flags & PIFlag.under_14),
            "consent_evidence": _hash_or_none(row["consent_evidence"]),
        },
        "usage": {
            "purposes": _flags(Purpose, row["purposes"]),
            "max_term_days": row["max_term_days"],
            "territory": _name(Territory, row["territory"]),
            "onward_transfer": _name(OnwardTransfer, row["onward_transfer"]),
            "model_training": bool(row["model_training"]),
            "delivery_modes": _flags(DeliveryMode, row["delivery_modes"]),
            "granting_exchanges": _granting(row["granting_exchanges"], exchanges),
            "price_floor_fen": row["price_floor_fen"],
        },
        "licence_count": row["licence_count"],
        "revenue_fen": row["revenue_fen"],
        "exclusive_licence": _exclusive(row, now),
        "listed_at": row["listed_at"],
        "listed_block": row["listed_block"],
        "updated_at": row["updated_at"],
        "versions": [
            {
                "version": v["version"],
                "home_exchange": v["home_exchange"],
                "title": v["title"],
                "category": v["category"],
                "price_fen": v["price_fen"],
                "grade": _name(Grade, v["grade"]),
                "manifest_hash": v["manifest_hash"],
                "fingerprint": v["fingerprint"],
                "block_number": v["block_number"],
                "block_time": v["block_time"],
                "tx_hash": v["tx_hash"],
            }
            for v in page.versions
        ],
        "events": [public_event(event) for event in page.events],
        "events_total": page.events_total,
    }


def _day_month(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).strftime("%Y-%m")


def disclosure_json(found: Disclosure, start: date | None, end: date | None) -> dict[str, Any]:
    months: dict[str, list[int]] = {}
    for day, licences, fen in found.days:
        month = months.setdefault(_day_month(day), [0, 0])
        month[0] += licences
        month[1] += fen
    return {
        "period": {
            "from": None if start is None else start.strftime("%Y-%m"),
            "to": None if end is None else end.strftime("%Y-%m"),
            "time_zone": "Asia/Shanghai",
        },
        "totals": {
            "licences": found.licences,
            "revenue_fen": found.revenue_fen,
            "listings": found.listings,
        },
        "by_listing": [
            {
                "listing_id": r["listing_id"],
                "title": r["title"],
                "home_exchange": r["home_exchange"],
                "licences": int(r["licences"]),
                "revenue_fen": int(r["revenue_fen"]),
            }
            for r in found.by_listing
        ],
        "by_home_exchange": [_exchange_sum(r) for r in found.by_home_exchange],
        "by_granting_exchange": [_exchange_sum(r) for r in found.by_granting_exchange],
        "by_month": [
            {"month": month, "licences": n, "revenue_fen": fen}
            for month, (n, fen) in sorted(months.items())
        ],
        "by_grade": [{**_class_sum(r), "grade": _name(Grade, r["grade"])} for r in found.by_grade],
        "by_source": [{**_class_sum(r), "source": r["source"]} for r in found.by_source],
        "exclusive_licences": [
            {
                "listing_id": r["listing_id"],
                "title": r["title"],
                "home_exchange": r["home_exchange"],
                "granting_exchange": r["granting_exchange"],
                "start": int(r["start"]),
                "end": int(r["end"]),
                "status": r["status"],
                "price_fen": int(r["price_fen"]),
                "approval_ref": r["approval_ref"],
                "auction_ref": r["auction_ref"],
                "granted_at": int(r["granted_at"]),
            }
            for r in found.exclusive
        ],
    }


def _exchange_sum(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "exchange": row["exchange"],
        "licences": int(row["licences"]),
        "revenue_fen": int(row["revenue_fen"]),
        "share_fen": int(row["share_fen"]),
    }


def _class_sum(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "listings": int(row["listings"]),
        "licences": int(row["licences"]),
        "revenue_fen": int(row["revenue_fen"]),
    }


# ----------------------------------------------------------------------------- reads
# Each runs in a worker thread and is shared by the JSON handlers below and the web pages
# (node.web), so a page shows exactly what the API answers.


def search_result(
    source: queries.Source, wanted: Search, fingerprint: str, now: int
) -> dict[str, Any]:
    """A page of search results (``items``) and the cursor of the next (``next_cursor``)."""
    page = queries.search(source, wanted)
    exchanges = _exchanges.get(source)
    cursor = None if page.next_key is None else encode_cursor(page.next_key, fingerprint)
    items = [search_item(row, exchanges, now) for row in page.rows]
    return {"items": items, "next_cursor": cursor}


def listing_result(source: queries.Source, listing_id: str, now: int) -> dict[str, Any] | None:
    """A listing's public page, or None for a listing the index does not hold."""
    page = queries.listing_page(source, listing_id)
    if page is None:
        return None
    return listing_json(page, _exchanges.get(source), now)


def disclosure_result(engine: Engine, wanted: DisclosureRequest) -> dict[str, Any]:
    """The disclosure aggregates ``wanted`` asks for."""
    found = queries.disclosure(
        engine,
        None if wanted.start is None else _month_start(wanted.start),
        None if wanted.end is None else _month_start(_next_month(wanted.end)),
        wanted.listings,
    )
    return disclosure_json(found, wanted.start, wanted.end)


# ----------------------------------------------------------------------------- handlers


def _json(body: bytes) -> web.Response:
    """A JSON response of ``body``, encoded in the worker thread (the event loop only sends)."""
    return web.Response(body=body, content_type="application/json")


class _Epochs:
    """The catalogue's current :data:`~node.api.cache.Epoch`: the indexer's progress, and the
    listing-suspension ends read once per index state (a query of the small ``suspensions``
    table, in a worker thread)."""

    def __init__(self) -> None:
        self._state: tuple[int, int | None] | None = None
        self._ends: list[int] = []

    async def at(self, app: web.Application, now: int) -> Epoch:
        progress = app[INDEXER].state
        state = (progress.reorgs, progress.indexed)
        if state != self._state:
            # Read after the state is taken: an end committed since only adds a boundary.
            ends = await app[READERS].run(queries.suspension_ends)
            self._state, self._ends = state, ends
        return epoch_of(state[0], state[1], self._ends, now)


class _LoopReader:
    """Reads on the event loop itself, on a connection of its own, for a SQLite index only.

    A listing page on SQLite is three indexed point lookups in the process (about 0.2 ms of
    CPU); handing it to a reader thread and back costs more than that under load (two thread
    wake-ups and the GIL passed back and forth with the loop), and a page waiting for the GIL
    was the detail p99 (docs/performance.md, the catalogue API under load). Run on the loop,
    a miss is one more short step in the loop's queue. SQLite in WAL mode never makes a reader
    wait for the indexer. A PostgreSQL page waits on the network: it is awaited on the loop
    with asyncpg instead (:class:`~node.store.async_reads.PostgresPages`), without blocking it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: False on PostgreSQL: the reads go to the threads.
        self.serves = engine.dialect.name == "sqlite"
        self._connection: Connection | None = None

    def run(self, read: Callable[[Connection], T]) -> T:
        connection = self._connection
        try:
            if connection is None or connection.closed or connection.invalidated:
                connection = self._connection = self.engine.connect()
            with connection.begin():
                return read(connection)
        except exc.DBAPIError as error:
            self.close()
            raise database_error(error, self.engine) from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(exc.DBAPIError):  # already gone
                connection.close()


#: The catalogue's epochs and readers (one each per application).
EPOCHS = web.AppKey("catalogue_epochs", _Epochs)
READERS = web.AppKey("catalogue_readers", Readers)
LOOP_READER = web.AppKey("catalogue_loop_reader", _LoopReader)
#: A PostgreSQL index's listing pages on the loop (None on SQLite).
PG_PAGES: web.AppKey[PostgresPages | None] = web.AppKey("catalogue_pg_pages")


def _query_key(query: MultiMapping[str]) -> tuple[tuple[str, str], ...]:
    """A query string as a key: the same parameters in any order are the same answer."""
    return tuple(sorted(query.items()))


async def _answer(
    request: web.Request,
    key: tuple[Any, ...],
    now: int,
    read: Callable[[], Awaitable[bytes | None]],
) -> bytes | None:
    """The body for ``key``: kept from this epoch, or ``read()`` and kept (None, a 404, is
    not kept)."""
    app = request.app
    epoch = await app[EPOCHS].at(app, now)
    answers = app[ANSWERS]
    body = answers.get(epoch, key)
    if body is None:
        body = await read()
        if body is not None:
            answers.put(epoch, key, body)
    return body


async def search(request: web.Request) -> web.Response:
    """``GET /listings``."""
    now = int(time.time())
    query = request.query

    def run(connection: Connection) -> bytes:
        # Checked here, not before the lookup: only a valid query's answer is ever kept.
        wanted, fingerprint = search_request(query, now)
        return orjson.dumps(search_result(connection, wanted, fingerprint, now))

    body = await _answer(
        request, ("search", _query_key(query)), now, lambda: request.app[READERS].run(run)
    )
    assert body is not None
    return _json(body)


async def listing(request: web.Request) -> web.Response:
    """``GET /listings/{listing_id}``: read by a reader thread, or, being a point read, on the
    loop itself where that is cheaper (a SQLite index: :class:`_LoopReader`; PostgreSQL:
    :class:`~node.store.async_reads.PostgresPages`)."""
    listing_id = check_listing_id(request.match_info["listing_id"])
    _known(request.query, ())
    now = int(time.time())
    app = request.app

    def run(connection: Connection) -> bytes | None:
        found = listing_result(connection, listing_id, now)
        return None if found is None else orjson.dumps(found)

    async def read() -> bytes | None:
        pages = app[PG_PAGES]
        if pages is not None:
            page = await pages.listing_page(listing_id)
            if page is None:
                return None
            engine = app[STORE].engine
            exchanges = _exchanges.kept(engine) or _exchanges.keep(engine, await pages.exchanges())
            return orjson.dumps(listing_json(page, exchanges, now))
        here = app[LOOP_READER]
        return here.run(run) if here.serves else await app[READERS].run(run)

    body = await _answer(request, ("listing", listing_id), now, read)
    if body is None:
        raise NotFound("no such listing", field="listing_id")
    return _json(body)


async def exchanges(request: web.Request) -> web.Response:
    """``GET /exchanges``."""
    _known(request.query, ())
    now = int(time.time())
    rows = await asyncio.to_thread(queries.exchanges, request.app[STORE].engine)
    members = [
        {
            "code": row["code"],
            "name": row["name"],
            "province": row["province"],
            "status": row["status"],
            "granting_suspended": row["granting_suspended_until"] > now,
        }
        for row in rows
    ]
    return _json(orjson.dumps({"exchanges": members}))


async def disclosure(request: web.Request) -> web.Response:
    """``GET /disclosure``."""
    wanted = disclosure_request(request.query)
    engine = request.app[STORE].engine

    def run() -> bytes:
        return orjson.dumps(disclosure_result(engine, wanted))

    return _json(await asyncio.to_thread(run))


async def _open_readers(app: web.Application) -> None:
    engine = app[STORE].engine
    app[ANSWERS] = Answers(int(app[CONFIG].kept_answers_mb * 2**20))
    app[READERS] = Readers(engine)
    app[LOOP_READER] = _LoopReader(engine)
    app[PG_PAGES] = PostgresPages(engine.url) if engine.dialect.name == "postgresql" else None


async def _close_readers(app: web.Application) -> None:
    # On shutdown, before cleanup closes the store.
    await asyncio.to_thread(app[READERS].close)
    app[LOOP_READER].close()
    pages = app[PG_PAGES]
    if pages is not None:
        await pages.close()


def add_routes(app: web.Application) -> None:
    app[EPOCHS] = _Epochs()
    app.on_startup.append(_open_readers)  # after cleanup_ctx: the store is open by then
    app.on_shutdown.append(_close_readers)
    app.router.add_get("/listings", search)
    app.router.add_get("/listings/{listing_id}", listing)
    app.router.add_get("/exchanges", exchanges)
    app.router.add_get("/disclosure", disclosure)
