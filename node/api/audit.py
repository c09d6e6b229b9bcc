"""The regulator's audit trail: every event, filtered, paged and exported.

- ``GET /audit/events``: the trail with filters (actor, exchange, regulator, listing, event,
  contract, block and time ranges) in chain order, ``limit`` events a page and a cursor to the
  next page (staff with the role auditor or regulator_officer, on any node).
- ``GET /audit/export.csv`` and ``GET /audit/export.jsonl``: everything the same filters
  match, streamed: pages of :data:`EXPORT_PAGE` events are read and formatted in a worker
  thread (the next while the last is written) and written as they come, so millions of rows
  take the memory of two pages. The export ends where the trail ended when it began.

The formatting of a row (JSON, JSON Lines, CSV) is pure and shared by the page and the
exports, so an export holds exactly the rows the pages show.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import io
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson
from aiohttp import web
from eth_utils import to_checksum_address
from multidict import MultiMapping
from sqlalchemy import Engine

from node.api.errors import BadRequest, Unavailable
from node.api.keys import CONFIG, STORE
from node.api.staff_auth import require_staff
from node.projections import HANDLERS
from node.store import StoreError, queries_audit
from node.store.queries_audit import AuditFilter, AuditRow, Position, Scan
from onelist.chain.deployment import CONTRACTS

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_PAGE",
    "MAX_LIMIT",
    "add_routes",
    "csv_header",
    "csv_row",
    "csv_rows",
    "decode_cursor",
    "encode_cursor",
    "event_json",
    "jsonl_row",
    "jsonl_rows",
    "parse_filter",
]

log = logging.getLogger("onelist.node.api.audit")
_T = TypeVar("_T")

#: Roles that may read the trail.
READERS = ("auditor", "regulator_officer")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
#: Events an export reads and writes at a time.
EXPORT_PAGE = 5000
#: Bytes an export hands the transport at a time.
WRITE_SLICE = 256 * 1024
_MAX_INT = 2**63 - 1

# ----------------------------------------------------------------------------- rows


#: The fields of an event, in the order of the JSON objects and of the CSV columns.
CSV_COLUMNS = (
    "block",
    "block_hash",
    "time",
    "tx_hash",
    "log_index",
    "contract",
    "event",
    "actor",
    "acting_exchange",
    "acting_regulator",
    "listing",
    "seq",
    "args",
)


def event_json(row: AuditRow) -> dict[str, Any]:
    """An event as the API shows it; ``args`` is the stored JSON, embedded as it is (an
    ``orjson.Fragment``: never parsed and dumped again)."""
    return {
        "block": row.block_number,
        "block_hash": row.block_hash,
        "time": row.block_time,
        "tx_hash": row.tx_hash,
        "log_index": row.log_index,
        "contract": row.contract,
        "event": row.name,
        "actor": row.actor,
        "acting_exchange": row.acting_exchange,
        "acting_regulator": row.acting_regulator,
        "listing": row.listing_id,
        "seq": row.seq,
        "args": orjson.Fragment(row.args),
    }


def jsonl_row(row: AuditRow) -> bytes:
    """An event as one line of JSON Lines (ending in ``\\n``)."""
    return orjson.dumps(event_json(row), option=orjson.OPT_APPEND_NEWLINE)


def jsonl_rows(rows: Iterable[AuditRow]) -> bytes:
    """The rows as JSON Lines: one JSON object a line."""
    return bytes(_concatenated(jsonl_row, rows))


def _concatenated(format_row: Callable[[AuditRow], bytes], rows: Iterable[AuditRow]) -> bytearray:
    """The rows' bytes, one after the other. Each row's bytes are copied and dropped at once:
    orjson's output keeps a 4 KiB buffer behind even a short line, so a list of them would hold
    7 times the page."""
    out = bytearray()
    for row in rows:
        out += format_row(row)
    return out


def _cell(value: object) -> object:
    return "" if value is None else value


def csv_header() -> bytes:
    return (",".join(CSV_COLUMNS) + "\r\n").encode()


def _csv_cells(row: AuditRow) -> tuple[object, ...]:
    return (
        row.block_number,
        row.block_hash,
        row.block_time,
        row.tx_hash,
        row.log_index,
        row.contract,
        row.name,
        _cell(row.actor),
        _cell(row.acting_exchange),
        _cell(row.acting_regulator),
        _cell(row.listing_id),
        _cell(row.seq),
        row.args,
    )


class _Line:
    """A file for :mod:`csv` that keeps the one line written last."""

    text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def csv_row(row: AuditRow) -> bytes:
    """An event as one CSV line (RFC 4180: quoted where needed, ending in CRLF), UTF-8: the
    columns of :data:`CSV_COLUMNS`, ``args`` as its JSON text, an absent value an empty cell."""
    line = _Line()
    csv.writer(line, lineterminator="\r\n").writerow(_csv_cells(row))
    return line.text.encode()


def csv_rows(rows: Iterable[AuditRow]) -> bytes:
    """The rows as CSV lines (no header: :func:`csv_header`)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(_csv_cells(row) for row in rows)
    return out.getvalue().encode()


# ----------------------------------------------------------------------------- cursors


def encode_cursor(position: Position) -> str:
    """An opaque cursor for the page that starts after ``position``."""
    raw = f"{position.block_number}.{position.log_index}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,10})")


def decode_cursor(text: str) -> Position:
    """The position a cursor of :func:`encode_cursor` names; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raw = ""
    match = _CURSOR.fullmatch(raw)
    if match is None or len(text) > 64:
        raise BadRequest("not a cursor this API gave out", field="cursor")
    block, log_index = int(match[1]), int(match[2])
    if block > _MAX_INT or log_index > 2**31 - 1:
        raise BadRequest("not a cursor this API gave out", field="cursor")
    return Position(block, log_index)


# ----------------------------------------------------------------------------- filters

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_CODE = re.compile(r"[A-Za-z0-9]{1,8}")
_INT = re.compile(r"\d{1,19}")
#: Query parameters the trail reads, and whether they may repeat.
FILTER_PARAMETERS = {
    "actor": False,
    "exchange": False,
    "regulator": False,
    "listing": False,
    "event": True,
    "contract": False,
    "block_from": False,
    "block_to": False,
    "time_from": False,
    "time_to": False,
}
PAGE_PARAMETERS = {"cursor": False, "limit": False}
EVENT_NAMES = frozenset(HANDLERS)


def _address(value: str, field: str) -> str:
    """A checksum address; lower or upper case is taken as it is, mixed case must be EIP-55."""
    if not _ADDRESS.fullmatch(value):
        raise BadRequest("not an address (0x and 40 hex digits)", field=field)
    checksum = str(to_checksum_address(value))
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and value != checksum:
        raise BadRequest("the address's mixed case is not its EIP-55 checksum", field=field)
    return checksum


def _exchange(value: str, field: str) -> str:
    if not _CODE.fullmatch(value):
        raise BadRequest("an exchange code is 1-8 letters or digits, e.g. SH", field=field)
    return value.upper()


def _hex32(value: str, field: str) -> str:
    if not _HEX32.fullmatch(value):
        raise BadRequest("not a 32-byte id (0x and 64 hex digits)", field=field)
    return value.lower()


def _block(value: str, field: str) -> int:
    if not _INT.fullmatch(value) or int(value) > _MAX_INT:
        raise BadRequest("a block number is a whole number, 0 or more", field=field)
    return int(value)


def parse_time(value: str, field: str, *, upper: bool) -> int:
    """Unix seconds, or an ISO 8601 date and time with its timezone (``2024-05-01T08:00:00Z``,
    ``…+08:00``); a fraction of a second rounds inwards (up for a lower bound, down for an
    upper one)."""
    if _INT.fullmatch(value):
        seconds = int(value)
        if seconds > _MAX_INT:
            raise BadRequest("a time is too large", field=field)
        return seconds
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value.upper():
        raise BadRequest(
            "a time is unix seconds or ISO 8601 with a timezone, e.g. 2024-05-01T08:00:00+08:00",
            field=field,
        )
    stamp = moment.timestamp()
    return max(0, math.floor(stamp) if upper else math.ceil(stamp))


def _single(query: MultiMapping[str], name: str) -> str | None:
    values = query.getall(name, [])
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"{name} may be given once", field=name)
    value = values[0]
    if not value:
        raise BadRequest(f"{name} is empty", field=name)
    return value


def _check_names(query: MultiMapping[str], known: Mapping[str, bool]) -> None:
    for name in query:
        if name not in known:
            raise BadRequest(
                f"unknown parameter (known: {', '.join(known)})", field=name, code="unknown_field"
            )


def parse_filter(query: MultiMapping[str]) -> AuditFilter:
    """The filter of a request's query; 400 naming the parameter that is wrong."""
    single: dict[str, str | None] = {
        name: _single(query, name) for name, repeats in FILTER_PARAMETERS.items() if not repeats
    }
    names: list[str] = []
    for value in query.getall("event", []):
        for name in value.split(","):
            if name not in EVENT_NAMES:
                raise BadRequest(
                    f"unknown event {name!r} (known: {', '.join(sorted(EVENT_NAMES))})",
                    field="event",
                )
            names.append(name)
    contract = single["contract"]
    if contract is not None and contract not in CONTRACTS:
        raise BadRequest(f"contract is one of {', '.join(CONTRACTS)}", field="contract")

    def given(name: str, convert: Callable[[str, str], Any]) -> Any:
        value = single[name]
        return None if value is None else convert(value, name)

    where = AuditFilter(
        actor=given("actor", _address),
        exchange=given("exchange", _exchange),
        regulator=given("regulator", _address),
        listing=given("listing", _hex32),
        names=tuple(dict.fromkeys(names)),
        contract=contract,
        block_from=given("block_from", _block),
        block_to=given("block_to", _block),
        time_from=given("time_from", lambda v, f: parse_time(v, f, upper=False)),
        time_to=given("time_to", lambda v, f: parse_time(v, f, upper=True)),
    )
    if (
        where.block_from is not None
        and where.block_to is not None
        and (where.block_from > where.block_to)
    ):
        raise BadRequest("block_from is after block_to", field="block_from")
    if (
        where.time_from is not None
        and where.time_to is not None
        and (where.time_from > where.time_to)
    ):
        raise BadRequest("time_from is after time_to", field="time_from")
    return where


def parse_page(query: MultiMapping[str]) -> tuple[Position | None, int]:
    """The cursor and the page size (1 to :data:`MAX_LIMIT`, default :data:`DEFAULT_LIMIT`)."""
    cursor = _single(query, "cursor")
    limit_text = _single(query, "limit")
    limit = DEFAULT_LIMIT
    if limit_text is not None:
        if not _INT.fullmatch(limit_text) or not 1 <= int(limit_text) <= MAX_LIMIT:
            raise BadRequest(f"limit is a whole number from 1 to {MAX_LIMIT}", field="limit")
        limit = int(limit_text)
    return (None if cursor is None else decode_cursor(cursor)), limit


# ----------------------------------------------------------------------------- handlers


async def _read(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn`` in a worker thread; an index that cannot be read answers 503 (not the 400 an
    error of the store would otherwise become)."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except StoreError as exc:
        log.warning("the audit trail cannot be read: %s", exc)
        raise Unavailable("the index cannot be read now; try again shortly") from None


def _json(body: object, status: int = 200) -> web.Response:
    response = web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


async def list_events(request: web.Request) -> web.Response:
    """``GET /audit/events``: one page of the trail, in chain order, and the next page's cursor
    (null on the last page)."""
    await require_staff(request, *READERS)
    _check_names(request.query, FILTER_PARAMETERS | PAGE_PARAMETERS)
    where = parse_filter(request.query)
    after, limit = parse_page(request.query)
    engine = request.app[STORE].engine
    rows = await _read(queries_audit.read_page, engine, where, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].position) if more else None
    return _json({"events": [event_json(row) for row in rows], "next_cursor": next_cursor})


@dataclass(frozen=True)
class _Format:
    extension: str
    content_type: str
    header: bytes
    row: Callable[[AuditRow], bytes]


CSV = _Format("csv", "text/csv; charset=utf-8; header=present", csv_header(), csv_row)
JSONL = _Format("jsonl", "application/jsonl; charset=utf-8", b"", jsonl_row)


@dataclass(frozen=True, slots=True)
class _Page:
    data: bytearray
    last_id: int  # the id of its last event (where the next page starts)
    count: int


def _formatted_page(
    engine: Engine, scan: Scan, after_id: int, format_row: Callable[[AuditRow], bytes]
) -> _Page:
    """The scan's next :data:`EXPORT_PAGE` events after ``after_id``, formatted (in a worker
    thread: reading and formatting never block the event loop)."""
    data = bytearray()
    last_id, count = after_id, 0
    for row in queries_audit.read_scan(engine, scan, after_id=after_id, limit=EXPORT_PAGE):
        data += format_row(row)  # copied and dropped at once (see _concatenated)
        last_id, count = row.id, count + 1
    return _Page(data, last_id, count)


def _discard(task: asyncio.Future[Any] | None) -> None:
    """Forget a read that is no longer wanted (its thread finishes on its own)."""
    if task is None:
        return
    if task.done():
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved
    else:
        task.cancel()


async def _export(request: web.Request, fmt: _Format) -> web.StreamResponse:
    await require_staff(request, *READERS)
    _check_names(request.query, FILTER_PARAMETERS)
    where = parse_filter(request.query)
    engine = request.app[STORE].engine
    scan = await _read(queries_audit.start_scan, engine, where)

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    organisation = re.sub(r"[^A-Za-z0-9_-]", "", request.app[CONFIG].organisation) or "node"
    response = web.StreamResponse(
        headers={
            "Content-Type": fmt.content_type,
            "Content-Disposition": (
                f'attachment; filename="onelist-audit-{organisation.lower()}-{stamp}.'
                f'{fmt.extension}"'
            ),
            "Cache-Control": "no-store",
        }
    )
    response.enable_chunked_encoding()
    # The first page is read before the headers go out, so a database that cannot be read
    # still answers with a JSON error instead of a cut-off download.
    page = await _read(_formatted_page, engine, scan, 0, fmt.row)
    pending: asyncio.Future[_Page] | None = None
    written = 0
    await response.prepare(request)
    try:
        if fmt.header:
            await response.write(fmt.header)
        while True:
            if page.count == EXPORT_PAGE:  # read the next page while this one is written
                pending = asyncio.ensure_future(
                    asyncio.to_thread(_formatted_page, engine, scan, page.last_id, fmt.row)
                )
            data = page.data
            for start in range(0, len(data), WRITE_SLICE):
                # Slices, so the transport's buffer (and the chunk framing's copy) stay small.
                await response.write(data[start : start + WRITE_SLICE])
            written += page.count
            if pending is None:
                break
            page = await pending
            pending = None
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        _discard(pending)
        raise
    except Exception:
        # Headers are out: no error body can follow. Cut the connection, so the client sees an
        # unfinished chunked body instead of a file that looks complete.
        _discard(pending)
        log.exception("audit export failed after %d events; connection closed", written)
        if request.transport is not None:
            request.transport.close()
    return response


async def export_csv(request: web.Request) -> web.StreamResponse:
    """``GET /audit/export.csv``: the filtered trail as CSV, streamed."""
    return await _export(request, CSV)


async def export_jsonl(request: web.Request) -> web.StreamResponse:
    """``GET /audit/export.jsonl``: the filtered trail as JSON Lines, streamed."""
    return await _export(request, JSONL)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/audit/events", list_events)
    app.router.add_get("/audit/export.csv", export_csv)
    app.router.add_get("/audit/export.jsonl", export_jsonl)
