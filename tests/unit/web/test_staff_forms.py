"""The staff pages' forms turned into what the API's parsers read, and who may open which page."""

from __future__ import annotations

import pytest
from eth_utils import keccak, to_checksum_address
from multidict import MultiDict

from node.api.audit import parse_filter, parse_oversight
from node.api.errors import BadRequest
from node.api.staff import parse_registration
from node.web.formats import SHANGHAI
from node.web.staff.access import (
    DESK,
    EXPLORER,
    LICENCE_REQUESTS,
    PARTICIPANTS,
    SIGN_IN,
    home,
    nav_links,
    safe_next,
)
from node.web.staff_forms import (
    CHINA_OFFSET,
    SETTLED,
    credentials,
    filter_query,
    local_time,
    oversight_body,
    reason_body,
    registration_body,
    settled,
)
from onelist.codes import SuspensionScope

LISTING = "0x" + "ab" * 32


def test_china_offset_is_the_pages_time_zone() -> None:
    offset = SHANGHAI.utcoffset(None)
    assert offset is not None and CHINA_OFFSET == "+08:00" and offset.total_seconds() == 8 * 3600


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({}, []),
        ({"actor": "", "exchange": " ", "event": ""}, []),
        ({"exchange": " SH "}, [("exchange", "SH")]),
        (
            {"time_from": "2024-05-01T08:00", "time_to": "2024-05-01T09:00:30"},
            [("time_from", "2024-05-01T08:00+08:00"), ("time_to", "2024-05-01T09:00:30+08:00")],
        ),
        ({"time_from": "1714521600"}, [("time_from", "1714521600")]),
        ({"listing": LISTING, "lang": "en", "cursor": "x"}, [("listing", LISTING)]),
    ],
    ids=[
        "an empty form filters nothing",
        "empty fields are dropped",
        "values are stripped",
        "a datetime-local value is China Standard Time",
        "unix seconds pass as they are",
        "the page's own parameters are not filters",
    ],
)
def test_filter_query(form: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert list(filter_query(MultiDict(form)).items()) == expected


def test_a_filter_form_reads_as_the_api_filter() -> None:
    form = MultiDict(
        [("exchange", "sh"), ("event", "Listed"), ("event", "Suspended"), ("time_from", "")]
    )
    where = parse_filter(filter_query(form))
    assert where.exchange == "SH" and where.names == ("Listed", "Suspended")
    local = parse_filter(filter_query(MultiDict({"time_from": "2024-05-01T08:00"})))
    assert local.time_from == 1714521600  # 2024-05-01T00:00:00Z


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"actor": "0x123"}, "actor"),
        ({"time_from": "yesterday"}, "time_from"),
        ({"time_from": "2024-05-02T00:00", "time_to": "2024-05-01T00:00"}, "time_from"),
        ({"event": "Nonsense"}, "event"),
    ],
    ids=[
        "a short address names actor",
        "a time that is not one names time_from",
        "a range backwards names time_from",
        "an unknown event names event",
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(form: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_filter(filter_query(MultiDict(form)))
    assert caught.value.field == field


def test_a_repeated_single_field_is_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        filter_query(MultiDict([("actor", "a"), ("actor", "b")]))
    assert caught.value.field == "actor"


def _suspension(**changes: str) -> MultiDict[str]:
    form = {
        "scope": "listing",
        "subject": LISTING,
        "reason_code": "3",
        "legal_basis": "《数据安全法》第二十一条",
        "request_id": "web-1",
        "csrf_token": "ignored here",
    }
    form.update(changes)
    return MultiDict({k: v for k, v in form.items() if v != "-"})


def test_a_suspension_form_reads_as_the_api_body() -> None:
    body = oversight_body("suspend", _suspension(until="2026-12-31T00:00"))
    order = parse_oversight("suspend", body)
    assert order.scope is SuspensionScope.listing and order.subject == LISTING
    assert order.reason_code == 3 and order.request_id == "web-1"
    assert order.legal_basis_hash == bytes(keccak(text="《数据安全法》第二十一条"))
    assert order.until == 1798646400  # 2026-12-30T16:00:00Z
    assert parse_oversight("suspend", oversight_body("suspend", _suspension())).until == 0
    assert oversight_body("suspend", _suspension(until="1798646400"))["until"] == 1798646400


@pytest.mark.parametrize(
    ("action", "changes", "field"),
    [
        ("suspend", {"reason_code": "three"}, "reason_code"),
        ("suspend", {"reason_code": "65536"}, "reason_code"),
        ("suspend", {"reason_code": "-"}, "reason_code"),
        ("suspend", {"legal_basis": "  "}, "legal_basis"),
        ("suspend", {"subject": "-"}, "subject"),
        ("suspend", {"until": "soon"}, "until"),
        ("reinstate", {"until": "2026-12-31T00:00"}, "until"),
        ("suspend", {"scope": "planet"}, "scope"),
        ("suspend", {"subject": "0x12"}, "subject"),
        ("suspend", {"request_id": "has space"}, "request_id"),
        ("suspend", {"reason_code": "other"}, "reason_code_other"),
        ("suspend", {"reason_code": "other", "reason_code_other": "65536"}, "reason_code_other"),
        ("suspend", {"reason_code": "other", "reason_code_other": "-1"}, "reason_code_other"),
        ("suspend", {"reason_code": "2", "reason_code_other": "77"}, "reason_code_other"),
    ],
    ids=[
        "a reason code that is not a number",
        "a reason code above uint16",
        "a missing reason code",
        "a blank legal basis",
        "a missing subject",
        "an end that is not a time",
        "a reinstatement with an end",
        "an unknown scope (the API's check)",
        "a listing id that is not 32 bytes (the API's check)",
        "a request id with a space (the API's check)",
        "another code chosen but none typed",
        "another code above uint16",
        "another code that is negative",
        "a listed reason and another code both given",
    ],
)
def test_a_bad_oversight_form_names_the_field(
    action: str, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_oversight(action, oversight_body(action, _suspension(**changes)))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"reason_code": "4"}, 4),
        ({"reason_code": "other", "reason_code_other": "4321"}, 4321),
        ({"reason_code": "other", "reason_code_other": "0"}, 0),
        ({"reason_code": "65535"}, 65535),
        ({"reason_code": "2", "reason_code_other": " "}, 2),
    ],
    ids=[
        "a reason picked from the list is its code",
        "another code typed beside the list is sent as typed",
        "another code may be 0",
        "a confirmation page's hidden field may carry any uint16",
        "a blank other-code field is no other code",
    ],
)
def test_the_reason_code_a_form_picked(changes: dict[str, str], code: int) -> None:
    assert (
        parse_oversight("suspend", oversight_body("suspend", _suspension(**changes))).reason_code
        == code
    )


def test_the_sign_in_form() -> None:
    assert credentials(MultiDict({"username": " alice ", "password": " pw "})) == {
        "username": "alice",
        "password": " pw ",
    }
    for form in ({"username": "alice"}, {"username": "", "password": "x"}):
        with pytest.raises(BadRequest):
            credentials(MultiDict(form))


def test_the_reject_form() -> None:
    assert reason_body(MultiDict({"reason": " 证据不全 "})) == {"reason": "证据不全"}
    assert reason_body(MultiDict()) == {"reason": ""}  # the desk says a reason is required


def test_local_time() -> None:
    assert local_time("2024-05-01T08:00", "t", upper=False) == 1714521600
    with pytest.raises(BadRequest):
        local_time("2024-05-01", "t", upper=False)


# ----------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("roles", "organisation", "links"),
    [
        (None, "SH", [SIGN_IN]),
        (frozenset({"reviewer"}), "SH", [DESK, LICENCE_REQUESTS, PARTICIPANTS]),
        (frozenset({"reviewer"}), "regulator", []),
        (frozenset({"admin"}), "SH", [PARTICIPANTS]),
        (frozenset({"admin"}), "regulator", []),
        (frozenset({"auditor"}), "SH", [EXPLORER]),
        (
            frozenset({"auditor", "regulator_officer"}),
            "regulator",
            [EXPLORER, EXPLORER + "/suspend"],
        ),
        (frozenset({"regulator_officer"}), "SH", [EXPLORER]),
        (
            frozenset({"reviewer", "auditor"}),
            "SH",
            [DESK, LICENCE_REQUESTS, PARTICIPANTS, EXPLORER],
        ),
    ],
    ids=[
        "a visitor sees the sign-in link",
        "a reviewer on an exchange's node sees the desk, licence requests and registrations",
        "a regulator's node has no desk",
        "an admin registers participants only",
        "a regulator's node registers no one",
        "an auditor sees the explorer",
        "a regulator officer on the regulator's node may suspend",
        "an officer on an exchange's node may only read",
        "roles add up",
    ],
)
def test_nav_links(roles: frozenset[str] | None, organisation: str, links: list[str]) -> None:
    assert [link.href for link in nav_links(roles, organisation)] == links


def test_home_and_next() -> None:
    assert home(frozenset({"auditor"}), "regulator") == EXPLORER
    assert home(frozenset({"admin"}), "SH") == PARTICIPANTS
    assert home(frozenset({"admin"}), "regulator") == "/web/"
    assert safe_next("/web/desk?status=all") == "/web/desk?status=all"
    for bad in (None, "", "https://evil.example/", "//evil.example", "/web\\..", "/staff/me"):
        assert safe_next(bad) is None


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"roles": ["provider"], "identity_reference": "913100"}, "account"),
        ({"account": "0x" + "11" * 20, "identity_reference": "913100"}, "roles"),
        (
            {"account": "0x" + "11" * 20, "roles": ["seller"], "identity_reference": "x"},
            "roles",
        ),
        ({"account": "0x" + "11" * 20, "roles": ["licensee"]}, "identity_reference"),
        (
            {"account": "0x" + "11" * 20, "roles": ["licensee"], "identity_reference": "x" * 257},
            "identity_reference",
        ),
    ],
    ids=[
        "no account",
        "no role ticked",
        "a role the contracts do not know",
        "no identity check reference",
        "an identity reference over 256 characters",
    ],
)
def test_a_bad_registration_form_names_the_field(form: dict[str, object], field: str) -> None:
    fields: MultiDict[str] = MultiDict()
    for name, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            fields.add(name, str(item))
    with pytest.raises(BadRequest) as caught:
        parse_registration(registration_body(fields))
    assert caught.value.field == field


def test_a_registration_form_reads_as_the_api_body() -> None:
    form = MultiDict(
        [
            ("account", " 0x" + "ab" * 20 + " "),
            ("roles", "licensee"),
            ("roles", "provider"),
            ("identity_reference", "91310000MA1FL0000X / 核验 2026-118"),
            ("csrf_token", "ignored here"),
        ]
    )
    registration = parse_registration(registration_body(form))
    assert registration.account == to_checksum_address("0x" + "ab" * 20)
    assert registration.roles == ("licensee", "provider") and registration.role_bits == 3
    assert registration.identity_reference == "91310000MA1FL0000X / 核验 2026-118"


@pytest.mark.parametrize(
    ("form", "ok"),
    [({"settled": "yes"}, True), ({}, False), ({"settled": "on"}, False)],
    ids=["the settlement box ticked", "the box not ticked", "another value"],
)
def test_a_grant_needs_the_settlement_box(form: dict[str, str], ok: bool) -> None:
    if ok:
        settled(MultiDict(form))
        return
    with pytest.raises(BadRequest) as caught:
        settled(MultiDict(form))
    assert caught.value.field == SETTLED
