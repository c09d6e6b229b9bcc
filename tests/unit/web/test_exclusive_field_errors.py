"""The grant form's errors for the exclusive fields: each refusal of
:func:`node.api.staff.parse_exclusivity` and :func:`node.api.staff.check_exclusive_grant`
carries a code of its own, and the desk's page says it in its language by that code, whatever
words the API's message uses."""

from __future__ import annotations

from typing import Any

import pytest

from node.api.errors import ApiError, Unprocessable
from node.api.staff import EXCLUSIVE_REFUSALS, check_exclusive_grant, parse_exclusivity
from node.web.staff.licence_requests import _field_error

HASH = "0x" + "ab" * 32
DAY = 86400
NOW = 1_800_000_000


def _refusal_of_body(body: dict[str, Any]) -> ApiError:
    with pytest.raises(Unprocessable) as refused:
        parse_exclusivity(body)
    return refused.value


def _refusal_of_grant(open_class: int, days: int) -> ApiError:
    terms = {"start": NOW, "end": NOW + days * DAY}
    with pytest.raises(Unprocessable) as refused:
        check_exclusive_grant(terms, {"open_class": open_class}, NOW)
    return refused.value


REFUSALS = [
    pytest.param(
        lambda: _refusal_of_body({"exclusive": True, "auction_ref": HASH}),
        ("approval_ref", "exclusive_ref_missing"),
        "独占许可须填写此哈希（0x 加 64 位十六进制）。",
        id="a missing reference is exclusive_ref_missing",
    ),
    pytest.param(
        lambda: _refusal_of_body({"exclusive": True, "approval_ref": "0x12"}),
        ("approval_ref", "exclusive_ref_format"),
        "须为 0x 加 64 位十六进制（32 字节哈希）。",
        id="a reference of the wrong shape is exclusive_ref_format",
    ),
    pytest.param(
        lambda: _refusal_of_body(
            {"exclusive": True, "approval_ref": HASH, "auction_ref": "0x" + "00" * 32}
        ),
        ("auction_ref", "exclusive_ref_zero"),
        "不能为全零哈希。",
        id="the zero hash is exclusive_ref_zero",
    ),
    pytest.param(
        lambda: _refusal_of_body({"exclusive": False, "approval_ref": HASH}),
        ("approval_ref", "exclusive_ref_unexpected"),
        "只有独占许可才填写此哈希：请勾选独占许可，或清空此项。",
        id="a reference without the exclusive option is exclusive_ref_unexpected",
    ),
    pytest.param(
        lambda: _refusal_of_body({"exclusive": "yes"}),
        ("exclusive", "exclusive_flag"),
        "须为是或否。",
        id="an exclusive flag that is not a boolean is exclusive_flag",
    ),
    pytest.param(
        lambda: _refusal_of_grant(open_class=0, days=30),
        ("exclusive", "exclusive_not_public_data"),
        "独占许可仅限公共数据，该产品不是公共数据。",
        id="a listing that is not public data is exclusive_not_public_data",
    ),
    pytest.param(
        lambda: _refusal_of_grant(open_class=1, days=1900),
        ("terms.end", "exclusive_term_too_long"),
        "独占许可自起始日（或现在，取较早者）起最长 1826 天（五年），该申请的期限更长。",
        id="a term over five years is exclusive_term_too_long",
    ),
]


@pytest.mark.parametrize(("refuse", "field_and_code", "shown"), REFUSALS)
def test_each_refusal_has_its_code_and_the_page_says_it(
    refuse: Any, field_and_code: tuple[str, str], shown: str
) -> None:
    refusal = refuse()
    assert (refusal.status, refusal.field, refusal.code) == (422, *field_and_code)
    assert refusal.body()["code"] == field_and_code[1]
    assert _field_error("zh", refusal) == shown


def test_the_codes_are_told_apart_and_each_has_a_page_message() -> None:
    assert len(set(EXCLUSIVE_REFUSALS)) == len(EXCLUSIVE_REFUSALS) == len(REFUSALS)
    for code in EXCLUSIVE_REFUSALS:
        reworded = Unprocessable("the API says this otherwise now", field="x", code=code)
        assert _field_error("en", reworded) != reworded.message, code


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        pytest.param(
            Unprocessable("approval_ref: give the hash", field="approval_ref", code=code),
            message,
            id=f"{code} reworded by the API is still said in the page's words",
        )
        for code, message in [
            ("exclusive_ref_missing", "An exclusive grant needs this hash (0x and 64 hex digits)."),
            ("exclusive_ref_format", "Must be 0x and 64 hex digits (a 32-byte hash)."),
            ("exclusive_ref_zero", "Must not be the zero hash."),
        ]
    ]
    + [
        pytest.param(
            Unprocessable("an exclusive grant needs it", field="approval_ref"),
            "an exclusive grant needs it",
            id="a refusal of another code keeps the API's words, whatever they start with",
        ),
        pytest.param(
            ApiError("terms outside the envelope", field="terms.end", code="reverted"),
            "terms outside the envelope",
            id="a contract's refusal keeps the API's words",
        ),
    ],
)
def test_the_page_tells_refusals_apart_by_code_not_wording(error: ApiError, shown: str) -> None:
    assert _field_error("en", error) == shown
