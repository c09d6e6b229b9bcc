"""The licence-request rejection form as the desk's API checks it: the form's fields through
:func:`node.web.staff_forms.reason_body` into :func:`node.api.staff.parse_reason`, the same
checks the JSON route makes, so the pages and the API refuse exactly the same reasons."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from node.api.errors import BadRequest
from node.api.staff import MAX_REASON, parse_reason
from node.web.staff_forms import reason_body


def _form(*reasons: str) -> MultiDict[str]:
    return MultiDict([("csrf_token", "t"), *(("reason", r) for r in reasons)])


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        pytest.param(_form("结算未完成"), "结算未完成", id="a reason is kept as typed"),
        pytest.param(_form("  结算未完成 \n"), "结算未完成", id="a reason is stripped"),
        pytest.param(_form("x" * MAX_REASON), "x" * MAX_REASON, id="the longest reason passes"),
    ],
)
def test_a_reason_the_api_takes(form: MultiDict[str], expected: str) -> None:
    assert parse_reason(reason_body(form)) == expected


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(_form(), id="a form without a reason is refused"),
        pytest.param(_form(""), id="an empty reason is refused"),
        pytest.param(_form(" \t\n "), id="a reason of spaces is refused"),
        pytest.param(_form("x" * (MAX_REASON + 1)), id="a reason too long is refused"),
        pytest.param(_form("a", "b"), id="a reason given twice is refused"),
    ],
)
def test_a_reason_refused_names_the_field(form: MultiDict[str]) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_reason(reason_body(form))
    assert refused.value.field == "reason"
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"reason": None}, "a reason is required", id="a null reason is refused"),
        pytest.param({"reason": 7}, "a reason is required", id="a number is not a reason"),
        pytest.param({}, "a reason is required", id="a JSON body without one is refused"),
    ],
)
def test_the_api_refuses_what_is_not_a_reason(body: dict[str, object], expected: str) -> None:
    with pytest.raises(BadRequest, match=expected):
        parse_reason(body)
