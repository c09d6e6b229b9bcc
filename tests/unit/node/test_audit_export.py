"""The audit trail's pure parts: a row as JSON, JSON Lines and CSV; cursors; filters; the
regulator's suspension requests and the contract's refusals."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson
import pytest
from eth_utils import keccak
from multidict import MultiDict

from node.api.audit import (
    CSV_COLUMNS,
    OversightRequest,
    csv_header,
    csv_rows,
    decode_cursor,
    encode_cursor,
    encode_subject,
    event_json,
    jsonl_rows,
    oversight_refusal,
    parse_filter,
    parse_oversight,
    parse_page,
    parse_time,
)
from node.api.errors import BadRequest
from node.store.queries_audit import AuditFilter, AuditRow, Position
from onelist.chain.revert import DecodedRevert, TransactionReverted
from onelist.codes import SuspensionScope

SH_OPERATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
LISTING = "0x" + "ab" * 32


def _row(**changes: Any) -> AuditRow:
    row = AuditRow(
        id=7,
        block_number=42,
        block_hash="0x" + "11" * 32,
        block_time=1_714_550_400,
        tx_hash="0x" + "22" * 32,
        log_index=3,
        contract="ListingRegistry",
        name="Listed",
        actor=SH_OPERATOR,
        acting_exchange="SH",
        acting_regulator=None,
        listing_id=LISTING,
        seq=1,
        args='{"listingId":"0xab","title":"衡阳市交通出行数据"}',
    )
    return row._replace(**changes)


EXPECTED = {
    "block": 42,
    "block_hash": "0x" + "11" * 32,
    "time": 1_714_550_400,
    "tx_hash": "0x" + "22" * 32,
    "log_index": 3,
    "contract": "ListingRegistry",
    "event": "Listed",
    "actor": SH_OPERATOR,
    "acting_exchange": "SH",
    "acting_regulator": None,
    "listing": LISTING,
    "seq": 1,
    "args": {"listingId": "0xab", "title": "衡阳市交通出行数据"},
}


def test_an_event_shows_every_audit_field_with_its_arguments_as_json() -> None:
    assert orjson.loads(orjson.dumps(event_json(_row()))) == EXPECTED
    assert list(event_json(_row())) == list(CSV_COLUMNS)


def test_json_lines_hold_one_event_a_line_equal_to_the_api_s_json() -> None:
    rows = [_row(), _row(log_index=4, actor=None, seq=None, args="{}")]
    text = jsonl_rows(rows).decode()
    assert text.endswith("\n") and text.count("\n") == 2
    parsed = [json.loads(line) for line in text.splitlines()]
    assert parsed == [orjson.loads(orjson.dumps(event_json(row))) for row in rows]
    assert parsed[1]["actor"] is None and parsed[1]["seq"] is None
    assert jsonl_rows([]) == b""


@pytest.mark.parametrize(
    "args",
    [
        '{"a":1}',
        '{"text":"comma, \\"quote\\" and\\nnewline"}',
        '{"title":"衡阳市交通出行数据"}',
        '{"list":[1,2,3],"nested":{"k":"v"}}',
    ],
    ids=[
        "plain arguments stay one cell",
        "commas quotes and newlines survive quoting",
        "chinese text is utf-8",
        "nested json stays one cell",
    ],
)
def test_a_csv_row_reads_back_as_the_event(args: str) -> None:
    data = csv_header() + csv_rows([_row(args=args)])
    table = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert table[0] == list(CSV_COLUMNS)
    assert len(table) == 2
    record = dict(zip(table[0], table[1], strict=True))
    assert json.loads(record["args"]) == json.loads(args)
    assert record["block"] == "42" and record["listing"] == LISTING
    assert record["acting_regulator"] == ""  # absent: an empty cell


def test_csv_lines_end_in_crlf_and_no_rows_make_no_bytes() -> None:
    assert csv_rows([_row()]).endswith(b"\r\n")
    assert csv_header() == (",".join(CSV_COLUMNS) + "\r\n").encode()
    assert csv_rows([]) == b""


@pytest.mark.parametrize(
    "position",
    [Position(0, 0), Position(42, 3), Position(2**63 - 1, 2**31 - 1)],
    ids=["the first position", "a position", "the largest position"],
)
def test_a_cursor_names_its_position(position: Position) -> None:
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize(
    "text",
    ["", "not-base64!", "MTIz", encode_cursor(Position(1, 2)) + "AAAA", "LTEuMg"],
    ids=[
        "an empty cursor is refused",
        "a cursor that is not base64 is refused",
        "a cursor without a log index is refused",
        "a cursor with trailing bytes is refused",
        "a negative block is refused",
    ],
)
def test_a_cursor_not_given_out_is_a_400(text: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_cursor(text)
    assert caught.value.field == "cursor"


@pytest.mark.parametrize(
    ("text", "upper", "expected"),
    [
        ("1714550400", False, 1_714_550_400),
        ("2024-05-01T08:00:00Z", False, 1_714_550_400),
        ("2024-05-01T16:00:00+08:00", False, 1_714_550_400),
        ("2024-05-01T08:00:00.5Z", False, 1_714_550_401),
        ("2024-05-01T08:00:00.5Z", True, 1_714_550_400),
    ],
    ids=[
        "unix seconds are taken as they are",
        "utc written as Z",
        "beijing time with its offset",
        "a fraction rounds up for a lower bound",
        "a fraction rounds down for an upper bound",
    ],
)
def test_times_read_unix_seconds_and_iso_8601(text: str, upper: bool, expected: int) -> None:
    assert parse_time(text, "time_from", upper=upper) == expected


@pytest.mark.parametrize(
    "text",
    ["2024-05-01T08:00:00", "2024-05-01", "yesterday", "-5", "1.5"],
    ids=[
        "a time without timezone is refused",
        "a date alone is refused",
        "words are refused",
        "a negative number is refused",
        "a fractional number is refused",
    ],
)
def test_a_time_that_is_not_one_is_a_400(text: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_time(text, "time_to", upper=True)
    assert caught.value.field == "time_to"


def test_a_filter_reads_every_parameter_and_normalises_it() -> None:
    query = MultiDict(
        [
            ("actor", SH_OPERATOR.lower()),
            ("exchange", "sh"),
            ("regulator", SH_OPERATOR),
            ("listing", LISTING.upper().replace("0X", "0x")),
            ("event", "Listed,LicenceGranted"),
            ("event", "Suspended"),
            ("event", "Listed"),
            ("contract", "ListingRegistry"),
            ("block_from", "5"),
            ("block_to", "9"),
            ("time_from", "2024-05-01T08:00:00Z"),
            ("time_to", "1714550500"),
        ]
    )
    assert parse_filter(query) == AuditFilter(
        actor=SH_OPERATOR,
        exchange="SH",
        regulator=SH_OPERATOR,
        listing=LISTING,
        names=("Listed", "LicenceGranted", "Suspended"),
        contract="ListingRegistry",
        block_from=5,
        block_to=9,
        time_from=1_714_550_400,
        time_to=1_714_550_500,
    )
    assert parse_filter(MultiDict()) == AuditFilter()


@pytest.mark.parametrize(
    ("pairs", "field"),
    [
        ([("actor", "0x1234")], "actor"),
        ([("actor", SH_OPERATOR.lower().replace("c", "C", 1))], "actor"),
        ([("exchange", "S-H")], "exchange"),
        ([("listing", "0x1234")], "listing"),
        ([("event", "Listing")], "event"),
        ([("contract", "Oversight")], "contract"),
        ([("block_from", "-1")], "block_from"),
        ([("block_to", "ten")], "block_to"),
        ([("block_from", "9"), ("block_to", "5")], "block_from"),
        ([("time_from", "1714550500"), ("time_to", "1714550400")], "time_from"),
        ([("actor", SH_OPERATOR), ("actor", SH_OPERATOR)], "actor"),
        ([("exchange", "")], "exchange"),
    ],
    ids=[
        "a short address is refused",
        "an address with a wrong checksum is refused",
        "an exchange code with a dash is refused",
        "a short listing id is refused",
        "an unknown event name is refused",
        "an unknown contract is refused",
        "a negative block is refused",
        "a block in words is refused",
        "a block range that runs backwards is refused",
        "a time range that runs backwards is refused",
        "a repeated actor is refused",
        "an empty exchange is refused",
    ],
)
def test_a_bad_filter_is_a_400_naming_its_field(pairs: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_filter(MultiDict(pairs))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], (None, 100)),
        ([("limit", "500")], (None, 500)),
        ([("cursor", encode_cursor(Position(3, 1))), ("limit", "1")], (Position(3, 1), 1)),
    ],
    ids=["the default page holds 100", "a page holds up to 500", "a cursor and a limit"],
)
def test_a_page_reads_its_cursor_and_limit(
    pairs: list[tuple[str, str]], expected: tuple[Position | None, int]
) -> None:
    assert parse_page(MultiDict(pairs)) == expected


@pytest.mark.parametrize(
    "limit", ["0", "501", "ten", "-1"], ids=["zero", "over 500", "words", "negative"]
)
def test_a_limit_outside_1_to_500_is_a_400(limit: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_page(MultiDict([("limit", limit)]))
    assert caught.value.field == "limit"


# ----------------------------------------------------------------------------- oversight

REGULATOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


@pytest.mark.parametrize(
    ("scope", "subject", "shown", "raw"),
    [
        (SuspensionScope.listing, LISTING.upper().replace("0X", "0x"), LISTING, "ab" * 32),
        (SuspensionScope.licence, "0x" + "CD" * 32, "0x" + "cd" * 32, "cd" * 32),
        (
            SuspensionScope.provider,
            REGULATOR.lower(),
            REGULATOR,
            "00" * 12 + REGULATOR[2:].lower(),
        ),
        (SuspensionScope.exchange_granting, "zj", "ZJ", "5a4a" + "00" * 30),
    ],
    ids=[
        "a listing id is itself",
        "a licence id is itself",
        "a provider's address is right-aligned",
        "an exchange's code is left-aligned",
    ],
)
def test_a_subject_is_encoded_as_the_contract_expects(
    scope: SuspensionScope, subject: str, shown: str, raw: str
) -> None:
    assert encode_subject(scope, subject) == (shown, bytes.fromhex(raw))


A_SUSPENSION = {
    "scope": "listing",
    "subject": LISTING,
    "reason_code": 3,
    "legal_basis": "《数据安全法》第二十一条",
    "request_id": "case-17",
}


def test_a_suspension_reads_its_body() -> None:
    order = parse_oversight("suspend", {**A_SUSPENSION, "until": 1_900_000_000})
    assert order == OversightRequest(
        action="suspend",
        scope=SuspensionScope.listing,
        subject=LISTING,
        subject_bytes32=bytes.fromhex("ab" * 32),
        reason_code=3,
        legal_basis_hash=bytes(keccak(text="《数据安全法》第二十一条")),
        until=1_900_000_000,
        request_id="case-17",
    )
    assert order.idempotency_key == f"suspend:listing:{LISTING}:case-17"


@pytest.mark.parametrize(
    ("changes", "header", "expected"),
    [
        ({"until": None}, None, {"until": 0}),
        ({"legal_basis": None, "legal_basis_hash": "0x" + "42" * 32}, None, {}),
        ({"request_id": None}, "from-header", {"request_id": "from-header"}),
        ({}, "ignored", {"request_id": "case-17"}),
    ],
    ids=[
        "no end means until reinstated",
        "a legal basis may come as its hash",
        "the request id may come in the Idempotency-Key header",
        "the body's request id wins over the header",
    ],
)
def test_a_suspension_s_optional_parts(
    changes: dict[str, Any], header: str | None, expected: dict[str, Any]
) -> None:
    body = {k: v for k, v in {**A_SUSPENSION, **changes}.items() if v is not None}
    order = parse_oversight("suspend", body, header)
    for name, value in expected.items():
        assert getattr(order, name) == value
    if "legal_basis_hash" in body:
        assert order.legal_basis_hash == bytes.fromhex("42" * 32)


@pytest.mark.parametrize(
    ("action", "changes", "field"),
    [
        ("suspend", {"scope": "everything"}, "scope"),
        ("suspend", {"subject": "0x1234"}, "subject"),
        ("suspend", {"scope": "provider", "subject": LISTING}, "subject"),
        ("suspend", {"scope": "exchange_granting", "subject": "上海"}, "subject"),
        ("suspend", {"subject": 7}, "subject"),
        ("suspend", {"reason_code": None}, "reason_code"),
        ("suspend", {"reason_code": 65536}, "reason_code"),
        ("suspend", {"reason_code": True}, "reason_code"),
        ("suspend", {"legal_basis": None}, "legal_basis"),
        ("suspend", {"legal_basis_hash": "0x" + "42" * 32}, "legal_basis"),
        ("suspend", {"legal_basis": "  "}, "legal_basis"),
        ("suspend", {"legal_basis": None, "legal_basis_hash": "0x42"}, "legal_basis_hash"),
        ("suspend", {"until": -1}, "until"),
        ("suspend", {"until": 2**64}, "until"),
        ("suspend", {"until": "tomorrow"}, "until"),
        ("reinstate", {"until": 1_900_000_000}, "until"),
        ("suspend", {"request_id": None}, "request_id"),
        ("suspend", {"request_id": "has spaces"}, "request_id"),
        ("suspend", {"colour": "red"}, "colour"),
    ],
    ids=[
        "an unknown scope",
        "a short listing id",
        "a listing id as a provider",
        "an exchange code that is not ascii",
        "a subject that is not text",
        "no reason code",
        "a reason code over 16 bits",
        "a reason code that is a boolean",
        "no legal basis",
        "a legal basis given twice",
        "a blank legal basis",
        "a short legal basis hash",
        "an end before 1970",
        "an end over 64 bits",
        "an end in words",
        "a reinstatement has no end",
        "no request id",
        "a request id with spaces",
        "an unknown field",
    ],
)
def test_a_bad_suspension_is_a_400_naming_its_field(
    action: str, changes: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**A_SUSPENSION, **changes}.items() if v is not None}
    with pytest.raises(BadRequest) as caught:
        parse_oversight(action, body)
    assert caught.value.field == field


def _reverted(name: str) -> TransactionReverted:
    return TransactionReverted(DecodedRevert(name, (0, b"\0" * 32), ("scope", "subject"), b"\1"))


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("OversightUnknownSubject", 422),
        ("OversightInvalidUntil", 422),
        ("OversightNotSuspended", 409),
        ("OversightOutOfJurisdiction", 409),
        ("ConsortiumNotRegulator", 409),
    ],
    ids=[
        "an unknown subject is the request's fault",
        "an end in the past is the request's fault",
        "reinstating what is not suspended conflicts with the chain",
        "a subject outside the jurisdiction conflicts with the chain",
        "a key that is no regulator's conflicts with the chain",
    ],
)
def test_a_revert_becomes_409_or_422_naming_the_error(name: str, status: int) -> None:
    error = oversight_refusal(_reverted(name))
    assert error.status == status and error.code == "reverted"
    assert name in error.message
