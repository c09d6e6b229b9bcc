"""The regulator's audit trail: every event, filtered, paged and exported; and the regulator's
suspensions and reinstatements, signed with its own key.

- ``GET /audit/events``: the trail with filters (actor, exchange, regulator, listing, event,
  contract, block and time ranges) in chain order, ``limit`` events a page and a cursor to the
  next page (staff with the role auditor or regulator_officer, on any node).
- ``GET /audit/export.csv`` and ``GET /audit/export.jsonl``: everything the same filters
  match, streamed: pages of :data:`EXPORT_PAGE` events are read and formatted in a worker
  thread (the next while the last is written) and written as they come, so millions of rows
  take the memory of two pages. The export ends where the trail ended when it began.
- ``POST /audit/suspensions`` and ``POST /audit/reinstatements`` (role regulator_officer,
  CSRF-checked, on a regulator's node): ``Consortium.suspend`` / ``reinstate`` sent with the
  regulator's key through the node's :class:`~node.chain.sender.TransactionSender`, once per
  request id.

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
from eth_utils import keccak, to_checksum_address
from multidict import MultiMapping
from sqlalchemy import Engine

from node.api.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    Unavailable,
)
from node.api.keys import CONFIG, STORE
from node.api.sending import SenderSlot, open_sender, refusal_of, send_with
from node.api.staff_auth import StaffUser, json_body, require_staff
from node.projections import HANDLERS
from node.store import StoreError, queries_audit
from node.store.queries_audit import AuditFilter, AuditRow, Position, Scan
from onelist.chain.client import ConsortiumClient
from onelist.chain.deployment import CONTRACTS
from onelist.chain.revert import TransactionReverted
from onelist.codes import SuspensionScope, exchange_code

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_PAGE",
    "MAX_LIMIT",
    "OVERSIGHT",
    "OversightRequest",
    "add_routes",
    "check_names",
    "csv_header",
    "csv_row",
    "csv_rows",
    "decode_cursor",
    "encode_cursor",
    "encode_subject",
    "event_json",
    "json_response",
    "jsonl_row",
    "jsonl_rows",
    "oversight_refusal",
    "parse_exchange",
    "parse_filter",
    "parse_hex32",
    "parse_legal_basis",
    "parse_limit",
    "parse_oversight",
    "parse_page",
    "parse_reason_code",
    "parse_request_id",
    "parse_time",
    "query_value",
    "read_events",
    "read_index",
    "regulator_node",
    "send_oversight",
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


def parse_exchange(value: str, field: str) -> str:
    if not _CODE.fullmatch(value):
        raise BadRequest("an exchange code is 1-8 letters or digits, e.g. SH", field=field)
    return value.upper()


def parse_hex32(value: str, field: str) -> str:
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


def query_value(query: MultiMapping[str], name: str) -> str | None:
    values = query.getall(name, [])
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"{name} may be given once", field=name)
    value = values[0]
    if not value:
        raise BadRequest(f"{name} is empty", field=name)
    return value


def check_names(query: MultiMapping[str], known: Mapping[str, bool]) -> None:
    for name in query:
        if name not in known:
            raise BadRequest(
                f"unknown parameter (known: {', '.join(known)})", field=name, code="unknown_field"
            )


def parse_filter(query: MultiMapping[str]) -> AuditFilter:
    """The filter of a request's query; 400 naming the parameter that is wrong."""
    single: dict[str, str | None] = {
        name: query_value(query, name) for name, repeats in FILTER_PARAMETERS.items() if not repeats
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
        exchange=given("exchange", parse_exchange),
        regulator=given("regulator", _address),
        listing=given("listing", parse_hex32),
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


def parse_limit(query: MultiMapping[str]) -> int:
    """The page size (1 to :data:`MAX_LIMIT`, default :data:`DEFAULT_LIMIT`): the trail's and
    the licence list's."""
    limit_text = query_value(query, "limit")
    if limit_text is None:
        return DEFAULT_LIMIT
    if not _INT.fullmatch(limit_text) or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise BadRequest(f"limit is a whole number from 1 to {MAX_LIMIT}", field="limit")
    return int(limit_text)


def parse_page(query: MultiMapping[str]) -> tuple[Position | None, int]:
    """The cursor and the page size (:func:`parse_limit`)."""
    cursor = query_value(query, "cursor")
    return (None if cursor is None else decode_cursor(cursor)), parse_limit(query)


# ----------------------------------------------------------------------------- handlers


async def read_index(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn`` in a worker thread; an index that cannot be read answers 503 (not the 400 an
    error of the store would otherwise become)."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except StoreError as exc:
        log.warning("the audit trail cannot be read: %s", exc)
        raise Unavailable("the index cannot be read now; try again shortly") from None


def json_response(body: object, status: int = 200) -> web.Response:
    response = web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


async def list_events(request: web.Request) -> web.Response:
    """``GET /audit/events``: one page of the trail, in chain order, and the next page's cursor
    (null on the last page)."""
    await require_staff(request, *READERS)
    check_names(request.query, FILTER_PARAMETERS | PAGE_PARAMETERS)
    rows, next_cursor = await read_events(request, request.query)
    return json_response({"events": [event_json(row) for row in rows], "next_cursor": next_cursor})


async def read_events(
    request: web.Request, query: MultiMapping[str]
) -> tuple[list[AuditRow], str | None]:
    """The page of the trail ``query``'s filters, cursor and limit ask for (400 naming a bad
    one) and the next page's cursor (None on the last page). The audit explorer reads it too."""
    where = parse_filter(query)
    after, limit = parse_page(query)
    engine = request.app[STORE].engine
    rows = await read_index(queries_audit.read_page, engine, where, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].position) if more else None)


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
    check_names(request.query, FILTER_PARAMETERS)
    where = parse_filter(request.query)
    engine = request.app[STORE].engine
    scan = await read_index(queries_audit.start_scan, engine, where)

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
    page = await read_index(_formatted_page, engine, scan, 0, fmt.row)
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


# ----------------------------------------------------------------------------- oversight

SCOPES = {scope.name: scope for scope in SuspensionScope}
OFFICERS = ("regulator_officer",)
MAX_LEGAL_BASIS = 4096
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Reverts that say the request itself cannot succeed (422); any other revert says the chain's
#: present state refuses it (409): not suspended, out of the regulator's jurisdiction, not a
#: regulator (any more).
REQUEST_FAULTS = frozenset(
    {"OversightUnknownSubject", "OversightInvalidUntil", "OversightInvalidScope"}
)


@dataclass(frozen=True, slots=True)
class OversightRequest:
    """A suspension or reinstatement as the contract takes it, and as the client named it."""

    action: str  # suspend | reinstate
    scope: SuspensionScope
    subject: str  # as the API shows it: the id, checksum address or exchange code
    subject_bytes32: bytes
    reason_code: int
    legal_basis_hash: bytes
    until: int  # 0: until reinstated (always 0 for a reinstatement)
    request_id: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.action}:{self.scope.name}:0x{self.subject_bytes32.hex()}:{self.request_id}"


def encode_subject(scope: SuspensionScope, subject: object) -> tuple[str, bytes]:
    """The subject as the API shows it and as the contract's ``bytes32`` takes it: a listing or
    licence id as it is, a provider's address right-aligned, an exchange's code left-aligned."""
    if not isinstance(subject, str) or not subject:
        raise BadRequest("subject must be a non-empty string", field="subject")
    if scope in (SuspensionScope.listing, SuspensionScope.licence):
        shown = parse_hex32(subject, "subject")
        return shown, bytes.fromhex(shown[2:])
    if scope is SuspensionScope.provider:
        shown = _address(subject, "subject")
        return shown, bytes(12) + bytes.fromhex(shown[2:])
    code = parse_exchange(subject, "subject")
    return code, exchange_code(code).ljust(32, b"\0")


def _integer(body: Mapping[str, Any], name: str, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise BadRequest(f"{name} must be a whole number from 0 to {high}", field=name)
    return value


def parse_oversight(
    action: str, body: Mapping[str, Any], header_request_id: str | None = None
) -> OversightRequest:
    """A suspension (``action`` "suspend") or reinstatement request's body; 400 naming the
    field that is wrong, missing or unknown."""
    known = ["scope", "subject", "reason_code", "legal_basis", "legal_basis_hash", "request_id"]
    if action == "suspend":
        known.append("until")
    for name in body:
        if name not in known:
            raise BadRequest(
                f"unknown field (known: {', '.join(known)})", field=name, code="unknown_field"
            )
    scope_name = body.get("scope")
    if not isinstance(scope_name, str) or scope_name not in SCOPES:
        raise BadRequest(f"scope is one of {', '.join(SCOPES)}", field="scope")
    scope = SCOPES[scope_name]
    shown, subject = encode_subject(scope, body.get("subject"))
    reason_code = parse_reason_code(body)
    legal_basis = parse_legal_basis(body)
    until = _integer(body, "until", 2**64 - 1) or 0
    request_id = parse_request_id(body, header_request_id)
    return OversightRequest(
        action, scope, shown, subject, reason_code, legal_basis, until, request_id
    )


def parse_reason_code(body: Mapping[str, Any]) -> int:
    """The body's required ``reason_code`` (a uint16); 400 naming it."""
    reason_code = _integer(body, "reason_code", 2**16 - 1)
    if reason_code is None:
        raise BadRequest("reason_code is required (0 to 65535)", field="reason_code")
    return reason_code


def parse_legal_basis(body: Mapping[str, Any]) -> bytes:
    """The legal basis's hash as the contracts take it: ``legal_basis`` (text, hashed here with
    keccak256, so the text itself never goes on chain) or ``legal_basis_hash``, exactly one."""
    text, digest = body.get("legal_basis"), body.get("legal_basis_hash")
    if (text is None) == (digest is None):
        raise BadRequest(
            "give legal_basis (text) or legal_basis_hash, not both", field="legal_basis"
        )
    if text is not None:
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_LEGAL_BASIS:
            raise BadRequest(
                f"legal_basis is text of 1 to {MAX_LEGAL_BASIS} characters", field="legal_basis"
            )
        return bytes(keccak(text=text))
    if not isinstance(digest, str):
        raise BadRequest("not a 32-byte hash (0x and 64 hex digits)", field="legal_basis_hash")
    return bytes.fromhex(parse_hex32(digest, "legal_basis_hash")[2:])


def parse_request_id(body: Mapping[str, Any], header_request_id: str | None) -> str:
    """The client's id for a sending request (the body's, else the header's): the same id again
    returns the first answer instead of sending twice."""
    request_id = body.get("request_id", header_request_id)
    if request_id is None:
        raise BadRequest(
            f"request_id (or the {IDEMPOTENCY_HEADER} header) is required: the same id again "
            "returns the first answer instead of sending twice",
            field="request_id",
        )
    if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
        raise BadRequest("request_id is 1 to 128 letters, digits or . _ : -", field="request_id")
    return request_id


def oversight_refusal(exc: TransactionReverted) -> ApiError:
    """A revert of suspend/reinstate as an API error: 422 when the request cannot succeed, 409
    when the chain's present state refuses it; the message names the contract's error."""
    return refusal_of(exc, REQUEST_FAULTS.__contains__)


class Oversight(SenderSlot):
    """The regulator's sender (None on an exchange's node or without the regulator's key, with
    the reason)."""


OVERSIGHT = web.AppKey("audit_oversight", Oversight)


async def _oversight(request: web.Request, action: str) -> web.Response:
    user = await require_staff(request, *OFFICERS)
    regulator_node(request)
    body = await json_body(request)
    order = parse_oversight(action, body, request.headers.get(IDEMPOTENCY_HEADER))
    return json_response(await send_oversight(request, user, order))


def regulator_node(request: web.Request) -> None:
    """403 unless this is a regulator's node (only it holds a regulator's key)."""
    if request.app[CONFIG].organisation != "regulator":
        raise Forbidden(
            "suspensions are sent from a regulator's node, with the regulator's key",
            code="not_a_regulator",
        )


async def send_oversight(
    request: web.Request, user: StaffUser, order: OversightRequest
) -> dict[str, Any]:
    """Send a suspension or reinstatement with the regulator's key, once per request id, and
    describe the outcome as ``POST /audit/suspensions`` answers (the audit explorer's
    confirmation step calls it too); a revert is an :class:`ApiError` naming the contract's
    error."""
    regulator_node(request)
    oversight = request.app[OVERSIGHT]
    if oversight.sender is None:
        raise Unavailable(oversight.problem, code="no_regulator_key")

    def build(client: ConsortiumClient) -> Any:
        functions = client.consortium.functions
        if order.action == "suspend":
            return functions.suspend(
                int(order.scope),
                order.subject_bytes32,
                order.reason_code,
                order.legal_basis_hash,
                order.until,
            )
        return functions.reinstate(
            int(order.scope), order.subject_bytes32, order.reason_code, order.legal_basis_hash
        )

    outcome = await send_with(
        oversight.sender, order.idempotency_key, build, user.username, oversight_refusal
    )
    log.info(
        "%s %s %s by %s (request %s): %s",
        order.action,
        order.scope.name,
        order.subject,
        user.username,
        order.request_id,
        outcome.tx_hash,
    )
    return {
        "action": order.action,
        "scope": order.scope.name,
        "subject": order.subject,
        "subject_bytes32": "0x" + order.subject_bytes32.hex(),
        "reason_code": order.reason_code,
        "legal_basis_hash": "0x" + order.legal_basis_hash.hex(),
        "until": order.until or None,
        "request_id": order.request_id,
        "tx_hash": outcome.tx_hash,
        "block": outcome.block_number,
        "replayed": outcome.replayed,
    }


async def suspend(request: web.Request) -> web.Response:
    """``POST /audit/suspensions``: ``Consortium.suspend`` with the regulator's key."""
    return await _oversight(request, "suspend")


async def reinstate(request: web.Request) -> web.Response:
    """``POST /audit/reinstatements``: ``Consortium.reinstate`` with the regulator's key."""
    return await _oversight(request, "reinstate")


async def _start_sender(app: web.Application) -> None:
    """On a regulator's node: unlock the regulator's key (``operator_keystore``) and make the
    sender. Without it the node serves everything else and the two routes answer 503."""
    exchange = app[CONFIG].organisation != "regulator"
    refused = "an exchange's node sends no regulator transactions" if exchange else None
    await open_sender(app, app[OVERSIGHT], key="regulator's", serves="suspensions", refused=refused)


def add_routes(app: web.Application) -> None:
    app[OVERSIGHT] = Oversight()
    app.on_startup.append(_start_sender)  # after cleanup_ctx: the store is open by then
    app.on_cleanup.append(app[OVERSIGHT].close)  # its threads end, its connections close
    app.router.add_get("/audit/events", list_events)
    # No HEAD for the exports: it would read the whole trail to send nothing.
    app.router.add_get("/audit/export.csv", export_csv, allow_head=False)
    app.router.add_get("/audit/export.jsonl", export_jsonl, allow_head=False)
    app.router.add_post("/audit/suspensions", suspend)
    app.router.add_post("/audit/reinstatements", reinstate)
    # The licences and their revocation by a regulator: read from the same index, sent with the
    # same regulator's key (OVERSIGHT), so they live beside the trail.
    from node.api import licences

    licences.add_routes(app)
