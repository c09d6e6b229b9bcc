"""The regulator's audit trail on a real chain and index: filters, pages, streamed exports,
staff roles, and suspensions signed with the regulator's key."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientPayloadError, web
from aiohttp.test_utils import TestClient, TestServer
from eth_utils import keccak
from jsonschema import Draft202012Validator
from sqlalchemy import Engine, select

from node.api.app import create_app
from node.api.keys import STORE
from node.api.openapi import document
from node.api.staff_auth import CSRF_HEADER, add_staff_user
from node.store import Store, StoreUnavailableError, open_engine, queries_audit, schema, upgrade
from onelist.chain.connection import address_of, increase_time
from onelist.chain.revert import TransactionReverted
from onelist.chain.samples import sample_record, sample_terms
from onelist.codes import SuspensionScope, exchange_code

from .conftest import CATALOGUE, Consortium, node_config, signing_config

PASSWORD = "correct horse battery"
N = 1 << 10  # cheap scrypt for tests
Client = TestClient[web.Request, web.Application]
Params = list[tuple[str, str]]
Event = dict[str, Any]

#: Staff of the regulator's node: an auditor, a regulator's officer and a reviewer.
STAFF = {"audrey": ["auditor"], "rita": ["regulator_officer"], "alice": ["reviewer"]}


def _add_staff(engine: Engine) -> None:
    for username, roles in STAFF.items():
        add_staff_user(engine, username, PASSWORD, roles, n=N)


async def sign_in(client: Client, username: str) -> str:
    """Sign ``username`` in (replacing the client's session); returns the CSRF token."""
    response = await client.post(
        "/staff/sign-in", json={"username": username, "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    return str((await response.json())["csrf_token"])


def check_schema(path: str, method: str, status: int, body: object) -> None:
    """``body`` matches the OpenAPI document's JSON schema for this response."""
    doc = document()
    response = doc["paths"][path][method]["responses"][str(status)]
    schema_ = response["content"]["application/json"]["schema"]
    Draft202012Validator({**schema_, "components": doc["components"]}).validate(body)


# ----------------------------------------------------------------------------- the trail


@dataclass
class Trail:
    """Traffic in three phases 1,000 s apart; the regulator suspended and reinstated a listing
    in the second."""

    sh_operator: str
    regulator: str
    listing: str  # suspended and reinstated in phase 2
    phases: list[tuple[int, int]]  # first and last block of each phase
    times: list[tuple[int, int]]  # first and last block time of each phase


def _suspend(consortium: Consortium, fn: str, subject: bytes, *args: int) -> None:
    contract = consortium.client.consortium
    consortium.client.send(
        getattr(contract.functions, fn)(0, subject, 7, b"\1" * 32, *args), consortium.keys[4]
    )


@pytest.fixture(scope="module")
def trail(consortium: Consortium) -> Trail:
    w3 = consortium.w3
    phases: list[tuple[int, int]] = []
    times: list[tuple[int, int]] = []
    listing = b""
    for phase in range(3):
        increase_time(w3, 1000)
        first = w3.eth.block_number + 1
        consortium.traffic(3)
        if phase == 1:
            logs = consortium.client.listings.events.Listed().get_logs(from_block=first)
            listing = bytes(logs[0]["args"]["listingId"])
            _suspend(consortium, "suspend", listing, 0)
            _suspend(consortium, "reinstate", listing)
        last = w3.eth.block_number
        phases.append((first, last))
        times.append(
            (
                int(w3.eth.get_block(first)["timestamp"]),
                int(w3.eth.get_block(last)["timestamp"]),
            )
        )
    return Trail(
        sh_operator=address_of(consortium.keys[1]),
        regulator=address_of(consortium.keys[4]),
        listing="0x" + listing.hex(),
        phases=phases,
        times=times,
    )


@pytest.fixture(scope="module")
async def regulator(
    consortium: Consortium, trail: Trail, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Client]:
    """The national regulator's node (国家数据局, keys[4]) with the regulator's keystore, caught
    up with the trail, with its staff."""
    tmp = tmp_path_factory.mktemp("regulator")
    config = signing_config(consortium, tmp, 4, organisation="regulator")
    async with TestClient(TestServer(create_app(config))) as client:
        _add_staff(client.app[STORE].engine)
        await indexed(client, consortium)
        yield client


async def indexed(client: Client, consortium: Consortium, timeout: float = 30) -> None:
    """Wait until the node has indexed the chain's present head (``caught_up`` trusts the
    indexer's last view of the head, which may predate a transaction just mined)."""
    head = consortium.w3.eth.block_number
    deadline = time.monotonic() + timeout
    while True:
        state = await (await client.get("/status")).json()
        if state["indexed"] is not None and state["indexed"] >= head:
            return
        assert time.monotonic() < deadline, f"the node did not index block {head}: {state}"
        await asyncio.sleep(0.05)


def stored_events(engine: Engine) -> list[Event]:
    """The whole trail as the API should show it, read straight from the events table."""
    events = schema.events
    with engine.connect() as connection:
        rows = connection.execute(
            select(events).order_by(events.c.block_number, events.c.log_index)
        ).mappings()
        return [
            {
                "block": row["block_number"],
                "block_hash": row["block_hash"],
                "time": row["block_time"],
                "tx_hash": row["tx_hash"],
                "log_index": row["log_index"],
                "contract": row["contract"],
                "event": row["name"],
                "actor": row["actor"],
                "acting_exchange": row["acting_exchange"],
                "acting_regulator": row["acting_regulator"],
                "listing": row["listing_id"],
                "seq": row["seq"],
                "args": json.loads(row["args"]),
            }
            for row in rows
        ]


async def all_pages(client: Client, params: Params, limit: int = 7) -> list[Event]:
    """Every page of ``params`` from the first to the one without a next cursor."""
    events: list[Event] = []
    cursor: str | None = None
    for _ in range(10_000):
        query = [*params, ("limit", str(limit))] + ([("cursor", cursor)] if cursor else [])
        response = await client.get("/audit/events", params=query)
        body = await response.json()
        assert response.status == 200, body
        check_schema("/audit/events", "get", 200, body)
        assert len(body["events"]) <= limit
        events.extend(body["events"])
        cursor = body["next_cursor"]
        if cursor is None:
            return events
        assert len(body["events"]) == limit  # only a full page has a next one
    raise AssertionError("pagination did not end")


def _iso(seconds: int, offset_hours: int = 8) -> str:
    zone = timezone(timedelta(hours=offset_hours))
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone).isoformat()


Filter = Callable[[Trail], tuple[Params, Callable[[Event], bool]]]

FILTERS: dict[str, Filter] = {
    "the SH operator's events": lambda t: (
        [("actor", t.sh_operator)],
        lambda e: e["actor"] == t.sh_operator,
    ),
    "an actor written in lower case": lambda t: (
        [("actor", t.sh_operator.lower())],
        lambda e: e["actor"] == t.sh_operator,
    ),
    "what ZJ did": lambda t: (
        [("exchange", "ZJ")],
        lambda e: e["acting_exchange"] == "ZJ",
    ),
    "what the regulator did": lambda t: (
        [("regulator", t.regulator)],
        lambda e: e["acting_regulator"] == t.regulator,
    ),
    "one listing's events": lambda t: (
        [("listing", t.listing)],
        lambda e: e["listing"] == t.listing,
    ),
    "licence grants": lambda t: (
        [("event", "LicenceGranted")],
        lambda e: e["event"] == "LicenceGranted",
    ),
    "suspensions and reinstatements": lambda t: (
        [("event", "Suspended"), ("event", "Reinstated")],
        lambda e: e["event"] in ("Suspended", "Reinstated"),
    ),
    "one contract's events": lambda t: (
        [("contract", "ListingRegistry")],
        lambda e: e["contract"] == "ListingRegistry",
    ),
    "a block range": lambda t: (
        [("block_from", str(t.phases[1][0])), ("block_to", str(t.phases[1][1]))],
        lambda e: t.phases[1][0] <= e["block"] <= t.phases[1][1],
    ),
    "from a block on": lambda t: (
        [("block_from", str(t.phases[2][0]))],
        lambda e: e["block"] >= t.phases[2][0],
    ),
    "a time range in ISO 8601 Beijing time": lambda t: (
        [("time_from", _iso(t.times[1][0])), ("time_to", _iso(t.times[1][1]))],
        lambda e: t.times[1][0] <= e["time"] <= t.times[1][1],
    ),
    "up to a time in unix seconds": lambda t: (
        [("time_to", str(t.times[0][1]))],
        lambda e: e["time"] <= t.times[0][1],
    ),
    "the SH operator's listings in the last phase": lambda t: (
        [("actor", t.sh_operator), ("event", "Listed"), ("time_from", str(t.times[2][0]))],
        lambda e: (
            e["actor"] == t.sh_operator and e["event"] == "Listed" and e["time"] >= t.times[2][0]
        ),
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
async def test_a_filter_returns_exactly_the_matching_events(
    regulator: Client, consortium: Consortium, trail: Trail, name: str
) -> None:
    await indexed(regulator, consortium)
    await sign_in(regulator, "audrey")
    params, matches = FILTERS[name](trail)
    everything = stored_events(regulator.app[STORE].engine)
    expected = [event for event in everything if matches(event)]
    assert 0 < len(expected) < len(everything)  # the filter means something here
    assert await all_pages(regulator, params) == expected


async def test_pages_cover_the_whole_trail_once_in_chain_order(
    regulator: Client, consortium: Consortium
) -> None:
    await indexed(regulator, consortium)
    await sign_in(regulator, "rita")
    everything = stored_events(regulator.app[STORE].engine)
    assert len(everything) > 30
    assert await all_pages(regulator, [], limit=7) == everything
    assert await all_pages(regulator, [], limit=500) == everything
    positions = [(e["block"], e["log_index"]) for e in everything]
    assert positions == sorted(set(positions))


async def test_a_page_past_the_end_is_empty(regulator: Client, trail: Trail) -> None:
    await sign_in(regulator, "audrey")
    response = await regulator.get("/audit/events", params={"block_from": "999999999"})
    assert await response.json() == {"events": [], "next_cursor": None}


def _csv_events(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _as_csv(event: Event) -> dict[str, str]:
    return {
        key: "" if value is None else value if isinstance(value, str) else str(value)
        for key, value in event.items()
        if key != "args"
    }


@pytest.mark.parametrize(
    "params",
    [[], [("exchange", "ZJ"), ("event", "LicenceGranted")]],
    ids=["the whole trail", "a filtered trail"],
)
async def test_exports_hold_exactly_the_rows_the_pages_show(
    regulator: Client, consortium: Consortium, params: Params
) -> None:
    await indexed(regulator, consortium)
    await sign_in(regulator, "audrey")
    pages = await all_pages(regulator, params, limit=500)
    assert pages

    response = await regulator.get("/audit/export.jsonl", params=params)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/jsonl")
    assert response.headers["Transfer-Encoding"] == "chunked"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="onelist-audit-regulator-')
    assert disposition.endswith('.jsonl"')
    lines = (await response.read()).decode().splitlines()
    assert [json.loads(line) for line in lines] == pages

    response = await regulator.get("/audit/export.csv", params=params)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].endswith('.csv"')
    rows = _csv_events(await response.read())
    assert [{k: v for k, v in row.items() if k != "args"} for row in rows] == [
        _as_csv(event) for event in pages
    ]
    assert [json.loads(row["args"]) for row in rows] == [event["args"] for event in pages]


async def test_an_export_of_nothing_is_a_header_or_an_empty_file(regulator: Client) -> None:
    await sign_in(regulator, "audrey")
    params = {"block_from": "999999999"}
    response = await regulator.get("/audit/export.csv", params=params)
    assert (await response.read()).decode().splitlines() == [
        "block,block_hash,time,tx_hash,log_index,contract,event,actor,acting_exchange,"
        "acting_regulator,listing,seq,args"
    ]
    response = await regulator.get("/audit/export.jsonl", params=params)
    assert await response.read() == b""


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/audit/events", {"actor": "0x1234"}, "actor"),
        ("/audit/events", {"event": "NoSuchEvent"}, "event"),
        ("/audit/events", {"time_from": "2024-05-01T08:00:00"}, "time_from"),
        ("/audit/events", {"limit": "501"}, "limit"),
        ("/audit/events", {"cursor": "garbage"}, "cursor"),
        ("/audit/events", {"actr": "0x1234"}, "actr"),
        ("/audit/export.csv", {"block_from": "9", "block_to": "1"}, "block_from"),
        ("/audit/export.jsonl", {"limit": "10"}, "limit"),
    ],
    ids=[
        "a short actor address",
        "an unknown event",
        "a time without timezone",
        "a page over 500",
        "a cursor not given out",
        "a misspelt parameter",
        "an export's backwards block range",
        "an export takes no limit",
    ],
)
async def test_a_bad_filter_is_a_400_naming_the_field(
    regulator: Client, path: str, params: dict[str, str], field: str
) -> None:
    await sign_in(regulator, "audrey")
    response = await regulator.get(path, params=params)
    body = await response.json()
    assert response.status == 400, body
    assert body["field"] == field
    check_schema(path, "get", 400, body)


READ_ROUTES = ["/audit/events", "/audit/export.csv", "/audit/export.jsonl"]


@pytest.mark.parametrize("path", READ_ROUTES)
async def test_an_index_that_cannot_be_read_is_a_503(
    regulator: Client, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailableError("database unavailable: the test pulled the plug")

    monkeypatch.setattr(queries_audit, "read_page", unavailable)
    monkeypatch.setattr(queries_audit, "start_scan", unavailable)
    await sign_in(regulator, "audrey")
    response = await regulator.get(path)
    body = await response.json()
    assert response.status == 503, body
    check_schema(path, "get", 503, body)


async def test_signed_out_is_401_and_a_reviewer_is_403(
    consortium: Consortium, tmp_path: Path
) -> None:
    config = node_config(consortium, tmp_path, organisation="regulator")
    async with TestClient(TestServer(create_app(config, index=False))) as client:
        _add_staff(client.app[STORE].engine)
        for path in READ_ROUTES:
            response = await client.get(path)
            assert response.status == 401, path
            check_schema(path, "get", 401, await response.json())
        await sign_in(client, "alice")
        for path in READ_ROUTES:
            response = await client.get(path)
            assert response.status == 403, path
            check_schema(path, "get", 403, await response.json())
        await sign_in(client, "audrey")
        for path in READ_ROUTES:
            assert (await client.get(path)).status == 200, path


WRITE_ROUTES = ["/audit/suspensions", "/audit/reinstatements"]
A_REQUEST = {"scope": "listing", "subject": "0x" + "ab" * 32, "reason_code": 1}


async def test_only_a_signed_in_officer_with_the_csrf_token_may_suspend(
    consortium: Consortium, tmp_path: Path
) -> None:
    config = node_config(consortium, tmp_path, organisation="regulator")
    async with TestClient(TestServer(create_app(config, index=False))) as client:
        _add_staff(client.app[STORE].engine)
        body = {**A_REQUEST, "legal_basis": "test", "request_id": "r1"}
        cases = [
            (None, False, 401, "unauthorized"),
            ("audrey", True, 403, "forbidden"),  # an auditor reads, never suspends
            ("alice", True, 403, "forbidden"),
            ("rita", False, 403, "csrf"),
            # Without the regulator's keystore the node serves all else and answers 503.
            ("rita", True, 503, "no_regulator_key"),
        ]
        for user, with_csrf, status, code in cases:
            headers = {}
            if user is not None:
                token = await sign_in(client, user)
                headers = {CSRF_HEADER: token} if with_csrf else {}
            for path in WRITE_ROUTES:
                response = await client.post(path, json=body, headers=headers)
                answer = await response.json()
                assert (response.status, answer["code"]) == (status, code), (user, path, answer)
                check_schema(path, "post", status, answer)


async def test_an_exchange_s_node_sends_no_suspension(
    consortium: Consortium, tmp_path: Path
) -> None:
    app = create_app(node_config(consortium, tmp_path), index=False)
    async with TestClient(TestServer(app)) as client:
        _add_staff(client.app[STORE].engine)
        token = await sign_in(client, "rita")
        body = {**A_REQUEST, "legal_basis": "test", "request_id": "r1"}
        response = await client.post("/audit/suspensions", json=body, headers={CSRF_HEADER: token})
        assert response.status == 403
        assert (await response.json())["code"] == "not_a_regulator"


# ----------------------------------------------------------------------------- oversight

_seeds = itertools.count()


@dataclass
class Product:
    listing: bytes
    record: dict[str, Any]
    licence: bytes


def _grant(consortium: Consortium, record: dict[str, Any], listing: bytes) -> bytes:
    """Grant ``listing`` via ZJ (new terms each time); returns the licence id."""
    licensee = consortium.keys[7]
    now = consortium.client.now() + next(_seeds)
    terms = sample_terms(listing, 1, address_of(licensee), exchange_code("ZJ"), now)
    licence, _ = consortium.client.grant(consortium.keys[2], licensee, terms, record)
    return licence


def _list_and_grant(consortium: Consortium) -> Product:
    """A product listed at SH and granted once via ZJ."""
    provider = consortium.keys[5]
    record = sample_record(address_of(provider), f"audit-test-{next(_seeds)}")
    listing, _ = consortium.client.list(consortium.keys[1], provider, "SH", record, CATALOGUE)
    return Product(listing, record, _grant(consortium, record, listing))


def _is_suspended(consortium: Consortium, scope: SuspensionScope, subject: bytes) -> bool:
    return bool(consortium.client.consortium.functions.isSuspended(int(scope), subject).call())


async def _post(
    client: Client, path: str, body: dict[str, Any], csrf: str
) -> tuple[int, dict[str, Any]]:
    response = await client.post(path, json=body, headers={CSRF_HEADER: csrf})
    answer: dict[str, Any] = await response.json()
    # A path with a parameter (a licence id) is checked against its template.
    template = "/audit/licences/{licence_id}/revoke" if path.endswith("/revoke") else path
    check_schema(template, "post", response.status, answer)
    return response.status, answer


async def test_the_regulator_suspends_a_listing_and_grants_stop_until_it_is_reinstated(
    regulator: Client, consortium: Consortium, trail: Trail
) -> None:
    product = _list_and_grant(consortium)
    listing = "0x" + product.listing.hex()
    csrf = await sign_in(regulator, "rita")
    basis = "《数据安全法》第二十一条：核心数据实行更加严格的管理制度"
    order = {
        "scope": "listing",
        "subject": listing.upper().replace("0X", "0x"),
        "reason_code": 3,
        "legal_basis": basis,
        "request_id": "case-2024-017",
    }
    status, body = await _post(regulator, "/audit/suspensions", order, csrf)
    assert status == 200, body
    assert body["subject"] == listing and body["subject_bytes32"] == listing
    assert body["legal_basis_hash"] == "0x" + bytes(keccak(text=basis)).hex()
    assert body["until"] is None and body["replayed"] is False
    assert _is_suspended(consortium, SuspensionScope.listing, product.listing)

    with pytest.raises(TransactionReverted) as refused:
        _grant(consortium, product.record, product.listing)
    assert refused.value.error_name == "ListingRegistrySuspended"

    # The same request again (a retry) sends nothing new.
    status, again = await _post(regulator, "/audit/suspensions", order, csrf)
    assert status == 200 and again["replayed"] is True and again["tx_hash"] == body["tx_hash"]

    # The trail shows the suspension once, as the regulator's act.
    await indexed(regulator, consortium)
    await sign_in(regulator, "audrey")
    shown = await all_pages(regulator, [("listing", listing), ("event", "Suspended")])
    assert [(e["tx_hash"], e["acting_regulator"], e["args"]["reasonCode"]) for e in shown] == [
        (body["tx_hash"], trail.regulator, 3)
    ]

    csrf = await sign_in(regulator, "rita")
    lift = {**order, "request_id": "case-2024-017-lifted"}
    status, lifted = await _post(regulator, "/audit/reinstatements", lift, csrf)
    assert status == 200, lifted
    assert lifted["action"] == "reinstate" and lifted["until"] is None
    assert not _is_suspended(consortium, SuspensionScope.listing, product.listing)
    _grant(consortium, product.record, product.listing)  # granted again

    again_lift = {**lift, "request_id": "case-2024-017-lifted-twice"}
    status, refusal = await _post(regulator, "/audit/reinstatements", again_lift, csrf)
    assert status == 409 and refusal["code"] == "reverted"
    assert "OversightNotSuspended" in refusal["message"]


@pytest.mark.parametrize("scope", ["provider", "licence", "exchange_granting"])
async def test_each_scope_s_subject_reaches_the_contract_as_it_expects(
    regulator: Client, consortium: Consortium, scope: str
) -> None:
    product = _list_and_grant(consortium)
    provider = address_of(consortium.keys[5])
    subject, raw = {
        "provider": (provider.lower(), bytes(12) + bytes.fromhex(provider[2:])),
        "licence": ("0x" + product.licence.hex(), product.licence),
        "exchange_granting": ("zj", exchange_code("ZJ").ljust(32, b"\0")),
    }[scope]
    kind = SuspensionScope[scope]
    csrf = await sign_in(regulator, "rita")
    until = consortium.client.now() + 86_400
    order = {
        "scope": scope,
        "subject": subject,
        "reason_code": 9,
        "legal_basis_hash": "0x" + "42" * 32,
        "until": until,
        "request_id": f"scope-{scope}",
    }
    status, body = await _post(regulator, "/audit/suspensions", order, csrf)
    assert status == 200, body
    assert body["subject_bytes32"] == "0x" + raw.hex() and body["until"] == until
    assert _is_suspended(consortium, kind, raw)
    if scope != "licence":  # a suspended provider or granting exchange takes no new grant
        with pytest.raises(TransactionReverted):
            _grant(consortium, product.record, product.listing)
    del order["until"]
    status, body = await _post(regulator, "/audit/reinstatements", order, csrf)
    assert status == 200, body
    assert not _is_suspended(consortium, kind, raw)
    _grant(consortium, product.record, product.listing)


@pytest.mark.parametrize(
    ("order", "status", "error"),
    [
        ({"scope": "listing", "subject": "0x" + "77" * 32}, 422, "OversightUnknownSubject"),
        ({"scope": "exchange_granting", "subject": "XX"}, 422, "OversightUnknownSubject"),
        ({"scope": "listing", "until": 1}, 422, "OversightInvalidUntil"),
    ],
    ids=[
        "an unknown listing is a 422",
        "an unknown exchange is a 422",
        "an end in the past is a 422",
    ],
)
async def test_a_suspension_the_contract_refuses_names_its_error(
    regulator: Client, trail: Trail, order: dict[str, Any], status: int, error: str
) -> None:
    csrf = await sign_in(regulator, "rita")
    body = {"subject": trail.listing, "reason_code": 1, "legal_basis": "test", **order}
    answer_status, answer = await _post(
        regulator, "/audit/suspensions", {**body, "request_id": error}, csrf
    )
    assert answer_status == status and answer["code"] == "reverted", answer
    assert error in answer["message"]


async def test_a_bad_suspension_request_is_a_400_naming_the_field(regulator: Client) -> None:
    csrf = await sign_in(regulator, "rita")
    body = {**A_REQUEST, "legal_basis": "test"}  # no request id
    status, answer = await _post(regulator, "/audit/suspensions", body, csrf)
    assert status == 400 and answer["field"] == "request_id"
    response = await regulator.post(
        "/audit/suspensions", data=b"{not json", headers={CSRF_HEADER: csrf}
    )
    assert response.status == 400
    assert (await response.json())["code"] == "malformed_json"


# ----------------------------------------------------------------------------- licences

REVOKE = "/audit/licences/{}/revoke"


async def all_licences(client: Client, params: Params, limit: int = 2) -> list[Event]:
    """Every page of the licence list for ``params``."""
    licences: list[Event] = []
    cursor: str | None = None
    for _ in range(10_000):
        query = [*params, ("limit", str(limit))] + ([("cursor", cursor)] if cursor else [])
        response = await client.get("/audit/licences", params=query)
        body = await response.json()
        assert response.status == 200, body
        check_schema("/audit/licences", "get", 200, body)
        licences.extend(body["licences"])
        cursor = body["next_cursor"]
        if cursor is None:
            return licences
        assert len(body["licences"]) == limit
    raise AssertionError("pagination did not end")


async def test_the_licence_list_pages_and_filters_with_counterparties(
    regulator: Client, consortium: Consortium
) -> None:
    products = [_list_and_grant(consortium) for _ in range(2)]
    await indexed(regulator, consortium)
    await sign_in(regulator, "audrey")
    everything = await all_licences(regulator, [])
    ids = [licence["licence_id"] for licence in everything]
    assert len(ids) == len(set(ids))  # each licence once across the pages
    with regulator.app[STORE].engine.connect() as connection:
        stored = connection.execute(select(schema.licences.c.licence_id)).scalars().all()
    assert sorted(ids) == sorted(stored)

    listing = "0x" + products[0].listing.hex()
    shown = await all_licences(regulator, [("listing", listing)])
    assert [licence["licence_id"] for licence in shown] == ["0x" + products[0].licence.hex()]
    assert shown[0]["licensee"] == address_of(consortium.keys[7])
    assert shown[0]["granting_exchange"] == "ZJ" and shown[0]["state"] == "active"
    assert await all_licences(regulator, [("listing", listing), ("state", "revoked")]) == []
    assert await all_licences(regulator, [("exchange", "zj"), ("listing", listing)]) == shown
    assert await all_licences(regulator, [("listing", listing), ("expiring_before", "1")]) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "lapsed"}, "state"),
        ({"listing": "0x12"}, "listing"),
        ({"exchange": "not a code"}, "exchange"),
        ({"expiring_before": "tomorrow"}, "expiring_before"),
        ({"cursor": "nonsense"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"licensee": "0x" + "00" * 20}, "licensee"),
    ],
    ids=[
        "an unknown state",
        "a listing that is not an id",
        "an exchange that is not a code",
        "a time that is not one",
        "a cursor the API never gave",
        "a limit of 0",
        "an unknown parameter",
    ],
)
async def test_a_bad_licence_filter_is_a_400_naming_the_field(
    regulator: Client, params: dict[str, str], field: str
) -> None:
    await sign_in(regulator, "audrey")
    response = await regulator.get("/audit/licences", params=params)
    body = await response.json()
    assert (response.status, body["field"]) == (400, field), body
    check_schema("/audit/licences", "get", 400, body)


async def test_the_regulator_revokes_a_licence_once_and_the_list_shows_it(
    regulator: Client, consortium: Consortium, trail: Trail
) -> None:
    product = _list_and_grant(consortium)
    licence = "0x" + product.licence.hex()
    await indexed(regulator, consortium)
    csrf = await sign_in(regulator, "rita")
    basis = "《数据安全法》第四十五条"
    order = {"reason_code": 4, "legal_basis": basis, "request_id": "revoke-2024-001"}
    status, body = await _post(regulator, REVOKE.format(licence), order, csrf)
    assert status == 200, body
    assert body["licence_id"] == licence and body["replayed"] is False
    assert body["legal_basis_hash"] == "0x" + bytes(keccak(text=basis)).hex()
    assert not consortium.client.licences.functions.inForce(product.licence).call()

    # A retry (same request id) sends nothing new.
    status, again = await _post(regulator, REVOKE.format(licence), order, csrf)
    assert status == 200 and again["replayed"] is True and again["tx_hash"] == body["tx_hash"]

    await indexed(regulator, consortium)
    await sign_in(regulator, "audrey")
    [shown] = await all_licences(regulator, [("listing", "0x" + product.listing.hex())])
    assert (shown["state"], shown["ended_reason"], shown["ended_by"]) == (
        "revoked",
        4,
        trail.regulator,
    )
    assert shown["ended_evidence"] == body["legal_basis_hash"]

    # A new request for a licence no longer active: the contract's error, by name.
    csrf = await sign_in(regulator, "rita")
    twice = {**order, "request_id": "revoke-2024-001-again"}
    status, refusal = await _post(regulator, REVOKE.format(licence), twice, csrf)
    assert status == 409 and refusal["code"] == "reverted", refusal
    assert "LicenceRegistryNotActive" in refusal["message"]


async def test_only_a_regulator_s_officer_revokes_and_only_a_known_licence(
    regulator: Client, trail: Trail
) -> None:
    unknown = REVOKE.format("0x" + "5a" * 32)
    order = {"reason_code": 1, "legal_basis": "test", "request_id": "r-unknown"}
    for user in ("audrey", "alice"):
        csrf = await sign_in(regulator, user)
        status, body = await _post(regulator, unknown, order, csrf)
        assert (status, body["code"]) == (403, "forbidden"), (user, body)
    response = await regulator.get("/audit/licences")
    assert response.status == 403  # alice, a reviewer, reads no licences
    csrf = await sign_in(regulator, "rita")
    status, body = await _post(regulator, unknown, order, csrf)
    assert (status, body["code"]) == (404, "unknown_licence"), body


@pytest.mark.parametrize(
    ("path_id", "order", "field"),
    [
        ("0x" + "5a" * 32, {"legal_basis": "x", "request_id": "r"}, "reason_code"),
        (
            "0x" + "5a" * 32,
            {"reason_code": -1, "legal_basis": "x", "request_id": "r"},
            "reason_code",
        ),
        ("0x" + "5a" * 32, {"reason_code": 1, "request_id": "r"}, "legal_basis"),
        ("0x" + "5a" * 32, {"reason_code": 1, "legal_basis": "x"}, "request_id"),
        (
            "0x" + "5a" * 32,
            {"reason_code": 1, "legal_basis": "x", "request_id": "r", "scope": "licence"},
            "scope",
        ),
        ("not-an-id", {"reason_code": 1, "legal_basis": "x", "request_id": "r"}, "licence_id"),
    ],
    ids=[
        "no reason code",
        "a negative reason code",
        "no legal basis",
        "no request id",
        "an unknown field",
        "a licence id that is not one",
    ],
)
async def test_a_bad_revocation_is_a_400_naming_the_field(
    regulator: Client, path_id: str, order: dict[str, Any], field: str
) -> None:
    csrf = await sign_in(regulator, "rita")
    status, body = await _post(regulator, REVOKE.format(path_id), order, csrf)
    assert (status, body["field"]) == (400, field), body


async def test_an_exchange_s_node_revokes_nothing(consortium: Consortium, tmp_path: Path) -> None:
    app = create_app(node_config(consortium, tmp_path), index=False)
    async with TestClient(TestServer(app)) as client:
        _add_staff(client.app[STORE].engine)
        token = await sign_in(client, "rita")
        body = {"reason_code": 1, "legal_basis": "test", "request_id": "r1"}
        response = await client.post(
            REVOKE.format("0x" + "5a" * 32), json=body, headers={CSRF_HEADER: token}
        )
        assert response.status == 403
        assert (await response.json())["code"] == "not_a_regulator"


# ----------------------------------------------------------------------------- a large export

EXPORT_ROWS = 200_000


def _synthetic_rows(count: int) -> list[tuple[Any, ...]]:
    actors = [f"0x{i:040X}" for i in range(1, 9)]
    names = ["Listed", "LicenceGranted", "LicenceGranted", "Suspended"]
    return [
        (
            1337,
            1000 + i // 4,
            f"0x{(1000 + i // 4):064x}",
            1_700_000_000 + i // 4,
            f"0x{i:064x}",
            i % 4,
            "LicenceRegistry",
            names[i % 4],
            actors[i % 8],
            "SH",
            None,
            f"0x{i // 10:064x}",
            i,
            json.dumps(
                {"licenceId": f"0x{i:064x}", "priceFen": 1_000_000 + i, "note": "数据可用不可见"},
                ensure_ascii=False,
            ),
        )
        for i in range(count)
    ]


def _insert_events(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    columns = [c.name for c in schema.events.c if c.name != "id"]
    sql = f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    with engine.begin() as connection:
        connection.exec_driver_sql(sql, rows)


@pytest.fixture(scope="module")
async def large(
    consortium: Consortium, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Client]:
    """A regulator's node whose index holds 200,000 synthetic events (not indexing)."""
    config = node_config(consortium, tmp_path_factory.mktemp("large"), organisation="regulator")
    app = create_app(config, index=False)
    async with TestClient(TestServer(app)) as client:
        engine = app[STORE].engine
        _add_staff(engine)
        _insert_events(engine, _synthetic_rows(EXPORT_ROWS))
        yield client


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_a_large_export_streams_in_bounded_memory(large: Client, fmt: str) -> None:
    """200,000 events (90-120 MB of output) stream out with a Python heap peak of a few MB,
    in a few seconds (bounded at 20 s)."""
    await sign_in(large, "audrey")
    started = time.monotonic()
    tracemalloc.start()
    try:
        response = await large.get(f"/audit/export.{fmt}")
        assert response.status == 200
        size = lines = 0
        tail = b""
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-4096:]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.monotonic() - started
    assert lines == EXPORT_ROWS + (1 if fmt == "csv" else 0)
    last = tail.splitlines()[-1].decode()
    if fmt == "jsonl":
        assert json.loads(last)["tx_hash"] == f"0x{EXPORT_ROWS - 1:064x}"
    else:
        assert last.split(",")[3] == f"0x{EXPORT_ROWS - 1:064x}"
    megabytes, peak_mb = size / 1e6, peak / 1e6
    print(
        f"{fmt}: {EXPORT_ROWS} events, {megabytes:.0f} MB in {seconds:.1f} s, peak {peak_mb:.1f} MB"
    )
    assert size > 50_000_000  # the export is larger than the memory bound ...
    assert peak < 50_000_000  # ... and never held in memory
    assert seconds < 20


async def test_an_export_that_fails_midway_is_cut_off(
    large: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the headers went out cuts the connection: the client sees an unfinished
    chunked body, never a file that looks complete."""
    read_scan = queries_audit.read_scan
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> Iterator[queries_audit.AuditRow]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StoreUnavailableError("database unavailable: the test pulled the plug")
        return read_scan(*args, **kwargs)

    monkeypatch.setattr(queries_audit, "read_scan", failing)
    await sign_in(large, "audrey")
    response = await large.get("/audit/export.jsonl")
    assert response.status == 200
    with pytest.raises(ClientPayloadError):
        await response.read()
    assert calls == 3


# ----------------------------------------------------------------------------- PostgreSQL


async def test_the_trail_reads_the_same_from_postgresql(
    consortium: Consortium, trail: Trail, pg_url: str
) -> None:
    engine = open_engine(pg_url)
    try:
        upgrade(engine)
        Store(engine).reset()
    finally:
        engine.dispose()
    config = node_config(consortium, Path("."), organisation="regulator", database_url=pg_url)
    async with TestClient(TestServer(create_app(config))) as client:
        engine = client.app[STORE].engine
        _add_staff(engine)
        await indexed(client, consortium)
        await sign_in(client, "audrey")
        everything = stored_events(engine)
        assert await all_pages(client, [], limit=9) == everything
        for name in (
            "what ZJ did",
            "a time range in ISO 8601 Beijing time",
            "one listing's events",
        ):
            params, matches = FILTERS[name](trail)
            assert await all_pages(client, params) == [e for e in everything if matches(e)], name
        response = await client.get("/audit/export.jsonl")
        lines = (await response.read()).decode().splitlines()
        assert [json.loads(line) for line in lines] == everything
